"""Every date a person reads is the date in their zone: the site's (Asia/Shanghai) unless their
record says otherwise (an expert's own zone). Each test runs at 00:00:01 on 1 January 2027 in
Shanghai, when UTC still reads 16:00:01 on 31 December 2026, so a date taken from UTC shows a
day and a year early. (The case deadline and the demo's emails: cases and meetings tests.)"""

import io
import re
import zipfile
from datetime import date

import pytest
from django.utils import timezone

from pledge.cases.services import case_open
from pledge.intake.activity import forms_activity
from pledge.intake.models import BlockedCount
from pledge.inventory.services import policy_publish
from pledge.mail.models import Message
from pledge.meetings.models import Expert
from pledge.meetings.scheduling import lead_slots
from pledge.meetings.tests.conftest import make_expert
from pledge.meetings.tests.test_leads import request_demo
from pledge.people.models import Organization
from pledge.tracking.identification import organisations_identified, organization_networks_set
from pledge.tracking.models import PageView
from pledge.tracking.queries import aggregates
from pledge.tracking.rollups import rollups_refresh
from pledge.tracking.tests.test_identification import visit
from pledge.vault.access import SYSTEM
from pledge.web.tests.test_portal import ask_for_link, link_from, mei  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.clock, pytest.mark.usefixtures("local_new_year")]


@pytest.fixture
def portal_url(mei, client, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    ask_for_link(client, mei.email, django_capture_on_commit_callbacks)
    return link_from(smtp_server.messages[-1])


def test_the_portal_and_the_download_are_dated_in_shanghai(client, portal_url):
    page = client.get(portal_url).text
    assert "2027-01-02 00:00" in page  # the link works for 24 hours
    download = client.post(portal_url + "download/")
    assert "gonex-my-data-20270101.zip" in download["Content-Disposition"]
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
    assert "2026-12-31 17:00" in expert_page and "Times in Europe/Berlin" in expert_page
    admin_page = client_for(administrator).get(f"/en/console/leads/{lead.public_id}/").text
    assert "2027-01-01 00:00" in admin_page and "Times in Asia/Shanghai" in admin_page
    case = case_open(
        kind="complaint", channel="email", actor=privacy_officer, requester_email="a@b.cn"
    )
    case_page = client_for(privacy_officer).get(f"/en/console/cases/{case.public_id}/").text
    assert "2027-01-31 00:00" in case_page  # due in 30 days, on Shanghai's calendar


def test_the_booking_page_offers_times_in_shanghai(client, berlin_expert):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    lead = request_demo(client, "slots@example-co.cn")
    body = Message.objects.get(kind="booking_invitation").body_text
    page = client.get(re.search(r"(/en/demo/booking/[^/\s]+/)", body)[1]).text
    first = timezone.localtime(lead_slots(lead)[0][0].starts_at, timezone.get_default_timezone())
    assert f"{first:%Y-%m-%d %H:%M}" in page and "Asia/Shanghai" in page


def test_form_counts_fall_on_shanghai_days(administrator):
    BlockedCount.objects.create(day=date(2026, 12, 31), form="demo", reason="honeypot", count=5)
    BlockedCount.objects.create(day=date(2027, 1, 1), form="demo", reason="honeypot", count=1)
    today = forms_activity(actor=administrator, days=1)
    assert today["refused"] == {"demo": {"honeypot": 1}}  # yesterday in Shanghai is not today
    assert forms_activity(actor=administrator, days=2)["refused"]["demo"]["honeypot"] == 6


def test_an_organisations_visiting_days_are_shanghai_days(marketer, time_machine):
    """23:30 and 00:30 in Shanghai: two days there, one (31 December) in UTC or in Berlin,
    whose marketer's console runs in Berlin's zone."""
    acme = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")
    organization_networks_set(organization=acme, networks="203.0.113.0/24", actor=SYSTEM)
    for moment in ("2026-12-31T15:30:00+00:00", "2026-12-31T16:30:00+00:00"):
        time_machine.move_to(moment, tick=False)
        visit("/en/", "203.0.113.7")
    with timezone.override("Europe/Berlin"):
        [found] = organisations_identified(actor=marketer, days=2)
    assert found.days == 2


def test_the_dashboards_days_are_shanghai_days_whoever_reads_them(marketer):
    PageView.objects.create(event_id="1" * 32, at=timezone.now(), path="/en/", visitor_hash="v")
    rollups_refresh()
    with timezone.override("Europe/Berlin"):  # a marketer whose console runs in Berlin
        report = aggregates(actor=marketer, days=1)
    assert [row.value for row in report.totals] == ["2027-01-01"]


def test_the_policy_is_dated_in_shanghai(client):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    assert "2027年1月1日" in client.get("/privacy/").text
    assert "2027" in client.get("/en/privacy/versions/").text
