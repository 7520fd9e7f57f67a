"""Through the real demo form: attribution attached (P09) and earlier visits stitched (P10)."""

import pytest

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.models import Submission
from pledge.people.services import person_find_by_email
from pledge.tracking.tests.conftest import consenting_client, cookies_of, export_of, send_beacon

pytestmark = pytest.mark.django_db

DEMO = {
    "name": "Li Lei",
    "email": "li.lei@example-corp.cn",
    "company": "Example Corp",
    "meeting_mode": "online",
}


def submit_demo(client):
    question = sum_issue()
    answer = {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}
    response = client.post("/en/demo/", {**DEMO, **answer})
    assert response.status_code == 200, response.content.decode()[:1000]
    return person_find_by_email(DEMO["email"])


def test_a_consenting_visitor_who_fills_a_form_has_their_visits_and_arrival_on_record():
    client = consenting_client("accept_all")
    client.get("/en/?utm_source=partner&utm_campaign=spring&ref=AFF42")
    send_beacon({"p": "/en/?utm_campaign=spring"}, cookies=cookies_of(client))
    send_beacon({"p": "/en/demo/"}, cookies=cookies_of(client))
    person = submit_demo(client)
    submission = Submission.objects.get(person=person)
    assert submission.attribution["ref"] == "AFF42"
    assert submission.attribution["utm_campaign"] == "spring"
    export = export_of(person)
    assert [visit["path"] for visit in export["tracking.visits"]] == ["/en/", "/en/demo/"]


def test_without_consent_nothing_is_stitched_or_attributed():
    client = consenting_client("reject_all")
    client.get("/en/?ref=AFF42")
    send_beacon({"p": "/en/"}, cookies=cookies_of(client))
    person = submit_demo(client)
    assert Submission.objects.get(person=person).attribution == {}
    assert export_of(person)["tracking.visits"] == []
