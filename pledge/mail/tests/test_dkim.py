"""Every email leaves DKIM-signed when a key is configured, and the signature verifies."""

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pledge.mail.campaigns import campaign_create, campaign_start
from pledge.mail.services import mail_send
from pledge.mail.tests.conftest import SYSTEM, subscriber

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def dkim_key(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    settings.PLEDGE_DKIM_KEY_FILE = str(path)
    settings.PLEDGE_DKIM_SELECTOR = "pledge2026"
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name, timeout=5):
        return record if name == b"pledge2026._domainkey.letsgonex.com." else None

    return dns


def test_a_campaign_message_is_signed_and_verifies(
    mail_server, versions, dkim_key, django_capture_on_commit_callbacks
):
    subscriber("reader@example.cn")
    campaign = campaign_create(
        actor=SYSTEM,
        list_key="newsletter",
        name="n",
        subject={"zh-hans": "主题", "en": "Subject"},
        body={"zh-hans": "正文", "en": "Text, with [a link](https://www.example.test/)."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=campaign, actor=SYSTEM)
    raw = mail_server.raw[0]
    assert raw.startswith(b"DKIM-Signature:")
    signature = raw.split(b"\r\n\r\n", 1)[0]
    assert b"list-unsubscribe" in signature.lower() and b"d=letsgonex.com" in signature
    assert dkim.verify(raw, dnsfunc=dkim_key)
    tampered = raw.replace(b"Subject: Subject", b"Subject: Changed")
    assert not dkim.verify(tampered, dnsfunc=dkim_key)


def test_a_transactional_message_is_signed_too(
    mail_server, dkim_key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail_send(
            kind="notice",
            to="li.lei@example.cn",
            language="en",
            context={"subject": "Service update", "body": "Our terms changed."},
            actor=SYSTEM,
        )
    assert dkim.verify(mail_server.raw[0], dnsfunc=dkim_key)


def test_without_a_key_nothing_is_signed(mail_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail_send(
            kind="notice",
            to="li.lei@example.cn",
            language="en",
            context={"subject": "Service update", "body": "Our terms changed."},
            actor=SYSTEM,
        )
    assert b"DKIM-Signature" not in mail_server.raw[0]
