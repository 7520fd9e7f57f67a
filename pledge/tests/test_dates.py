"""Every date a person reads is the date in their zone: the site's (Asia/Shanghai) unless their
record says otherwise (an expert's own zone). Each test runs at 00:00:01 on 1 January 2027 in
Shanghai, when UTC still reads 16:00:01 on 31 December 2026, so a date taken from UTC shows a
day and a year early. (The case deadline and the demo's emails: cases and meetings tests.)"""

import io
import re
import zipfile
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from pledge.cases.reminders import case_reminders_send
from pledge.cases.services import case_assign, case_open
from pledge.cases.tests.seeding import deletion_case
from pledge.intake.activity import forms_activity
from pledge.intake.models import BlockedCount
from pledge.inventory.services import policy_publish
from pledge.mail.models import Message
from pledge.meetings.models import Expert
from pledge.meetings.scheduling import lead_slots, meeting_book, meetings_remind
from pledge.meetings.tests.conftest import make_expert
from pledge.meetings.tests.test_leads import request_demo
from pledge.people.models import Organization
from pledge.people.services import person_upsert
from pledge.tracking.identification import organization_networks_set, organizations_identified
from pledge.tracking.models import PageView
from pledge.tracking.queries import dashboard, range_parse
from pledge.tracking.rollups import rollups_refresh
from pledge.tracking.tests.test_identification import visit
from pledge.vault.actors import Actor
from pledge.web.tests.test_portal import ask_for_link, link_from, mei  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.clock, pytest.mark.usefixtures("local_new_year")]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def portal_url(mei, client, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    ask_for_link(client, mei.email, django_capture_on_commit_callbacks)
    return link_from(smtp_server.messages[-1])


def test_the_portal_and_the_download_are_dated_in_shanghai(client, portal_url):
    page = client.get(portal_url).text
    assert "2027-01-02 00:00" in page  # the link works for 24 hours
    download = client.post(portal_url + "download/")
    assert "my-data-20270101.zip" in download["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        readme = archive.read("README.txt").decode()
    assert "Made on 2027-01-01 00:00" in readme


def test_the_erasure_certificate_is_dated_in_shanghai(
    client, portal_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(portal_url + "erase/", {"confirm": "on"})
    certificate = Message.objects.get(kind="erasure_certificate").body_text
    assert "On 2027-01-01 00:00" in certificate and "2026-12-31" not in certificate


@pytest.fixture
def berlin_expert(db):
    expert = make_expert("berta")
    Expert.objects.filter(pk=expert.pk).update(time_zone="Europe/Berlin")
    return expert


def test_staff_read_times_in_their_own_zone(
    client, client_for, berlin_expert, administrator, privacy_officer
):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    lead = request_demo(client, "zones@example-co.cn")
    expert_page = client_for(berlin_expert.user).get(f"/en/console/leads/{lead.public_id}/").text
    assert "2026-12-31 17:00" in expert_page and "Times in Berlin UTC+01:00" in expert_page
    admin_page = client_for(administrator).get(f"/en/console/leads/{lead.public_id}/").text
    assert "2027-01-01 00:00" in admin_page and "Times in Beijing, Shanghai UTC+08:00" in admin_page
    case = case_open(
        kind="complaint",
        channel="email",
        actor=Actor.staff(privacy_officer),
        requester_email="a@b.cn",
    )
    case_page = client_for(privacy_officer).get(f"/en/console/cases/{case.public_id}/").text
    assert "2027-01-31 00:00" in case_page  # due in 30 days, on Shanghai's calendar


@pytest.fixture
def berlin_officer(privacy_officer):
    """A privacy officer working from Berlin: their console and their emails run in Berlin."""
    Expert.objects.create(user=privacy_officer, display_name="Pat", time_zone="Europe/Berlin")
    return privacy_officer


def test_what_a_berlin_officer_sends_the_person_is_dated_in_shanghai(
    client_for, berlin_officer, django_capture_on_commit_callbacks
):
    person, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="far@example-co.cn"
    )
    case = deletion_case(person, berlin_officer)
    console = client_for(berlin_officer)
    page = console.get(f"/en/console/cases/{case.public_id}/").text
    assert "Times in Berlin UTC+01:00" in page and "2027-01-30 17:00" in page  # due, in Berlin
    export = console.get(f"/en/console/cases/{case.public_id}/export/")
    assert "my-data-20270101.zip" in export["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert "Made on 2027-01-01 00:00" in archive.read("README.txt").decode()
    with django_capture_on_commit_callbacks(execute=True):
        console.post(
            f"/en/console/cases/{case.public_id}/", {"action": "erase", "confirm": "erase"}
        )
    certificate = Message.objects.get(kind="erasure_certificate").body_text  # in Chinese
    assert "2027-01-01 00:00" in certificate and "2026-12-31" not in certificate


def test_a_deadline_reminder_reads_in_its_owners_zone(berlin_officer, time_machine):
    case = case_open(
        kind="complaint",
        channel="email",
        actor=Actor.staff(berlin_officer),
        requester_email="a@b.cn",
    )
    case_assign(case=case, owner=berlin_officer, actor=Actor.staff(berlin_officer))
    time_machine.move_to(case.due_at, tick=False)
    case_reminders_send()
    reminder = Message.objects.get(kind="case_reminder").body_text  # in the staff's Chinese
    assert "须在 2027-01-30 17:00（柏林 UTC+01:00）之前答复" in reminder
    assert "（投诉）" in reminder  # the kind in the reader's language too


def test_a_demo_reminder_says_today_or_tomorrow_on_each_readers_calendar(
    client, berlin_expert, time_machine
):
    """10 hours before a demo at 16:00 in Shanghai (09:00 in Berlin), it is today in
    Shanghai and still yesterday evening in Berlin."""
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    lead = request_demo(client, "soon@example-co.cn")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    assert f"{meeting.starts_at.astimezone(BERLIN):%H:%M}" == "09:00"
    time_machine.move_to(meeting.starts_at - timedelta(hours=10), tick=False)
    assert meetings_remind() == 1
    subjects = {m.to: m.subject for m in Message.objects.filter(kind="meeting_reminder")}
    assert subjects == {
        "soon@example-co.cn": "Reminder: your Gonex demo is today",
        "berta@letsgonex.com": "提醒：您的 Gonex 演示在明天",  # the expert reads Chinese
    }


def test_day_counts_say_whose_days_they_are_when_the_reader_is_elsewhere(client_for, administrator):
    Expert.objects.create(user=administrator, display_name="Al", time_zone="Europe/Berlin")
    for path in (
        "/en/console/aggregates/",
        "/en/console/forms/",
        "/en/console/organizations/visiting/",
    ):
        page = client_for(administrator).get(path).text
        assert "midnight to midnight in Beijing, Shanghai UTC+08:00" in page
    Expert.objects.filter(user=administrator).update(time_zone="Asia/Shanghai")
    assert "midnight to midnight" not in client_for(administrator).get("/en/console/forms/").text


def test_the_booking_page_offers_times_in_shanghai(client, berlin_expert):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    lead = request_demo(client, "slots@example-co.cn")
    body = Message.objects.get(kind="booking_invitation").private_links["link"]
    page = client.get(re.search(r"(/en/demo/booking/[^/\s]+/)", body)[1]).text
    first = timezone.localtime(lead_slots(lead)[0][0].starts_at, timezone.get_default_timezone())
    # Without JavaScript to say the browser's zone, the grid is in the site's: each time button
    # names its Shanghai day and wall time.
    with translation.override("en"):
        day = f"{date_format(first, 'l')} {date_format(first, 'DATE_FORMAT')}"
    assert f'aria-label="{day} {first:%H:%M}"' in page
    assert 'value="Asia/Shanghai" selected' in page


def test_form_counts_fall_on_shanghai_days(administrator):
    BlockedCount.objects.create(day=date(2026, 12, 31), form="demo", reason="honeypot", count=5)
    BlockedCount.objects.create(day=date(2027, 1, 1), form="demo", reason="honeypot", count=1)
    today = forms_activity(actor=Actor.staff(administrator), days=1)
    assert today["refused"] == {"demo": {"honeypot": 1}}  # yesterday in Shanghai is not today
    assert (
        forms_activity(actor=Actor.staff(administrator), days=2)["refused"]["demo"]["honeypot"] == 6
    )


def test_an_organizations_visiting_days_are_shanghai_days(
    marketer, time_machine, impact_assessments
):
    """23:30 and 00:30 in Shanghai: two days there, one (31 December) in UTC or in Berlin,
    whose marketer's console runs in Berlin's zone."""
    acme = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")
    organization_networks_set(
        organization=acme, networks="203.0.113.0/24", actor=Actor.system("test")
    )
    for moment in ("2026-12-31T15:30:00+00:00", "2026-12-31T16:30:00+00:00"):
        time_machine.move_to(moment, tick=False)
        visit("/en/", "203.0.113.7")
    with timezone.override("Europe/Berlin"):
        [found] = organizations_identified(actor=Actor.staff(marketer), days=2)
    assert found.days == 2


def test_the_dashboards_days_are_shanghai_days_whoever_reads_them(marketer):
    PageView.objects.create(event_id="1" * 32, at=timezone.now(), path="/en/", visitor_hash="v")
    rollups_refresh()
    with timezone.override("Europe/Berlin"):  # a marketer whose console runs in Berlin
        report = dashboard(actor=Actor.staff(marketer), range=range_parse("today"))
    assert report.range.first.isoformat() == "2027-01-01"
    assert [point.views for point in report.series if point.views] == [1]
    assert report.series[0].label == "00:00"  # Shanghai's hours


def test_the_policy_is_dated_in_shanghai(client):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    assert "2027年1月1日" in client.get("/privacy/").text
    assert "Jan. 1, 2027" in client.get("/en/privacy/versions/").text
