"""The console's campaign and notice pages: marketing writes, checks and sends; the privacy
officer sends the notices the law requires (P13, P14, P23). The rules are the mail services';
these tests hold the pages to showing them, in the reader's language, without a raw code or a
recipient's whole address."""

import pytest
from django.test import Client

from pledge.mail.models import Campaign, CampaignKind, CampaignRecipient, CampaignStatus
from pledge.mail.tests import conftest as mail
from pledge.mail.tests.conftest import subscriber
from pledge.people.models import Organization
from pledge.people.optouts import do_not_contact_set
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

mail_server, versions = mail.mail_server, mail.versions

FORM = {
    "list_key": "newsletter",
    "name": "December news",
    "subject_zh_hans": "十二月新闻",
    "body_zh_hans": "# 新产品\n\n**工单系统**已发布。",
    "subject_en": "December news",
    "body_en": "# New product\n\nOur **ticketing** is out. [Read more](https://www.example.test/news)",
}


def written(client) -> Campaign:
    response = client.post("/en/console/campaigns/new/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Campaign.objects.get(name="December news")


def test_marketing_writes_checks_tries_and_sends_a_campaign(
    mail_server, versions, marketer, client_for, django_capture_on_commit_callbacks
):
    reader = subscriber("amy.lee@example-retail.com")
    subscriber("wang.fang@example-logistics.cn", language="zh-hans")
    blocked = subscriber("zhao.lei@blocked.example")
    blocked.organization = Organization.objects.create(domain="blocked.example")
    blocked.save()
    do_not_contact_set(organization=blocked.organization, value=True, actor=Actor.system("test"))
    client = client_for(marketer)
    campaign = written(client)

    page = client.get(f"/en/console/campaigns/{campaign.public_id}/").text
    assert "2 people, if sent now." in page
    assert "a***@example-retail.com" in page and reader.email not in page
    assert "their organisation asked not to be contacted" in page
    assert "do_not_contact" not in page and "organization_do_not_contact" not in page
    assert "Our **ticketing** is out" in page  # the plain-text part, as sent

    preview = client.get(f"/en/console/campaigns/{campaign.public_id}/preview/zh-hans/")
    assert "<strong>工单系统</strong>" in preview.text
    assert "style-src 'unsafe-inline'" in preview["Content-Security-Policy"]
    assert "script-src" not in preview["Content-Security-Policy"].replace("script-src 'self'", "")

    with django_capture_on_commit_callbacks(execute=True):
        tried = client.post(f"/en/console/campaigns/{campaign.public_id}/", {"action": "test"})
    assert "2 test emails sent to mia@letsgonex.com" in tried.text
    assert sorted(str(m["Subject"]) for m in mail_server.to("mia@letsgonex.com")) == [
        "[TEST] December news",
        "[测试] 十二月新闻",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/console/campaigns/{campaign.public_id}/", {"action": "start"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert sorted(CampaignRecipient.objects.values_list("person__email", flat=True)) == [
        "amy.lee@example-retail.com",
        "wang.fang@example-logistics.cn",
    ]
    report = client.get(f"/en/console/campaigns/{campaign.public_id}/").text
    assert "Report" in report and "Edit the draft" not in report
    assert "their organisation asked not to be contacted: 1" in report


def test_a_campaign_missing_a_language_is_refused_with_words_and_nothing_saved(
    marketer, client_for
):
    client = client_for(marketer)
    response = client.post("/en/console/campaigns/new/", {**FORM, "body_zh_hans": ""})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not Campaign.objects.exists()
    chinese = client.post("/console/campaigns/new/", {**FORM, "subject_en": ""})
    assert chinese.status_code == 400 and "这个字段是必填项。" in chinese.text


def test_a_sent_campaign_is_not_edited_and_a_stale_action_says_so(
    mail_server, versions, marketer, client_for, django_capture_on_commit_callbacks
):
    subscriber("amy.lee@example-retail.com")
    client = client_for(marketer)
    campaign = written(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/console/campaigns/{campaign.public_id}/", {"action": "start"})
    again = client.post(
        f"/en/console/campaigns/{campaign.public_id}/", {**FORM, "action": "save", "name": "X"}
    )
    assert again.status_code == 400
    assert "That action is not available for this campaign any more." in again.text
    campaign.refresh_from_db()
    assert campaign.name == "December news"
    resumed = client.post(f"/en/console/campaigns/{campaign.public_id}/", {"action": "resume"})
    assert resumed.status_code == 400 and "alert-error" in resumed.text


def test_the_privacy_officer_emails_an_acquisition_notice_even_to_who_asked_not_to_be_contacted(
    mail_server, versions, privacy_officer, client_for, django_capture_on_commit_callbacks
):
    person = subscriber("amy.lee@example-retail.com")
    do_not_contact_set(person=person, value=True, actor=Actor.system("test"))
    client = client_for(privacy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/console/notices/",
            {
                "action": "acquisition",
                "acquirer": "Example Holdings",
                "summary_zh_hans": "您的信息将由 Example Holdings 按本隐私政策持有。",
                "summary_en": "Example Holdings will hold your data under this privacy policy.",
            },
        )
    assert response.status_code == 302
    notice = Campaign.objects.get(kind=CampaignKind.ACQUISITION_NOTICE)
    (received,) = mail_server.to("amy.lee@example-retail.com")
    assert "Example Holdings" in received.get_body(("plain",)).get_content()
    page = client.get(f"/en/console/notices/{notice.public_id}/").text
    assert "Notice of an acquisition" in page
    assert client.get("/en/console/notices/").status_code == 200

    # The site shows it too, to every visitor, in their language (P14).
    visitor = Client()
    assert "is being acquired by Example Holdings" in visitor.get("/en/").text
    shown = visitor.get("/privacy/acquisition/").text
    assert "您的信息将由 Example Holdings 按本隐私政策持有。" in shown


def test_without_an_acquisition_the_site_shows_no_notice(client):
    assert "site-notice" not in client.get("/en/").text
    assert client.get("/en/privacy/acquisition/").status_code == 404


def test_an_acquisition_notice_without_its_words_is_refused_in_the_readers_language(
    privacy_officer, client_for
):
    response = client_for(privacy_officer).post(
        "/console/notices/", {"action": "acquisition", "acquirer": "", "summary_en": "x"}
    )
    assert response.status_code == 400
    assert "这个字段是必填项。" in response.text
    assert not Campaign.objects.exists()


def test_a_bad_version_on_the_notices_page_gets_a_sentence_not_a_python_error(
    privacy_officer, client_for
):
    for version in ("abc", "", "99"):
        response = client_for(privacy_officer).post(
            "/en/console/notices/", {"action": "policy", "version": version}
        )
        assert response.status_code == 400
        assert "invalid literal" not in response.text
        assert (
            "Choose a published version of the policy." in response.text
            or "There is no policy version 99." in response.text
        )


def test_without_a_mail_server_the_page_says_so_and_sends_nothing(
    settings, versions, marketer, client_for
):
    settings.EMAIL_BACKEND = "pledge.mail.backends.OutboxBackend"
    subscriber("amy.lee@example-retail.com")
    client = client_for(marketer)
    campaign = written(client)
    page = client.get(f"/en/console/campaigns/{campaign.public_id}/").text
    assert "No mail server is configured (EMAIL_URL)" in page
    refused = client.post(f"/en/console/campaigns/{campaign.public_id}/", {"action": "start"})
    assert refused.status_code == 400 and "set EMAIL_URL" in refused.text
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not CampaignRecipient.objects.exists()
