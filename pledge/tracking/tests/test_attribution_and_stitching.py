"""P09 attribution and P10 stitching: the services intake calls when it stores a submission."""

import pytest
from django.test import RequestFactory

from pledge.people.registry import providers
from pledge.people.services import person_create
from pledge.people.timeline import person_timeline
from pledge.tracking.models import PageView, Visitor
from pledge.tracking.services import attribution_for, visitor_id_for, visits_stitch
from pledge.tracking.tests.conftest import consenting_client, cookies_of, export_of, send_beacon
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def request_with(cookies: dict, path: str = "/en/demo/"):
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    return request


def test_an_affiliate_arrival_is_kept_for_the_session_with_marketing_consent():
    client = consenting_client("accept_all")
    client.get("/en/?utm_source=partner&utm_campaign=spring&ref=AFF42&secret=x")
    arrival = client.cookies["pledge_arrival"]
    assert arrival["max-age"] == "" and arrival["expires"] == ""  # a browser-session cookie
    client.get("/en/cookie-settings/")  # a later page, without the parameters
    attribution = attribution_for(request_with(cookies_of(client)))
    assert attribution["utm_source"] == "partner"
    assert attribution["utm_campaign"] == "spring"
    assert attribution["ref"] == "AFF42"
    assert attribution["landing_path"] == "/en/"
    assert "secret" not in str(attribution)


def test_without_marketing_consent_no_arrival_is_kept():
    client = consenting_client("choose", categories=["analytics"])
    client.get("/en/?utm_source=partner&ref=AFF42")
    assert "pledge_arrival" not in cookies_of(client)
    request = request_with(cookies_of(client), "/en/?utm_source=partner&ref=AFF42")
    assert attribution_for(request) == {}
    assert attribution_for(request_with({}, "/en/?ref=AFF42")) == {}


def test_a_forged_arrival_cookie_is_ignored():
    cookies = cookies_of(consenting_client("accept_all"))
    assert attribution_for(request_with({**cookies, "pledge_arrival": "forged"})) == {}


def test_a_consenting_visitors_earlier_visits_join_their_record():
    client = consenting_client("accept_all")
    cookies = cookies_of(client)
    send_beacon({"p": "/en/"}, cookies=cookies)
    send_beacon({"p": "/en/pricing"}, cookies=cookies)
    send_beacon({"p": "/en/"})  # someone else, anonymous
    person = person_create(
        actor=Actor.system("test"), source="web_form", name="Li Lei", email="li@example.cn"
    )

    visitor_id = visitor_id_for(request_with(cookies))
    assert visits_stitch(visitor_id=visitor_id, person=person, actor=Actor.system("test")) == 2
    assert AuditEntry.objects.filter(action="visits.stitched").count() == 1

    export = export_of(person)
    assert [visit["path"] for visit in export["tracking.visits"]] == ["/en/", "/en/pricing"]
    assert [consent["method"] for consent in export["tracking.cookie_consents"]] == ["accept_all"]
    timeline = person_timeline(person)
    assert {entry.kind for entry in timeline} >= {"visit", "cookie_consent"}

    # A later visit of the same browser is on the record too.
    send_beacon({"p": "/en/contact"}, cookies=cookies)
    assert len(export_of(person)["tracking.visits"]) == 3


def test_without_analytics_consent_visits_are_not_stitched():
    client = consenting_client("reject_all")
    send_beacon({"p": "/en/"}, cookies=cookies_of(client))
    person = person_create(actor=Actor.system("test"), source="web_form", email="han@example.cn")
    assert visitor_id_for(request_with(cookies_of(client))) is None
    assert visits_stitch(visitor_id=None, person=person, actor=Actor.system("test")) == 0
    # Even a visitor id presented without a consent on record links nothing.
    assert visits_stitch(visitor_id="f" * 32, person=person, actor=Actor.system("test")) == 0
    assert export_of(person)["tracking.visits"] == []
    assert not Visitor.objects.exists()


def test_a_withdrawn_consent_stops_stitching():
    client = consenting_client("accept_all")
    visitor_id = cookies_of(client)["pledge_visitor"]
    client.post("/en/consent/", {"decision": "withdraw"}, HTTP_ORIGIN="http://testserver")
    person = person_create(actor=Actor.system("test"), source="web_form", email="wei@example.cn")
    assert visits_stitch(visitor_id=visitor_id, person=person, actor=Actor.system("test")) == 0


def test_erasure_removes_the_stitched_visits():
    cookies = cookies_of(consenting_client("accept_all"))
    send_beacon({"p": "/en/"}, cookies=cookies)
    send_beacon({"p": "/en/"})
    person = person_create(actor=Actor.system("test"), source="web_form", email="mei@example.cn")
    visits_stitch(visitor_id=cookies["pledge_visitor"], person=person, actor=Actor.system("test"))
    for provider in providers():
        if provider.key.startswith("tracking."):
            provider.erase(person)
    assert PageView.objects.count() == 1  # the anonymous visit stays, unlinked
    assert not Visitor.objects.filter(person__isnull=False).exists()


def test_the_console_person_page_shows_the_timeline(client_for, privacy_officer):
    cookies = cookies_of(consenting_client("accept_all"))
    send_beacon({"p": "/en/pricing"}, cookies=cookies)
    person = person_create(actor=Actor.system("test"), source="web_form", email="zhao@example.cn")
    visits_stitch(visitor_id=cookies["pledge_visitor"], person=person, actor=Actor.system("test"))
    client = client_for(privacy_officer)
    page = client.get(f"/en/console/people/{person.public_id}/").content.decode()
    assert "Visited /en/pricing" in page
    assert export_of(person)["tracking.visits"][0]["path"] == "/en/pricing"
