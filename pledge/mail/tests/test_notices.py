"""Notices the law requires reach everyone whose data is held (P14, P23)."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import formats, translation

from pledge.dates import site_date
from pledge.inventory.services import policy_publish
from pledge.mail.campaigns import (
    CampaignError,
    campaign_report,
    notice_acquisition,
    notice_policy,
    policy_versions_to_notice,
)
from pledge.mail.models import Campaign, CampaignKind, CampaignStatus
from pledge.mail.suppressions import address_suppress
from pledge.mail.tests.conftest import SYSTEM, subscriber
from pledge.people.services import person_create
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def held(email, **fields):
    return person_create(actor=SYSTEM, source="import", email=email, **fields)


def test_a_policy_notice_reaches_do_not_contact_but_not_a_suppressed_address(
    mail_server, versions, django_capture_on_commit_callbacks
):
    held("dnc@example.cn", do_not_contact=True, language="en")
    held("plain@example.cn", language="zh-hans")
    held("bounced@example.cn")
    address_suppress(email="bounced@example.cn", reason="bounce", actor=SYSTEM)
    held("", language="en")  # nothing to send to
    with django_capture_on_commit_callbacks(execute=True):
        campaign = notice_policy(version_number=versions.number, actor=SYSTEM)
    assert mail_server.recipients == ["dnc@example.cn", "plain@example.cn"]
    campaign.refresh_from_db()
    assert campaign.kind == CampaignKind.POLICY_NOTICE and campaign.status == CampaignStatus.SENT
    assert campaign.excluded == {"suppressed": 1, "no_address": 1}
    english = mail_server.to("dnc@example.cn")[0]
    text = english.get_body(("plain",)).get_content()
    assert "version 2" in str(english["Subject"])
    assert "Adds the newsletter" in text
    with translation.override("en"):  # the day it took effect, as the site's zone counts days
        day = formats.date_format(site_date(versions.published_at), "DATE_FORMAT")
    assert f"took effect on {day}" in " ".join(text.split())
    assert "https://www.example.test/en/privacy/diff/1/2/" in text
    assert "cannot be unsubscribed from" in text
    assert "/en/mail/preferences/" in text and "/mail/unsubscribe/" not in text
    # No one-click header: a mail program's button would take them off every list.
    assert english["List-Unsubscribe"] is None and english["List-Unsubscribe-Post"] is None
    chinese = mail_server.to("plain@example.cn")[0].get_body(("plain",)).get_content()
    assert "增加了新闻简报" in chinese


def test_a_notice_needs_manage_cases(mail_server, versions):
    with pytest.raises(PermissionDenied):
        notice_policy(version_number=versions.number, actor=Actor.visitor("form"))
    assert not Campaign.objects.exists()


def test_a_version_is_notified_once_and_only_if_material(mail_server, versions):
    assert [version.number for version in policy_versions_to_notice()] == [2, 1]
    notice_policy(version_number=2, actor=SYSTEM)
    assert [version.number for version in policy_versions_to_notice()] == [1]
    with pytest.raises(CampaignError):
        notice_policy(version_number=2, actor=SYSTEM)
    with pytest.raises(CampaignError):
        notice_policy(version_number=7, actor=SYSTEM)


def test_a_minor_version_is_not_notified(mail_server, versions, use_site):
    use_site.edit("A free periodic newsletter", "A free newsletter")
    minor = policy_publish(summary={"en": "wording"}, material=False, published_by="test")
    with translation.override("en"), pytest.raises(CampaignError, match="not a material change"):
        notice_policy(version_number=minor.number, actor=SYSTEM)


def test_an_acquisition_notice_names_the_acquirer(
    mail_server, versions, django_capture_on_commit_callbacks
):
    subscriber("reader@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = notice_acquisition(
            acquirer="Northwind Holdings",
            summary={"zh-hans": "您的数据将转移给新所有者。"},
            actor=SYSTEM,
        )
    received = mail_server.to("reader@example.cn")[0]
    assert "Northwind Holdings" in str(received["Subject"])
    assert "您的数据将转移给新所有者。" in received.get_body(("plain",)).get_content()
    report = campaign_report(campaign)
    assert report.total["sent"] == 1
    assert report.by_language["en"]["sent"] == 1 and report.by_language["zh-hans"]["sent"] == 0


def test_the_notice_command_sends_and_reports(mail_server, versions):
    held("someone@example.cn")
    out = io.StringIO()
    call_command("notice", "policy", "--version", "2", stdout=out)
    assert "1 queued" in out.getvalue()
    out = io.StringIO()
    with translation.override("en"):
        call_command("notice", "status", stdout=out)
    assert "Notice of policy version 2" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("notice", "policy", "--version", "2", stdout=io.StringIO())


def test_publishing_a_material_version_sends_its_notice(mail_server, use_site):
    held("someone@example.cn")
    out = io.StringIO()
    call_command("policy", "publish", "--material", "--summary", "第一版", "--by", "t", stdout=out)
    assert "1 queued" in out.getvalue()
    assert Campaign.objects.get().policy_version == 1
    use_site.edit("A free periodic newsletter", "A free newsletter")
    out = io.StringIO()
    call_command(
        "policy", "publish", "--material", "--summary", "二", "--no-notice", "--by", "t", stdout=out
    )
    assert "queued" not in out.getvalue() and Campaign.objects.count() == 1
