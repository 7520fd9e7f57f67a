"""Campaigns reach exactly the people allowed, once each, over real SMTP (P01, P13, P17, P23)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from pledge.mail import campaigns
from pledge.mail.campaigns import (
    CampaignError,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_recipient_by_message_id,
    campaign_render,
    campaign_report,
    campaign_resume,
    campaign_send_batch,
    campaign_start,
    campaign_test_send,
    campaign_update,
    campaigns_list,
    campaigns_wake,
)
from pledge.mail.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
)
from pledge.mail.suppressions import address_suppress
from pledge.mail.tests.conftest import SYSTEM, subscriber
from pledge.people.models import ConsentMethod, Organization
from pledge.people.optouts import do_not_contact_set
from pledge.people.registry import registry_erase
from pledge.people.services import consent_record
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.clock, pytest.mark.django_db, pytest.mark.usefixtures("english")]

TEXTS = {
    "subject": {"zh-hans": "十一月简报", "en": "November news"},
    "body": {
        "zh-hans": "# 你好\n\n请看[我们的网站](https://www.example.test/)。",
        "en": "# Hello\n\nSee [our site](https://www.example.test/) and ![a pixel](https://tracker.example/p.gif).",
    },
}


def draft(name="November", list_key="newsletter", **texts):
    return campaign_create(actor=SYSTEM, list_key=list_key, name=name, **{**TEXTS, **texts})


def start(campaign, capture):
    with capture(execute=True):
        return campaign_start(campaign=campaign, actor=SYSTEM)


def unsubscribe_url(message) -> str:
    header = str(message["List-Unsubscribe"])
    https = [part.strip(" <>") for part in header.split(",") if "https://" in part]
    return urlsplit(https[0]).path


# --- The done-when case --------------------------------------------------------------------


def test_a_campaign_reaches_exactly_the_allowed_people_and_one_click_stops_the_next(
    mail_server, versions, django_capture_on_commit_callbacks
):
    allowed = subscriber("allowed@example.cn")
    blocked = Organization.objects.create(domain="blocked-org.cn", name="Blocked")
    subscriber("colleague@blocked-org.cn", organization=blocked)
    do_not_contact_set(value=True, actor=SYSTEM, organization=blocked)
    asked = subscriber("asked@example.cn")
    do_not_contact_set(value=True, actor=SYSTEM, person=asked)
    subscriber("bounced@example.cn")
    address_suppress(email="Bounced@Example.cn", reason="bounce", actor=SYSTEM)
    erased = subscriber("erased@example.cn")
    with transaction.atomic():
        registry_erase(erased)
    withdrew = subscriber("withdrew@example.cn")
    consent_record(
        person=withdrew,
        subject="list:newsletter",
        granted=False,
        text="I withdraw my consent.",
        language="en",
        method=ConsentMethod.PORTAL,
        actor=SYSTEM,
    )
    subscriber("older@example.cn", version=1)

    campaign = draft()
    audience = campaign_audience(campaign)
    assert audience.count == 1 and audience.sample == [allowed]
    # The erased person left nothing to send to, nor a subscription to count.
    assert audience.excluded == {
        "asked not to be contacted": 1,
        "their organisation asked not to be contacted": 1,
        "address bounced or complained": 1,
        "withdrew consent": 1,
        "consent given under a policy version that did not declare this use": 1,
    }
    assert start(campaign, django_capture_on_commit_callbacks) == 1

    assert mail_server.recipients == ["allowed@example.cn"]
    received = mail_server.messages[0]
    assert received["Subject"] == "November news"
    # The policy says links go straight where they say: the written address, not a redirect.
    assert 'href="https://www.example.test/"' in received.get_body(("html",)).get_content()
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Precedence"] == "bulk"
    assert received["Auto-Submitted"] is None
    assert "mailto:service@letsgonex.com?subject=unsubscribe%20" in received["List-Unsubscribe"]
    assert "<newsletter.letsgonex.com>" in received["List-Id"]
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert received["Message-ID"].strip().startswith(f"<c.{campaign.public_id.hex}.r.{row.pk}.")
    assert campaign_recipient_by_message_id(received["Message-ID"]) == row
    # Its seal is keyed: the next recipient's id with this seal, or no seal, names no one.
    forged = received["Message-ID"].replace(f".r.{row.pk}.", f".r.{row.pk + 1}.")
    assert campaign_recipient_by_message_id(forged) is None
    assert campaign_recipient_by_message_id(f"<c.{campaign.public_id.hex}.r.{row.pk}@x>") is None
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at
    assert row.status == RecipientStatus.SENT and row.sent_at

    # RFC 8058: the mail client posts, with no cookie, no CSRF token, no confirmation.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(received), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    row.refresh_from_db()
    assert row.unsubscribed_at is not None
    assert campaign_report(campaign).total["unsubscribed"] == 1

    second = draft(name="December")
    assert start(second, django_capture_on_commit_callbacks) == 0
    assert len(mail_server.messages) == 1
    second.refresh_from_db()
    assert second.status == CampaignStatus.SENT
    assert second.excluded.get("unsubscribed") == 1


# --- Drafts --------------------------------------------------------------------------------


def test_a_campaign_needs_a_declared_list_and_both_languages():
    with pytest.raises(CampaignError, match="mailing lists the inventory declares"):
        draft(list_key="nonsense")
    with pytest.raises(CampaignError, match="简体中文"):
        draft(subject={"en": "Only English"})
    campaign = draft()
    assert campaign.status == CampaignStatus.DRAFT
    assert AuditEntry.objects.filter(action="campaign.created").exists()


def test_an_outsider_may_not_write_or_start_campaigns(mail_server, versions):
    outsider = Actor.visitor("form")
    with pytest.raises(PermissionDenied):
        campaign_create(actor=outsider, list_key="newsletter", name="x", **TEXTS)
    campaign = draft()
    with pytest.raises(PermissionDenied):
        campaign_start(campaign=campaign, actor=outsider)
    with pytest.raises(PermissionDenied):
        campaigns_list(actor=outsider)


def test_only_a_draft_is_updated_or_started(
    mail_server, versions, django_capture_on_commit_callbacks
):
    campaign = draft()
    campaign = campaign_update(
        campaign=campaign,
        actor=SYSTEM,
        name="Renamed",
        subject=TEXTS["subject"],
        body=TEXTS["body"],
    )
    assert campaign.name == "Renamed"
    start(campaign, django_capture_on_commit_callbacks)
    with pytest.raises(CampaignError):
        campaign_update(campaign=campaign, actor=SYSTEM, name="x", **TEXTS)
    with pytest.raises(CampaignError):
        campaign_start(campaign=campaign, actor=SYSTEM)


def test_campaigns_list_newest_first():
    first, second = draft(name="first"), draft(name="second")
    assert list(campaigns_list(actor=SYSTEM))[:2] == [second, first]


# --- Rendering -----------------------------------------------------------------------------


def test_the_body_is_safe_html_with_no_image_and_a_footer_in_the_readers_language():
    campaign = draft()
    english = campaign_render(campaign, "en")
    assert "<h1" in english.html and "our site" in english.html
    assert "<img" not in english.html and "tracker.example" not in english.html
    assert "<style" not in english.html and 'style="' in english.html  # CSS inlined
    assert "Gonex newsletter" in english.html and "Unsubscribe" in english.html
    assert campaigns.UNSUBSCRIBE_PLACEHOLDER in english.html
    assert "our site (https://www.example.test/)" in english.text
    assert "Gonex newsletter" in english.text and campaigns.PREFERENCES_PLACEHOLDER in english.text
    chinese = campaign_render(campaign, "zh-hans")
    assert "Gonex 新闻简报" in chinese.html and chinese.subject == "十一月简报"


def test_script_and_foreign_links_are_removed():
    body = {
        "zh-hans": "正文",
        "en": '<script>alert(1)</script> [x](javascript:alert(1)) <img src="https://t.example/a.gif">',
    }
    html = campaign_render(draft(body=body), "en").html
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html  # left as text, never a link


def test_a_test_send_goes_once_per_language_marked_as_a_test(mail_server):
    campaign = draft()
    assert campaign_test_send(campaign=campaign, actor=SYSTEM, to="staff@letsgonex.com") == 2
    subjects = sorted(str(message["Subject"]) for message in mail_server.messages)
    assert subjects == ["[TEST] November news", "[测试] 十一月简报"]
    assert not CampaignRecipient.objects.exists()


def test_the_person_gets_the_campaign_in_their_language(
    mail_server, versions, django_capture_on_commit_callbacks
):
    subscriber("zh@example.cn", language="zh-hans")
    subscriber("en@example.cn", language="en")
    start(draft(), django_capture_on_commit_callbacks)
    assert str(mail_server.to("zh@example.cn")[0]["Subject"]) == "十一月简报"
    assert str(mail_server.to("en@example.cn")[0]["Subject"]) == "November news"
    english = mail_server.to("en@example.cn")[0].get_body(("plain",)).get_content()
    assert "/en/mail/preferences/" in english


def test_the_text_stays_as_written_around_the_links(
    mail_server, versions, django_capture_on_commit_callbacks
):
    """Only the link placeholders are filled in: a word of the text that happens to name a
    link's parts (a token) is left as marketing wrote it."""
    subscriber("en@example.cn", language="en")
    body = {**TEXTS["body"], "en": "# Hello\n\nYour access token is in the app."}
    start(draft(body=body), django_capture_on_commit_callbacks)
    english = mail_server.to("en@example.cn")[0].get_body(("plain",)).get_content()
    assert "Your access token is in the app." in english


# --- Crashes, pause, cancel ----------------------------------------------------------------


def queued_campaign(count=3):
    people = [subscriber(f"p{index}@example.cn") for index in range(count)]
    campaign = draft()
    campaign_start(campaign=campaign, actor=SYSTEM)  # its task never runs: on_commit not run
    return campaign, people


def test_a_row_left_sending_by_a_dead_worker_is_interrupted_and_never_sent(mail_server, versions):
    campaign, people = queued_campaign()
    dead = CampaignRecipient.objects.get(campaign=campaign, person=people[0])
    CampaignRecipient.objects.filter(pk=dead.pk).update(
        status=RecipientStatus.SENDING, claimed_at=timezone.now() - timedelta(minutes=30)
    )
    campaign_send_batch(campaign.pk)
    campaign_send_batch(campaign.pk)
    dead.refresh_from_db()
    assert dead.status == RecipientStatus.INTERRUPTED
    assert mail_server.recipients == ["p1@example.cn", "p2@example.cn"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign_report(campaign).total["interrupted"] == 1


def test_a_row_another_worker_is_sending_is_left_to_it(mail_server, versions):
    campaign, people = queued_campaign()
    live = CampaignRecipient.objects.get(campaign=campaign, person=people[0])
    CampaignRecipient.objects.filter(pk=live.pk).update(
        status=RecipientStatus.SENDING, claimed_at=timezone.now()
    )
    campaign_send_batch(campaign.pk)
    live.refresh_from_db()
    assert live.status == RecipientStatus.SENDING
    assert "p0@example.cn" not in mail_server.recipients
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING  # not sent while one is in flight


def test_running_the_batch_twice_sends_nobody_twice(mail_server, versions):
    campaign, _people = queued_campaign()
    assert campaign_send_batch(campaign.pk) == 3
    assert campaign_send_batch(campaign.pk) == 0
    assert mail_server.recipients == ["p0@example.cn", "p1@example.cn", "p2@example.cn"]


def test_one_run_sends_a_few_seconds_worth_at_the_rate_and_leaves_the_rest(
    mail_server, versions, settings, monkeypatch
):
    """A campaign never holds the worker long: other mail (a portal link) waits seconds."""
    settings.PLEDGE_CAMPAIGN_RATE = 1200  # 20 a second: one 0.1 s run takes 2 rows
    monkeypatch.setattr(campaigns, "BATCH_SECONDS", 0.1)
    campaign, _people = queued_campaign()
    assert campaign_send_batch(campaign.pk) == 2
    assert campaign.recipients.filter(status=RecipientStatus.QUEUED).count() == 1
    assert campaign_send_batch(campaign.pk) == 1


def test_a_message_that_cannot_be_built_goes_back_to_the_queue_and_the_run_stops(
    mail_server, versions, settings
):
    """A DKIM key gone missing sends nothing: the rows wait (not interrupted, not failed), and
    the run stops after a few instead of using up the whole campaign."""
    settings.PLEDGE_DKIM_KEY_FILE = "/nonexistent/dkim.pem"
    settings.PLEDGE_DKIM_SELECTOR = "pledge"
    campaign, _people = queued_campaign(count=5)
    assert campaign_send_batch(campaign.pk) == 0
    assert mail_server.messages == []
    statuses = list(campaign.recipients.values_list("status", flat=True))
    assert statuses == [RecipientStatus.QUEUED] * 5
    settings.PLEDGE_DKIM_KEY_FILE = ""  # mended: the same rows leave, once each
    assert campaign_send_batch(campaign.pk) == 5
    assert len(mail_server.messages) == 5


def test_the_rate_holds_across_runs(mail_server, versions):
    """At one message a minute, a second run straight after the first sends nothing yet."""
    campaign, _people = queued_campaign(count=2)
    Campaign.objects.filter(pk=campaign.pk).update(rate_per_minute=1)
    assert campaign_send_batch(campaign.pk) == 1
    assert campaign_send_batch(campaign.pk) == 0
    assert len(mail_server.messages) == 1
    assert campaign.recipients.filter(status=RecipientStatus.QUEUED).count() == 1


def test_pause_stops_after_the_current_message_and_resume_goes_on(
    mail_server, versions, monkeypatch, django_capture_on_commit_callbacks
):
    campaign, _people = queued_campaign()
    real_send = campaigns.recipient_send

    def send_then_pause(*args, **kwargs):
        sent = real_send(*args, **kwargs)
        if campaign.status == CampaignStatus.SENDING:
            campaign_pause(campaign=campaign, actor=SYSTEM)
        return sent

    monkeypatch.setattr(campaigns, "recipient_send", send_then_pause)
    campaign_send_batch(campaign.pk)
    assert len(mail_server.messages) == 1
    assert campaign_send_batch(campaign.pk) == 0  # paused: nothing leaves
    monkeypatch.setattr(campaigns, "recipient_send", real_send)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign, actor=SYSTEM)
    assert len(mail_server.messages) == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_cancel_marks_the_waiting_rows_cancelled(mail_server, versions):
    campaign, _people = queued_campaign()
    campaign = campaign_cancel(campaign=campaign, actor=SYSTEM)
    assert campaign_send_batch(campaign.pk) == 0
    assert mail_server.messages == []
    report = campaign_report(campaign)
    assert report.total["cancelled"] == 3 and report.by_language["en"]["cancelled"] == 3
    with pytest.raises(CampaignError):
        campaign_resume(campaign=campaign, actor=SYSTEM)


def test_someone_who_unsubscribes_or_bounces_after_the_start_is_skipped(mail_server, versions):
    campaign, people = queued_campaign()
    from pledge.mail.subscriptions import subscriptions_unsubscribe

    subscriptions_unsubscribe(person=people[0], actor=SYSTEM, method=ConsentMethod.STAFF)
    address_suppress(email="p1@example.cn", reason="complaint", actor=SYSTEM)
    campaign_send_batch(campaign.pk)
    assert mail_server.recipients == ["p2@example.cn"]
    assert campaign_report(campaign).total["skipped"] == 2


def test_a_lost_task_is_woken_by_the_periodic_job(mail_server, versions, time_machine):
    campaign, _people = queued_campaign()
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    with translation.override("en"):
        assert campaigns_wake() == 1
    assert len(mail_server.messages) == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_the_report_counts_by_language(mail_server, versions, django_capture_on_commit_callbacks):
    subscriber("zh@example.cn", language="zh-hans")
    subscriber("en@example.cn")
    campaign = draft()
    start(campaign, django_capture_on_commit_callbacks)
    report = campaign_report(campaign)
    assert report.total["sent"] == 2
    assert report.by_language["zh-hans"]["sent"] == 1 and report.by_language["en"]["sent"] == 1


def test_without_a_mail_server_a_campaign_does_not_start(settings, versions):
    settings.EMAIL_BACKEND = "pledge.mail.backends.OutboxBackend"
    campaign = draft()
    with pytest.raises(CampaignError, match="EMAIL_URL"):
        campaign_start(campaign=campaign, actor=SYSTEM)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not Campaign.objects.exclude(status=CampaignStatus.DRAFT).exists()


def test_no_email_template_of_any_app_carries_an_image():
    """The policy says our emails carry no tracking image: no template can add one, and the
    campaign's Markdown loses every image (above)."""
    from pathlib import Path

    import pledge

    templates = list(Path(pledge.__file__).parent.glob("*/templates/mail/*"))
    assert len(templates) > 20
    assert [path.name for path in templates if "<img" in path.read_text().lower()] == []
