"""The privacy officer's impact assessments in the console (PIPL Art. 55-56): every processing
the inventory says needs one, with its state; a version written through the page; refusals
that say why on the pages of the processings that need one."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledge.dates import site_date
from pledge.inventory.loader import current_inventory
from pledge.inventory.processings import processings_needing_assessment
from pledge.people.assessments import assessment_record, review_due_default
from pledge.people.models import AssessmentOutcome, ImpactAssessment
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

LIST = "/en/console/assessments/"
GROUP = "/en/console/assessments/affiliate:group/"


def written(**fields) -> dict:
    return {
        "assessed_on": site_date().isoformat(),
        "scope": "Name, email, phone and company of people who asked for a demo.",
        "risks": "Use by an affiliate beyond answering the request.",
        "measures": "Intra-group agreement; only the declared categories; opt-outs honoured.",
        "outcome": AssessmentOutcome.APPROVED,
        "review_due": "",
        **fields,
    }


def test_the_page_lists_every_processing_that_needs_one_with_its_state(privacy_officer, client_for):
    assessment_record(
        processing="processor:list_purchase",
        assessed_on=site_date(),
        scope="s",
        risks="r",
        measures="m",
        outcome=AssessmentOutcome.REJECTED,
        review_due=None,
        actor=Actor.system("test"),
    )
    response = client_for(privacy_officer).get(LIST)
    assert response.status_code == 200
    page = response.text.replace("&#x27;", "'")
    for processing in processings_needing_assessment(current_inventory()):
        assert processing.name in page
    assert "Missing" in page and "Rejected" in page
    assert "processor:list_purchase" not in re.sub(r'href="[^"]*"', "", page)  # keys in URLs only
    chinese = client_for(privacy_officer).get("/console/assessments/").text
    assert "影响评估" in chinese and "缺失" in chinese


def test_the_list_costs_the_same_queries_for_many_versions(privacy_officer, client_for):
    client = client_for(privacy_officer)
    client.get(LIST)  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for processing in processings_needing_assessment(current_inventory()):
        for _version in range(3):
            assessment_record(
                processing=processing.key,
                assessed_on=site_date(),
                scope="s",
                risks="r",
                measures="m",
                outcome=AssessmentOutcome.APPROVED,
                review_due=None,
                actor=Actor.system("test"),
            )
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


def test_a_privacy_officer_writes_version_1_then_2_through_the_page(privacy_officer, client_for):
    client = client_for(privacy_officer)
    form = client.get(GROUP)
    assert form.status_code == 200 and "Write the assessment" in form.text
    response = client.post(GROUP, written())
    assert response.status_code == 302 and response["Location"].endswith("?recorded=1")
    first = ImpactAssessment.objects.get()
    assert (first.version, first.created_by) == (1, "staff:pat")
    assert first.review_due == review_due_default(first.assessed_on)  # one year later
    page = client.get(response["Location"]).text
    assert "Version 1 is recorded." in page and "Current" in page
    assert "Intra-group agreement" in page  # the next version starts from this one's words
    second = client.post(GROUP, written(outcome=AssessmentOutcome.APPROVED_WITH_CONDITIONS))
    assert second["Location"].endswith("?recorded=2")
    assert ImpactAssessment.objects.get(version=1).outcome == AssessmentOutcome.APPROVED
    page = client.get(GROUP).text
    assert page.index("Version 2 of") < page.index("Version 1 of")
    assert "Approved with conditions" in page
    assert AuditEntry.objects.filter(action="assessment.recorded").count() == 2


def test_a_marketer_can_neither_open_nor_write_one(marketer, client_for):
    client = client_for(marketer)
    assert client.get(LIST).status_code == 403
    assert client.get(GROUP).status_code == 403
    assert client.post(GROUP, written()).status_code == 403
    assert not ImpactAssessment.objects.exists()


def test_a_processing_that_is_not_declared_is_not_found(privacy_officer, client_for):
    client = client_for(privacy_officer)
    assert client.get("/en/console/assessments/affiliate:nobody/").status_code == 404
    assert client.post("/en/console/assessments/affiliate:nobody/", written()).status_code == 404
    assert not ImpactAssessment.objects.exists()


@pytest.mark.parametrize(
    ("prefix", "bad_date", "future"),
    [
        ("/en", "Enter a valid date.", "An assessment cannot be dated after today."),
        ("", "输入一个有效的日期。", "评估日期不能晚于今天。"),
    ],
)
def test_bad_input_says_what_to_fix_in_the_readers_language_and_keeps_what_was_written(
    privacy_officer, client_for, prefix, bad_date, future
):
    client = client_for(privacy_officer)
    url = f"{prefix}/console/assessments/affiliate:group/"
    scope = "A scope the officer took an hour to write."
    response = client.post(url, written(assessed_on="2027-02-31", scope=scope, outcome=""))
    assert response.status_code == 400
    assert bad_date in response.text
    assert scope in response.text
    tomorrow = (site_date() + timedelta(days=1)).isoformat()
    response = client.post(url, written(assessed_on=tomorrow, scope=scope))
    assert response.status_code == 400
    assert future in response.text and scope in response.text
    assert not ImpactAssessment.objects.exists()


def test_the_identified_organisations_page_says_why_it_lists_none(marketer, client_for):
    page = client_for(marketer).get("/en/console/organizations/visiting/")
    assert page.status_code == 200
    assert "no impact assessment" in page.text
    assert "Identifying visitors&#x27; organisations from their networks" in page.text
    chinese = client_for(marketer).get("/console/organizations/visiting/").text
    assert "没有个人信息保护影响评估" in chinese


def test_the_disclosures_page_refuses_a_share_with_the_reason(privacy_officer, client_for):
    response = client_for(privacy_officer).post(
        "/en/console/disclosures/", {"action": "share", "recipient": "group"}
    )
    assert response.status_code == 400
    assert "no impact assessment" in response.text


def test_an_ended_processing_keeps_its_versions_and_its_end_is_recorded_from_the_list(
    use_site, privacy_officer, client_for
):
    assessment_record(
        processing="processor:market_intelligence",
        assessed_on=site_date(),
        scope="Industries of the companies in our contacts.",
        risks="r",
        measures="m",
        outcome=AssessmentOutcome.APPROVED,
        review_due=None,
        actor=Actor.system("test"),
    )
    text = use_site.inventory_path.read_text(encoding="utf-8")
    start = text.index("[processors.market_intelligence]")
    end = text.index("\n[", start) + 1
    use_site.inventory_path.write_text(text[:start] + text[end:], encoding="utf-8")
    client = client_for(privacy_officer)
    listed = client.get(LIST).text
    assert "Processing ended" in listed and "its end is not recorded yet" in listed
    assert client.post(LIST, {"action": "ended"}).status_code == 200
    assert ImpactAssessment.objects.get().processing_ended_at is not None
    url = "/en/console/assessments/processor:market_intelligence/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Industries of the companies in our contacts." in page.text
    assert "Record this version" not in page.text  # an ended processing is not assessed again
    assert client.post(url, written()).status_code == 404
    assert ImpactAssessment.objects.count() == 1
