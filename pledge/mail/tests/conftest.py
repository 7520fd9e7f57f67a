"""Fixtures of the campaign tests: the real SMTP server set up as campaigns need it, policy versions
(one that did not declare marketing), and people made through the real services."""

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


@pytest.fixture
def mail_server(smtp_server, settings):
    """The root conftest's real SMTP server (``smtp_server``), with the sender and site address
    campaigns put in their headers and links, at a rate that never waits."""
    settings.EMAIL_TIMEOUT = 10
    settings.PLEDGE_CAMPAIGN_RATE = 60000
    settings.PLEDGE_SITE_URL = "https://www.example.test"
    settings.DEFAULT_FROM_EMAIL = "Gonex <service@letsgonex.com>"
    return smtp_server


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
