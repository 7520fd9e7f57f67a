"""The banner's choices are honoured and provable (P09, P17): one click each way, GPC honoured."""

import json

import pytest
from django.test import Client

from pledge.tracking import declarations
from pledge.tracking.models import ConsentMethod, ConsentRecord
from pledge.tracking.tests.conftest import consenting_client, cookies_of
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_a_first_visit_shows_the_banner_and_sets_no_cookie():
    client = Client()
    for path in ("/", "/en/", "/en/cookie-settings/"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies, (path, list(response.cookies))  # P09, SECURITY.md P1
    page = client.get("/en/").content.decode()
    assert (
        'id="consent-banner"' in page
        and 'id="consent-banner" class="consent-banner" aria-labelledby="consent-title" hidden'
        not in page
    )
    assert 'value="accept_all"' in page and 'value="reject_all"' in page


def test_accepting_all_is_recorded_with_the_banner_text_shown():
    client = consenting_client("accept_all")
    cookies = cookies_of(client)
    assert set(cookies) == {"pledge_consent", "pledge_visitor"}
    record = ConsentRecord.objects.get()
    assert record.method == ConsentMethod.ACCEPT_ALL
    assert record.choices == {"analytics": True, "marketing": True}
    assert record.visitor_key == cookies["pledge_visitor"]
    assert record.language == "en"
    assert "Accept all" in record.banner_text.text and "pledge_visitor" in record.banner_text.text
    assert len(record.banner_text.hash) == 64
    assert record.declarations_hash == declarations.cookie_declarations_hash()
    assert (record.expires_at - record.created_at).days == 365
    assert AuditEntry.objects.filter(action="consent.recorded").count() == 1
    # The banner is gone on the next page; the choice came from one click.
    assert 'aria-labelledby="consent-title" hidden' in client.get("/en/").content.decode()


def test_rejecting_all_is_one_click_and_kept_a_shorter_time():
    client = consenting_client("reject_all")
    assert set(cookies_of(client)) == {"pledge_consent"}
    record = ConsentRecord.objects.get()
    assert record.choices == {"analytics": False, "marketing": False}
    assert (record.expires_at - record.created_at).days == 180
    consent_cookie = client.cookies["pledge_consent"]
    assert consent_cookie["max-age"] == 180 * 86400
    assert consent_cookie["samesite"] == "Lax" and consent_cookie["httponly"]


def test_choosing_by_category():
    client = consenting_client("choose", categories=["marketing"])
    assert set(cookies_of(client)) == {"pledge_consent"}
    assert ConsentRecord.objects.get().choices == {"analytics": False, "marketing": True}


def test_withdrawing_is_as_easy_as_giving_and_removes_the_visitor_cookie():
    client = consenting_client("accept_all")
    response = client.post(
        "/en/consent/",
        {"decision": "withdraw", "next": "/en/cookie-settings/"},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 303
    assert response.cookies["pledge_visitor"]["max-age"] == 0
    first, second = ConsentRecord.objects.order_by("created_at", "id")
    assert second.method == ConsentMethod.WITHDRAW and second.granted == []
    assert second.consent_id == first.consent_id  # the same browser's history, as a chain
    assert second.visitor_key == ""


def test_a_choice_posted_from_another_site_is_refused():
    client = Client()
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {}):
        response = client.post("/en/consent/", {"decision": "accept_all"}, **headers)
        assert response.status_code == 403
    assert not ConsentRecord.objects.exists()
    assert not client.cookies


def test_global_privacy_control_is_a_refusal_of_analytics_and_marketing():
    client = Client(HTTP_SEC_GPC="1")
    page = client.get("/en/").content.decode()
    assert 'aria-labelledby="consent-title" hidden' in page  # nothing left to ask
    client.post(
        "/en/consent/", {"decision": "accept_all", "next": "/en/"}, HTTP_ORIGIN="http://testserver"
    )
    record = ConsentRecord.objects.get()
    assert record.privacy_signal and record.granted == []
    assert "pledge_visitor" not in cookies_of(client)


def test_do_not_track_is_honoured_too():
    client = consenting_client("accept_all")
    response = client.get("/en/", HTTP_DNT="1")
    assert response.cookies["pledge_visitor"]["max-age"] == 0  # deleted on the next page


def test_a_forged_consent_cookie_counts_as_no_choice():
    client = consenting_client("reject_all")
    value = client.cookies["pledge_consent"].value
    client.cookies["pledge_consent"] = value.replace(".-.", ".am.", 1)
    page = client.get("/en/").content.decode()
    assert 'aria-labelledby="consent-title" hidden' not in page


def test_the_banner_asks_again_when_the_cookie_declarations_change(monkeypatch):
    client = consenting_client("accept_all")
    monkeypatch.setattr(declarations, "cookie_declarations_hash", lambda: "0" * 16)
    response = client.get("/en/")
    assert 'aria-labelledby="consent-title" hidden' not in response.content.decode()
    assert response.cookies["pledge_visitor"]["max-age"] == 0  # no consent under the new list


def test_the_visitor_sees_and_downloads_their_own_proof():
    client = consenting_client("accept_all")
    client.post(
        "/en/consent/", {"decision": "reject_all", "next": "/en/"}, HTTP_ORIGIN="http://testserver"
    )
    page = client.get("/en/cookie-settings/").content.decode()
    assert "Accepted all" in page and "Refused all" in page
    proof = json.loads(client.get("/en/cookie-settings/proof.json").content)
    assert [record["method"] for record in proof["records"]] == ["reject_all", "accept_all"]
    assert "Reject all" in proof["records"][0]["banner_text"]
    assert Client().get("/en/cookie-settings/proof.json").json()["records"] == []


def test_the_banner_is_in_chinese_at_the_root():
    page = Client().get("/").content.decode()
    assert "全部接受" in page and "全部拒绝" in page


def test_staff_see_consent_records_as_proof(client_for, privacy_officer, marketer):
    consenting_client("accept_all")
    record = ConsentRecord.objects.get()
    response = client_for(privacy_officer).get(
        f"/en/console/consents/?consent_id={record.consent_id}"
    )
    assert response.status_code == 200
    assert record.consent_id in response.content.decode()
    assert client_for(marketer).get("/en/console/consents/").status_code == 403
