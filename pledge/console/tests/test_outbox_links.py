"""No stored copy of an email holds a live private link (security finding 1, High).

A portal, booking, guardian or newsletter link is a password: whoever holds it acts as the
person. Support reads the outbox, so the outbox, the timeline and the stored bodies show that a
link was sent, never the link. With a mail server the link leaves with the message and is
forgotten; with the embedded outbox (no mail server) only the administrator may read the
recipient's copy, under a banner, and each opening is audited.
"""

import importlib
import re

import pytest
from django.apps import apps as django_apps

from pledge.logs import TOKEN
from pledge.mail.models import Message, MessageStatus
from pledge.mail.services import message_deliver
from pledge.meetings.tests import conftest as meetings
from pledge.meetings.tests.test_leads import request_demo
from pledge.web.tests import test_portal
from pledge.web.tests.test_portal import EMAIL, ask_for_link, human, link_from

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

# The fixtures these journeys start from, as their own modules define them.
mei, policy, expert = test_portal.mei, meetings.policy, meetings.expert

PORTAL_LINK = re.compile(r"/privacy/my-data/[A-Za-z0-9_\-.:]{40,}/")


@pytest.fixture
def held_mail(settings):
    """The embedded default: no mail server, the outbox stands in for the mailboxes."""
    settings.EMAIL_BACKEND = "pledge.mail.backends.OutboxBackend"


def stored_text(message: Message) -> str:
    return " ".join([message.subject, message.body_text, message.body_html, str(message.headers)])


def test_support_cannot_open_anyones_portal_from_the_outbox(
    mei, client, client_for, support, held_mail, django_capture_on_commit_callbacks
):
    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks)
    message = Message.objects.get(kind="portal_link")
    assert message.status == MessageStatus.HELD
    link = message.private_links["link"]
    assert PORTAL_LINK.search(link)  # the recipient's copy still has it (the demo follows it)
    assert link not in stored_text(message) and not TOKEN.search(stored_text(message))

    staff = client_for(support)
    listing = staff.get("/en/console/outbox/").text
    page = staff.get(f"/en/console/outbox/{message.public_id}/").text
    for shown in (listing, page):
        assert not PORTAL_LINK.search(shown) and link not in shown
    assert "a private link, in the recipient" in page
    assert "Open the recipient" not in page
    assert staff.get(f"/en/console/outbox/{message.public_id}/delivered/").status_code == 403


def test_the_administrator_alone_reads_the_recipients_copy_while_mail_stays_here(
    mei,
    client,
    client_for,
    administrator,
    privacy_officer,
    held_mail,
    django_capture_on_commit_callbacks,
):
    from pledge.vault.models import AuditEntry

    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks)
    message = Message.objects.get(kind="portal_link")
    url = f"/en/console/outbox/{message.public_id}/delivered/"
    page = client_for(administrator).get(url).text
    assert message.private_links["link"] in page
    assert "this outbox stands in for the recipients" in page
    assert AuditEntry.objects.filter(
        action="mail.delivered_copy_viewed", object_id=str(message.public_id)
    ).exists()
    assert client_for(privacy_officer).get(url).status_code == 403
    # The copy the administrator reads opens the portal, as the recipient's would.
    path = PORTAL_LINK.search(message.private_links["link"])[0]
    assert client.get(f"/en{path}").status_code == 200


def test_with_a_mail_server_the_link_leaves_with_the_message_and_no_copy_stays(
    mei, client, client_for, administrator, smtp_server, django_capture_on_commit_callbacks
):
    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks)
    received = link_from(smtp_server.messages[-1])
    html = smtp_server.messages[-1].get_body(("html",)).get_content()
    assert received in html  # the HTML part carries the same link, in its href
    message = Message.objects.get(kind="portal_link")
    assert message.status == MessageStatus.SENT and message.private_links == {}
    assert received not in stored_text(message)
    page = client_for(administrator).get(f"/en/console/outbox/{message.public_id}/delivered/")
    assert page.status_code == 200 and received not in page.text
    assert "no copy of them is kept here" in page.text
    assert client.get(received).status_code == 200  # the recipient's link works


def test_every_link_carrying_email_stores_no_token(
    mei, client, policy, expert, held_mail, django_capture_on_commit_callbacks
):
    """A portal link, a newsletter confirmation and a booking invitation, all held here."""
    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/en/newsletter/",
            {"email": "reader@example.cn", "lists": ["newsletter"], **human()},
        )
    with django_capture_on_commit_callbacks(execute=True):
        request_demo(client, "booker@example-co.cn")
    kinds = {"portal_link", "subscription_confirm", "booking_invitation"}
    messages = list(Message.objects.filter(kind__in=kinds))
    assert {message.kind for message in messages} == kinds
    for message in messages:
        assert message.private_links["link"].startswith("http")
        assert not TOKEN.search(stored_text(message)), message.kind


def test_mail_stored_before_the_change_loses_its_links(django_capture_on_commit_callbacks):
    """The data migration: a held message keeps its link apart, a sent one keeps none."""
    migration = importlib.import_module("pledge.mail.migrations.0005_private_links_out_of_bodies")
    link = "https://letsgonex.com/en/privacy/my-data/" + "A" * 43 + "/"
    common = {"kind": "portal_link", "language": "en", "to": "x@example.cn", "subject": "s"}
    held = Message.objects.create(
        **common, body_text=f"Open:\n{link}\nBye", status=MessageStatus.HELD
    )
    sent = Message.objects.create(
        **common,
        body_text=f"Open:\n{link}\n",
        body_html=f'<a href="{link}">x</a>',
        status=MessageStatus.SENT,
    )
    email_link = link + "email/"
    queued = Message.objects.create(
        **common, body_text=f"Confirm:\n{email_link}\n", status=MessageStatus.QUEUED
    )
    migration.links_separate(django_apps, None)
    held.refresh_from_db()
    sent.refresh_from_db()
    queued.refresh_from_db()
    assert held.private_links == {"link": link} and link not in held.body_text
    assert "[pledge-private-link:link]" in held.body_text
    assert sent.private_links == {} and link not in sent.body_text + sent.body_html
    # Not sent yet: it leaves with its whole link, the part after the token included.
    assert queued.private_links == {"link": email_link}
    assert queued.body_text == "Confirm:\n[pledge-private-link:link]\n"


def test_a_message_whose_link_is_gone_is_never_sent_without_it(smtp_server):
    message = Message.objects.create(
        kind="portal_link",
        language="en",
        to="x@example.cn",
        subject="s",
        body_text="Open [pledge-private-link:link]",
    )
    assert message_deliver(message.pk) == MessageStatus.FAILED
    assert smtp_server.messages == []
