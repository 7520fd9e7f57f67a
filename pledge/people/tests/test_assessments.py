"""Impact assessments (PIPL Art. 55-56): a processing that needs one is refused, with the reason,
while its latest assessment is missing, rejected, overdue for review or made for another
declaration; versions are appended, never rewritten; an ended processing has its end recorded."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from pledge.cases.disclosures import share_export, share_plan
from pledge.cases.models import Disclosure
from pledge.dates import site_date
from pledge.inventory.loader import current_inventory
from pledge.inventory.processings import processings_needing_assessment
from pledge.inventory.services import policy_publish
from pledge.people.assessments import (
    AssessmentRequired,
    AssessmentState,
    assessment_record,
    assessment_require,
    assessments_ended_mark,
    assessments_overview,
    review_due_default,
)
from pledge.people.models import (
    AssessmentOutcome,
    ImpactAssessment,
    ImpactAssessmentChanged,
    Organization,
)
from pledge.people.retention import retention_purge
from pledge.people.tests.factories import demo_requester
from pledge.tracking.identification import organization_networks_set, organizations_identified
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock]

GONEX_PROCESSINGS = [
    "affiliate:group",
    "processor:list_purchase",
    "processor:customer_data_analysis",
    "processor:market_intelligence",
    "processor:lead_generation",
    "organisation_identification",
]


@pytest.fixture
def ada():
    """Someone the affiliate's purposes may use: a share with them has someone in it."""
    version = policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    acme = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")
    return demo_requester("ada", organization=acme, policy_version=version.number, name="Ada")


def assess(processing="affiliate:group", *, outcome=AssessmentOutcome.APPROVED, **fields):
    values = {
        "assessed_on": site_date(),
        "scope": "Name, email and company of people who asked for a demo, for the group.",
        "risks": "An affiliate using them beyond answering the request.",
        "measures": "Intra-group agreement; only the declared categories; opt-out honoured.",
        "review_due": None,
        **fields,
    }
    return assessment_record(
        processing=processing, outcome=outcome, actor=Actor.system("test"), **values
    )


def refusal_of(key="group", *, actor) -> AssessmentRequired:
    with pytest.raises(AssessmentRequired) as refused:
        share_export(key=key, actor=actor)
    return refused.value


# --- Which processings need one ------------------------------------------------------------


def test_every_affiliate_processor_and_identification_needs_one_each_with_its_key():
    processings = processings_needing_assessment(current_inventory())
    assert [processing.key for processing in processings] == GONEX_PROCESSINGS
    names = {processing.key: processing.name for processing in processings}
    assert names["affiliate:group"] == "Sharing with Gonex's subsidiaries and other affiliates"
    assert names["processor:lead_generation"] == "Entrusting processing to Lead generation agencies"


def test_a_recipient_abroad_adds_its_transfer(use_site):
    use_site.edit_in("processors.lead_generation", 'contract = "', 'country = "SG"\ncontract = "')
    keys = [
        processing.key for processing in processings_needing_assessment(use_site.load().inventory)
    ]
    assert keys == [*GONEX_PROCESSINGS, "abroad:lead_generation"]


# --- Shares ----------------------------------------------------------------------------------


def test_a_share_to_the_affiliate_is_refused_without_an_assessment(ada, privacy_officer):
    refused = refusal_of(actor=Actor.staff(privacy_officer))
    assert "Sharing with Gonex's subsidiaries and other affiliates" in str(refused.message)
    assert "no impact assessment" in str(refused.message)
    assert refused.state == AssessmentState.MISSING
    assert not Disclosure.objects.exists()
    entry = AuditEntry.objects.get(action="assessment.refused")
    assert entry.actor_label == "staff:pat"
    assert entry.details == {"processing": "affiliate:group", "state": "missing"}


def test_a_share_to_the_affiliate_is_allowed_with_a_current_assessment(ada, privacy_officer):
    assessment = assess()
    share = share_export(key="group", actor=Actor.staff(privacy_officer))
    assert Disclosure.objects.filter(recipient="group").count() == len(share.people)
    assert AuditEntry.objects.filter(action="disclosure.shared").count() == 1
    assert not AuditEntry.objects.filter(action="assessment.refused").exists()
    assert assessment_require("affiliate:group", actor=Actor.system("test")) == assessment


def test_a_share_is_refused_once_the_review_date_has_passed(ada, privacy_officer, time_machine):
    today = site_date()
    assess(review_due=today + timedelta(days=30))
    share_export(key="group", actor=Actor.staff(privacy_officer))  # current today
    time_machine.move_to(timezone.now() + timedelta(days=32))
    refused = refusal_of(actor=Actor.staff(privacy_officer))
    assert refused.state == AssessmentState.STALE
    due = (today + timedelta(days=30)).isoformat()
    assert f"Its review was due on {due}." in str(refused.message)
    # Only the share made while it was current.
    assert AuditEntry.objects.filter(action="disclosure.shared").count() == 1


def test_a_share_is_refused_when_the_recipients_categories_changed_since(
    use_site, ada, privacy_officer
):
    assess()
    use_site.edit_in(
        "affiliates.group", '"user.workplace", "user.content.private"]', '"user.workplace"]'
    )
    refused = refusal_of(actor=Actor.staff(privacy_officer))
    assert refused.state == AssessmentState.STALE
    assert "categories of data changed since it was assessed" in str(refused.message)
    assert not AuditEntry.objects.filter(action="disclosure.shared").exists()
    assess()  # version 2 covers the new declaration
    share_export(key="group", actor=Actor.staff(privacy_officer))
    assert AuditEntry.objects.filter(action="disclosure.shared").count() == 1


def test_a_rejected_processing_is_refused(ada, privacy_officer):
    assess(outcome=AssessmentOutcome.REJECTED)
    refused = refusal_of(actor=Actor.staff(privacy_officer))
    assert refused.state == AssessmentState.REJECTED
    assert "rejected it" in str(refused.message)


def test_a_recipient_abroad_needs_the_transfers_assessment_too(use_site, privacy_officer):
    use_site.edit_in("processors.lead_generation", 'contract = "', 'country = "SG"\ncontract = "')
    assess("processor:lead_generation")
    refused = refusal_of("lead_generation", actor=Actor.staff(privacy_officer))
    assert "Transfer abroad to Lead generation agencies" in str(refused.message)
    assess("abroad:lead_generation")
    share_plan(key="lead_generation", actor=Actor.staff(privacy_officer))


def test_pledge_share_refuses_with_the_reason(ada):
    with pytest.raises(CommandError, match="no impact assessment"):
        call_command("share", "group")
    assert not Disclosure.objects.exists()


# --- Organisation identification ---------------------------------------------------------------


def test_identification_is_refused_without_or_with_a_stale_assessment(
    use_site, marketer, time_machine
):
    acme = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")
    organization_networks_set(
        organization=acme, networks="203.0.112.0/23", actor=Actor.system("test")
    )
    actor = Actor.staff(marketer)
    with pytest.raises(AssessmentRequired, match="no impact assessment"):
        organizations_identified(actor=actor)
    assess("organisation_identification", review_due=site_date() + timedelta(days=10))
    assert organizations_identified(actor=actor) == []  # allowed: nobody visited
    use_site.edit(
        'categories = ["user.device.ip_address"]\nopt_out_right = "organisation_identification',
        'categories = ["user.device.ip_address", "user.device.host_name"]\n'
        'opt_out_right = "organisation_identification',
    )
    with pytest.raises(AssessmentRequired, match="categories of data changed"):
        organizations_identified(actor=actor)
    assess("organisation_identification", review_due=site_date() + timedelta(days=10))
    assert organizations_identified(actor=actor) == []
    time_machine.move_to(timezone.now() + timedelta(days=12))
    with pytest.raises(AssessmentRequired, match="review was due"):
        organizations_identified(actor=actor)


# --- Versions ----------------------------------------------------------------------------------


def test_an_edit_makes_version_2_and_leaves_version_1_unchanged():
    first = assess(scope="The first scope.")
    before = ImpactAssessment.objects.values().get(pk=first.pk)
    second = assess(scope="A wider scope.", outcome=AssessmentOutcome.APPROVED_WITH_CONDITIONS)
    assert (first.version, second.version) == (1, 2)
    assert ImpactAssessment.objects.values().get(pk=first.pk) == before
    assert second.scope == "A wider scope." and second.review_due == review_due_default(site_date())
    first.scope = "Rewritten."
    with pytest.raises(ImpactAssessmentChanged):
        first.save()
    with pytest.raises(ImpactAssessmentChanged):
        ImpactAssessment.objects.filter(pk=first.pk).update(scope="Rewritten.")
    assert ImpactAssessment.objects.get(pk=first.pk).scope == "The first scope."
    recorded = AuditEntry.objects.filter(action="assessment.recorded").order_by("sequence")
    assert [entry.details["version"] for entry in recorded] == [1, 2]


def test_the_review_is_due_a_year_later_by_default():
    assert review_due_default(date(2027, 3, 1)) == date(2028, 3, 1)
    assert review_due_default(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"scope": "  "}, "scope", "whose data"),
        ({"outcome": "maybe"}, "outcome", "Choose an outcome"),
        ({"assessed_on": "tomorrow"}, "assessed_on", "cannot be dated after today"),
        ({"review_due": "same day"}, "review_due", "after the date of the assessment"),
        ({"risks": "x" * 20001}, "risks", "under 20000 characters"),
    ],
)
def test_what_does_not_make_an_assessment_is_refused_per_field(fields, field, words):
    today = site_date()
    dates = {"tomorrow": today + timedelta(days=1), "same day": today}
    values = {key: dates.get(value, value) for key, value in fields.items()}
    with pytest.raises(ValidationError) as refused:
        assess(**values)
    assert words in " ".join(refused.value.message_dict[field])
    assert not ImpactAssessment.objects.exists()


def test_only_who_manages_assessments_writes_or_reads_them(marketer, sales_expert):
    for user in (marketer, sales_expert):
        with pytest.raises(PermissionDenied):
            assessment_record(
                processing="affiliate:group",
                assessed_on=site_date(),
                scope="s",
                risks="r",
                measures="m",
                outcome=AssessmentOutcome.APPROVED,
                review_due=None,
                actor=Actor.staff(user),
            )
        with pytest.raises(PermissionDenied):
            assessments_overview(actor=Actor.staff(user))
    assert not ImpactAssessment.objects.exists()


# --- The overview and the end of a processing ---------------------------------------------------


def test_the_overview_lists_every_processing_with_its_state(privacy_officer):
    assess("processor:list_purchase")
    assess("processor:market_intelligence", outcome=AssessmentOutcome.REJECTED)
    rows = assessments_overview(actor=Actor.staff(privacy_officer))
    assert [row.key for row in rows] == GONEX_PROCESSINGS
    states = {row.key: row.state for row in rows}
    assert states["processor:list_purchase"] == AssessmentState.CURRENT
    assert states["processor:market_intelligence"] == AssessmentState.REJECTED
    assert states["affiliate:group"] == AssessmentState.MISSING


def test_a_processing_no_longer_declared_is_reported_ended_and_its_end_recorded_once(
    use_site, privacy_officer, time_machine
):
    assess("processor:market_intelligence")
    assess("processor:market_intelligence")
    text = use_site.inventory_path.read_text(encoding="utf-8")
    start = text.index("[processors.market_intelligence]")
    end = text.index("\n[", start) + 1
    use_site.inventory_path.write_text(text[:start] + text[end:], encoding="utf-8")
    actor = Actor.staff(privacy_officer)
    [ended] = [row for row in assessments_overview(actor=actor) if row.key.endswith("intelligence")]
    assert ended.state == AssessmentState.ENDED and ended.ended_at is None
    assert ended.name == "Entrusting processing to Market intelligence providers"
    assert assessments_ended_mark(actor=actor) == 2
    marked = set(ImpactAssessment.objects.values_list("processing_ended_at", flat=True))
    time_machine.move_to(timezone.now() + timedelta(days=1))
    assert assessments_ended_mark(actor=actor) == 0  # idempotent: the end stays as recorded
    assert set(ImpactAssessment.objects.values_list("processing_ended_at", flat=True)) == marked
    assert None not in marked
    assert AuditEntry.objects.filter(action="assessment.processing_ended").count() == 1


# --- The policy lists them --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_policy_names_every_processing_assessed_before_it_starts(language):
    from django.utils import translation

    from pledge.inventory.loader import current_site

    text = str(current_site().texts["privacy"][language])
    with translation.override(language):
        names = [
            processing.name for processing in processings_needing_assessment(current_inventory())
        ]
    for name in names:
        assert f"<li>{name}</li>" in text.replace("&#x27;", "'")


def test_the_purge_records_the_end_and_keeps_the_assessment_three_years_after_it(
    use_site, time_machine
):
    """Art. 56: the purge records that a processing ended, then keeps its assessments for the
    processing_records hold (1,095 days) from then, and deletes them after; a processing still
    declared keeps its assessment however old."""
    time_machine.move_to(datetime(2025, 3, 1, 2, 0, tzinfo=UTC), tick=False)
    assess("processor:market_intelligence")
    assess("affiliate:group")
    text = use_site.inventory_path.read_text(encoding="utf-8")
    start = text.index("[processors.market_intelligence]")
    end = text.index("\n[", start) + 1
    use_site.inventory_path.write_text(text[:start] + text[end:], encoding="utf-8")
    retention_purge(actor=Actor.system("test"), dry_run=False, only="people.assessments")
    ended = ImpactAssessment.objects.get(processing="processor:market_intelligence")
    assert ended.processing_ended_at == timezone.now()
    time_machine.move_to(timezone.now() + timedelta(days=1094), tick=False)
    retention_purge(actor=Actor.system("test"), dry_run=False, only="people.assessments")
    assert ImpactAssessment.objects.filter(pk=ended.pk).exists()
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)
    retention_purge(actor=Actor.system("test"), dry_run=False, only="people.assessments")
    assert not ImpactAssessment.objects.filter(pk=ended.pk).exists()
    assert ImpactAssessment.objects.filter(processing="affiliate:group").exists()
