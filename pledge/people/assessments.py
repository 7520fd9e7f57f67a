"""Personal information protection impact assessments (PIPL Art. 55-56), required before the
processings that need one run.

Which processings need one is derived from the inventory in force
(``pledge.inventory.processings``: each affiliate and processor shared with, each transfer
abroad, organisation identification). The privacy officer writes an assessment on the console;
each edit is a new version (``ImpactAssessment``), earlier ones never change. A processing may
run only while its latest version is current: it exists, did not reject the processing, its
review is not overdue, and it was made for the processing as declared today (the fingerprint of
the recipient's purposes, categories and country, or identification's methods, purposes and
categories). ``assessment_require`` is the one check the processings call (``share_plan`` in
``pledge.cases.disclosures``, ``organizations_identified`` in ``pledge.tracking``); a refusal is
audited and says why, in the reader's language.

A processing no longer declared has ended: ``assessments_ended_mark`` records when on every
version (``ImpactAssessment.processing_ended_at``), from which the ``processing_records`` legal
hold keeps them three years (Art. 56).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pledge.dates import site_date
from pledge.inventory.loader import current_inventory
from pledge.inventory.processings import (
    Processing,
    processings_needing_assessment,
    recipient_processing_keys,
)
from pledge.people.models import AssessmentOutcome, ImpactAssessment
from pledge.vault.access import access_require
from pledge.vault.audit import actor_label, audit_record

PERMISSION = "manage_assessments"
TEXT_LIMIT = 20000  # characters in each of scope, risks and measures


class AssessmentState(models.TextChoices):
    """Where a processing stands; computed, never stored."""

    MISSING = "missing", gettext_lazy("Missing")
    CURRENT = "current", gettext_lazy("Current")
    STALE = "stale", gettext_lazy("Out of date")
    REJECTED = "rejected", gettext_lazy("Rejected")
    ENDED = "ended", gettext_lazy("Processing ended")


# What can change in a declaration, each said as a sentence of its own.
CHANGED = {
    "purposes": gettext_lazy("Its declared purposes changed since it was assessed."),
    "categories": gettext_lazy("Its declared categories of data changed since it was assessed."),
    "country": gettext_lazy(
        "The country its recipient processes the data in changed since it was assessed."
    ),
    "methods": gettext_lazy("Its declared methods changed since it was assessed."),
}


class AssessmentRequired(ValidationError):
    """A processing refused for want of a current impact assessment; the message says why."""

    def __init__(self, message: str, *, processing: str, state: str):
        super().__init__(message)
        self.processing = processing
        self.state = state


@dataclass
class ProcessingAssessment:
    """One processing that needs an assessment, or had one and has ended, with its state."""

    key: str
    name: str
    state: str
    processing: Processing | None = None  # None once the inventory no longer declares it
    latest: ImpactAssessment | None = None
    versions: int = 0
    reasons: list[str] = field(default_factory=list)  # why it is out of date, as sentences

    @property
    def state_label(self) -> str:
        return AssessmentState(self.state).label

    @property
    def ended_at(self) -> datetime | None:
        """When its end was recorded (``assessments_ended_mark``), for an ended processing."""
        return self.latest.processing_ended_at if self.latest else None


def processings_declared() -> tuple[Processing, ...]:
    """The processings the inventory in force declares that need an assessment."""
    return processings_needing_assessment(current_inventory())


def review_due_default(assessed_on: date) -> date:
    """One year after the assessment (28 February for an assessment on 29 February)."""
    try:
        return assessed_on.replace(year=assessed_on.year + 1)
    except ValueError:
        return assessed_on.replace(year=assessed_on.year + 1, day=28)


def assessed_name(assessment: ImpactAssessment) -> str:
    """The processing's name as it was when assessed, in the active language."""
    names = assessment.processing_names or {}
    return names.get(get_language() or "", "") or next(iter(names.values()), "")


def stale_reasons(processing: Processing, latest: ImpactAssessment, today: date) -> list[str]:
    """Why the latest assessment no longer covers the processing as declared; [] if it does."""
    reasons = []
    if latest.review_due < today:
        reasons.append(_("Its review was due on %(date)s.") % {"date": latest.review_due})
    if latest.fingerprint != processing.fingerprint:
        changed = [
            aspect
            for aspect in sorted(set(processing.declaration) | set(latest.declaration or {}))
            if processing.declaration.get(aspect) != (latest.declaration or {}).get(aspect)
        ]
        sentences = [str(CHANGED[aspect]) for aspect in changed if aspect in CHANGED]
        reasons += sentences or [_("Its declaration changed since it was assessed.")]
    if latest.processing_ended_at is not None:
        reasons.append(
            _("It ended on %(date)s and was declared again since.")
            % {"date": site_date(latest.processing_ended_at)}
        )
    return reasons


def standing_of(processing: Processing, latest, versions: int, today: date):
    """The processing's state from its latest assessment."""
    standing = ProcessingAssessment(
        key=processing.key,
        name=processing.name,
        state=AssessmentState.MISSING,
        processing=processing,
        latest=latest,
        versions=versions,
    )
    if latest is None:
        return standing
    if latest.outcome == AssessmentOutcome.REJECTED:
        standing.state = AssessmentState.REJECTED
        return standing
    standing.reasons = stale_reasons(processing, latest, today)
    standing.state = AssessmentState.STALE if standing.reasons else AssessmentState.CURRENT
    return standing


def latest_assessments() -> dict[str, tuple[ImpactAssessment, int]]:
    """Each assessed processing's latest version and how many it has, in two queries."""
    newest = (
        ImpactAssessment.objects.filter(processing=OuterRef("processing"))
        .order_by("-version")
        .values("version")[:1]
    )
    counts = dict(
        ImpactAssessment.objects.order_by()
        .values_list("processing")
        .annotate(versions=Count("id"))
        .values_list("processing", "versions")
    )
    return {
        assessment.processing: (assessment, counts.get(assessment.processing, 1))
        for assessment in ImpactAssessment.objects.filter(version=Subquery(newest))
    }


def overview() -> list[ProcessingAssessment]:
    declared = processings_declared()
    latest = latest_assessments()
    today = site_date()
    rows = [
        standing_of(processing, *latest.get(processing.key, (None, 0)), today)
        for processing in declared
    ]
    keys = {processing.key for processing in declared}
    for key, (assessment, versions) in sorted(latest.items()):
        if key not in keys:
            rows.append(
                ProcessingAssessment(
                    key=key,
                    name=assessed_name(assessment),
                    state=AssessmentState.ENDED,
                    latest=assessment,
                    versions=versions,
                )
            )
    return rows


def assessments_overview(*, actor) -> list[ProcessingAssessment]:
    """Every processing that needs an assessment, in the inventory's order, with its latest
    version and state (missing, current, out of date, rejected); then every assessed
    processing the inventory no longer declares, as ended."""
    access_require(actor, PERMISSION)
    return overview()


def assessment_processing(key: str, *, actor) -> ProcessingAssessment | None:
    """One processing's standing (declared, or assessed and ended); None if neither."""
    access_require(actor, PERMISSION)
    return next((row for row in overview() if row.key == key), None)


def assessment_history(key: str, *, actor) -> list[ImpactAssessment]:
    """Every version of a processing's assessment, newest first."""
    access_require(actor, PERMISSION)
    return list(ImpactAssessment.objects.filter(processing=key).order_by("-version"))


def assessment_require(processing: str, *, actor) -> ImpactAssessment:
    """The current assessment of ``processing`` (a key of ``pledge.inventory.processings``), or
    ``AssessmentRequired`` (a ValidationError) naming the processing and why it may not run:
    no assessment, rejected, its review overdue, or its declaration changed since. The refusal
    is audited before it is raised, so call this outside any transaction."""
    declared = {item.key: item for item in processings_declared()}
    if processing not in declared:
        raise ValueError(f"{processing!r} is not a processing the inventory declares")
    latest = ImpactAssessment.objects.filter(processing=processing).order_by("-version").first()
    standing = standing_of(declared[processing], latest, 0, site_date())
    if standing.state == AssessmentState.CURRENT:
        return latest
    name = standing.name
    if standing.state == AssessmentState.MISSING:
        message = _(
            "“%(processing)s” may not run: it has no impact assessment. The privacy officer "
            "writes one on the console's Impact assessments page (PIPL Art. 55)."
        ) % {"processing": name}
    elif standing.state == AssessmentState.REJECTED:
        message = _(
            "“%(processing)s” may not run: its impact assessment (version %(version)s) rejected it."
        ) % {"processing": name, "version": latest.version}
    else:
        message = " ".join(
            [
                _("“%(processing)s” may not run: its impact assessment is out of date.")
                % {"processing": name},
                *standing.reasons,
                _(
                    "The privacy officer writes a new version on the console's Impact "
                    "assessments page."
                ),
            ]
        )
    audit_record(
        actor=actor,
        action="assessment.refused",
        object_type="processing",
        object_id=processing[:64],
        details={"processing": processing, "state": str(standing.state)},
    )
    raise AssessmentRequired(message, processing=processing, state=standing.state)


def recipient_assessments_require(*, kind: str, key: str, actor) -> list[ImpactAssessment]:
    """Before a share with the declared recipient ``key`` (``kind``: affiliate or processor):
    the sharing's own assessment and, for a recipient abroad, the transfer's."""
    keys = recipient_processing_keys(current_inventory(), kind=kind, key=key)
    return [assessment_require(processing, actor=actor) for processing in keys]


def assessment_record(
    *,
    processing: str,
    assessed_on: date,
    scope: str,
    risks: str,
    measures: str,
    outcome: str,
    review_due: date | None,
    actor,
) -> ImpactAssessment:
    """Record a new version of the assessment of a declared processing (the previous ones stay
    as they were), with the declaration it covers; audited. ``review_due`` defaults to a year
    after ``assessed_on``. Refuses (ValidationError, per field) what does not make an
    assessment: missing text, an unknown outcome, a date after today, a review not after it."""
    access_require(actor, PERMISSION)
    declared = {item.key: item for item in processings_declared()}
    if processing not in declared:
        raise ValidationError(
            _(
                "This processing is not declared in the inventory in force, so it cannot be "
                "assessed."
            )
        )
    item = declared[processing]
    texts = {"scope": scope, "risks": risks, "measures": measures}
    errors = {}
    missing = {
        "scope": _("Say what the processing covers: whose data, which data, for what."),
        "risks": _("Say what could harm the people concerned, and how likely it is."),
        "measures": _("Say what protects them: contracts, limits, security."),
    }
    for name, text in texts.items():
        texts[name] = (text or "").strip()
        if not texts[name]:
            errors[name] = missing[name]
        elif len(texts[name]) > TEXT_LIMIT:
            errors[name] = _("Keep it under %(limit)s characters.") % {"limit": TEXT_LIMIT}
    if outcome not in AssessmentOutcome.values:
        errors["outcome"] = _("Choose an outcome.")
    if not isinstance(assessed_on, date):
        errors["assessed_on"] = _("Give the date of the assessment.")
    elif assessed_on > site_date():
        errors["assessed_on"] = _("An assessment cannot be dated after today.")
    elif review_due is None:
        review_due = review_due_default(assessed_on)
    elif review_due <= assessed_on:
        errors["review_due"] = _("The review must fall after the date of the assessment.")
    if errors:
        raise ValidationError(errors)
    names = item.names()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                previous = (
                    ImpactAssessment.objects.filter(processing=processing)
                    .order_by("-version")
                    .values_list("version", flat=True)
                    .first()
                )
                assessment = ImpactAssessment.objects.create(
                    processing=processing,
                    processing_names=names,
                    version=(previous or 0) + 1,
                    assessed_on=assessed_on,
                    outcome=outcome,
                    review_due=review_due,
                    declaration=item.declaration,
                    fingerprint=item.fingerprint,
                    created_by=actor_label(actor),
                    **texts,
                )
                audit_record(
                    actor=actor,
                    action="assessment.recorded",
                    target=assessment,
                    details={
                        "processing": processing,
                        "version": assessment.version,
                        "outcome": outcome,
                    },
                )
            return assessment
        except IntegrityError:  # another version was written at the same moment: number again
            continue
    raise ValidationError(
        _("Another version was being written at the same time; send the form again.")
    )


def assessments_ended_mark(*, actor) -> int:
    """Record, on every version, that a processing the inventory no longer declares has ended
    (``processing_ended_at``: the start of the three years Art. 56 keeps them). Idempotent:
    an end already recorded stays; returns how many versions were marked now."""
    access_require(actor, PERMISSION)
    declared = [item.key for item in processings_declared()]
    with transaction.atomic():
        unmarked = ImpactAssessment.objects.exclude(processing__in=declared).filter(
            processing_ended_at__isnull=True
        )
        processings = sorted(set(unmarked.values_list("processing", flat=True)))
        marked = unmarked.update(processing_ended_at=timezone.now())
        if marked:
            audit_record(
                actor=actor,
                action="assessment.processing_ended",
                object_type="processing",
                details={"processings": processings, "versions": marked},
            )
    return marked
