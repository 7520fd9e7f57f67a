"""Every link in an email is built in the recipient's language, not the sender's (issue 16): a
staff member in the English console sends a Chinese visitor a link without /en/, and an English
confirmation links to /en/privacy/."""

import pytest
from django.urls import reverse
from django.utils import translation

from pledge.mail.services import mail_send
from pledge.vault.actors import Actor

pytestmark = pytest.mark.django_db


def test_a_private_link_built_in_english_reaches_a_chinese_reader_without_en():
    with translation.override("en"):  # the staff member's console
        path = reverse("web:booking", args=["tok123"])
        assert path.startswith("/en/")
        message = mail_send(
            kind="notice",
            to="li@example.cn",
            language="zh-hans",
            context={"subject": "s", "body": "b"},
            actor=Actor.system("test"),
            links={"link": path},
        )
    assert message.private_links["link"].endswith("/demo/booking/tok123/")
    assert "/en/" not in message.private_links["link"]


def test_a_link_built_in_chinese_reaches_an_english_reader_under_en():
    with translation.override("zh-hans"):
        message = mail_send(
            kind="notice",
            to="amy@example.com",
            language="en",
            context={"subject": "s", "body": "b"},
            actor=Actor.system("test"),
            links={"link": reverse("web:booking", args=["tok456"])},
        )
    assert message.private_links["link"].endswith("/en/demo/booking/tok456/")


@pytest.mark.parametrize(
    ("language", "privacy"), [("en", "/en/privacy/"), ("zh-hans", "/privacy/")]
)
def test_the_confirmation_links_the_policy_in_the_readers_language(language, privacy):
    with translation.override("zh-hans" if language == "en" else "en"):
        message = mail_send(
            kind="submission_received",
            to="amy@example.com",
            language=language,
            context={"form_name": "Demo", "form": "demo"},
            actor=Actor.system("test"),
        )
    assert privacy + ("。" if language == "zh-hans" else ".") in message.body_text
    if language == "zh-hans":
        assert "/en/privacy/" not in message.body_text
