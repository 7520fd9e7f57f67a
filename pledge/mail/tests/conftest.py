"""Fixtures of the campaign tests: a real SMTP server that keeps the raw bytes, policy versions
(one that did not declare marketing), and people made through the real services."""

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from django.utils import timezone

from pledge.inventory.models import PolicyVersion
from pledge.inventory.services import policy_publish
from pledge.mail.models import Subscription, SubscriptionStatus
from pledge.mail.subscriptions import list_subject
from pledge.people.models import ConsentMethod
from pledge.people.services import consent_record, person_create
from pledge.vault.actors import Actor

SYSTEM = Actor.system("test")


class MailServer:
    """aiosmtpd on 127.0.0.1 keeping each message raw (for DKIM) and parsed."""

    def __init__(self):
        self.raw: list[bytes] = []
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=default)
        parsed.recipients = list(envelope.rcpt_tos)
        self.raw.append(raw)
        self.messages.append(parsed)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [message for message in self.messages if address in message.recipients]

    @property
    def recipients(self) -> list[str]:
        return sorted(address for message in self.messages for address in message.recipients)


@pytest.fixture
def mail_server(settings):
    """Mail leaves through Django's SMTP backend to a real server on loopback, as EMAIL_URL=
    smtp://127.0.0.1:<port> sets it (pledge/env.py), at a rate that never waits."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.PLEDGE_CAMPAIGN_RATE = 60000
    settings.PLEDGE_SITE_URL = "https://www.example.test"
    settings.DEFAULT_FROM_EMAIL = "Gonex <service@letsgonex.com>"
    yield handler
    controller.stop()


@pytest.fixture
def versions():
    """Version 1 declared no marketing (data collected under it may not be used for it, P23);
    version 2, the site as it is, declares it."""
    PolicyVersion.objects.create(
        number=1,
        published_at=timezone.now(),
        material=True,
        summary={"zh-hans": "第一版", "en": "First version"},
        published_by="test",
        content_hash="0" * 64,
        inventory={"uses": {"essential.service.operations.support": {}}},
        texts={},
    )
    return policy_publish(
        summary={"zh-hans": "增加了新闻简报", "en": "Adds the newsletter"},
        material=True,
        published_by="test",
    )


def subscriber(
    email: str,
    *,
    list_key: str = "newsletter",
    version: int = 2,
    language: str = "en",
    organization=None,
):
    """Someone who confirmed ``list_key`` under policy ``version``."""
    person = person_create(
        actor=SYSTEM,
        source="web_form",
        email=email,
        language=language,
        organization=organization,
        policy_version=version,
    )
    Subscription.objects.create(
        person=person,
        list_key=list_key,
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    consent_record(
        person=person,
        subject=list_subject(list_key),
        granted=True,
        text="I would like to receive the emails I selected.",
        language=language,
        method=ConsentMethod.DOUBLE_OPT_IN,
        actor=SYSTEM,
        policy_version=version,
    )
    return person
