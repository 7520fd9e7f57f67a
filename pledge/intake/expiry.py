"""How long intake's records live, for ``pledge purge`` (``pledge.people.retention``).

A submission's period is its form's: the longest of the periods its stored fields declare
(answers and files; consents are kept as consents, a kept-apart field apart), counted from the
event they name. For a submission collected under an earlier policy version that promised a
shorter period, the shorter one applies (P23).
"""

import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.intake.models import (
    Feedback,
    FeedbackReplyAddress,
    GuardianPending,
    ImportBatch,
    PendingUpload,
    StoredFile,
    Submission,
)
from pledge.intake.uploads import upload_delete, upload_directory
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection
from pledge.people.models import Account
from pledge.people.retention import (
    RetentionRule,
    contact_register,
    contacted_since,
    cutoff,
    naming,
    reason_register,
    rule_register,
    sweep_register,
    without_held,
)
from pledge.people.versions import version_inventory

ORPHAN_AFTER = timedelta(days=1)
# A held file goes this long after its hour: a post sent just before the hour ends attaches it
# without racing the purge.
PENDING_GRACE = timedelta(minutes=10)
NOT_IN_ANSWERS = {"password"}  # kept by the account, hashed; never in a submission


def stored_fields(fields: dict) -> list[dict]:
    """The fields a submission itself keeps, from a form's declared fields (as parsed dicts)."""
    return [
        declared
        for declared in fields.values()
        if not declared.get("consent")
        and not declared.get("kept_apart")
        and declared.get("widget") not in NOT_IN_ANSWERS
    ]


def period_of(fields: dict) -> tuple[int, str] | None:
    """(days, event) of the longest-kept stored field, or None when the form keeps none."""
    kept = stored_fields(fields)
    if not kept:
        return None
    longest = max(kept, key=lambda declared: declared["retention_days"])
    return longest["retention_days"], longest.get("retention_from", "collection")


def form_period(form: Collection) -> tuple[int, str] | None:
    return period_of({key: field.model_dump() for key, field in form.fields.items()})


def version_form_days(number: int, form_key: str) -> int | None:
    """The days version ``number`` promised for the form's submissions, if it declared the form."""
    declared = version_inventory(number)
    form = ((declared or {}).get("forms") or {}).get(form_key)
    period = period_of(form.get("fields") or {}) if form else None
    return period[0] if period else None


def submissions_expired(now):
    """Every linked form's submissions past their period (or an earlier version's shorter one),
    counted from the event its fields name, outside holds."""
    inventory = current_inventory()
    expired = Q(pk__in=[])
    for key, form in inventory.forms.items():
        period = form_period(form) if form.links_to_person else None
        if period is None:
            continue
        days, event = period
        versions = Submission.objects.filter(form=key).exclude(policy_version=None)
        shorter: dict[int, list[int]] = {}
        for number in versions.values_list("policy_version", flat=True).distinct():
            promised = version_form_days(number, key)
            if promised is not None and promised < days:
                shorter.setdefault(promised, []).append(number)
        groups = [(days, ~Q(policy_version__in=[n for ns in shorter.values() for n in ns]))]
        groups += [
            (promised, Q(policy_version__in=numbers)) for promised, numbers in shorter.items()
        ]
        for group_days, in_group in groups:
            since = now - timedelta(days=group_days)
            rows = in_group & Q(form=key, created_at__lt=since)
            if event == "last_contact":
                rows &= ~contacted_since(since)
            elif event == "account_closure":  # kept while the account is open
                rows &= ~Q(naming(Account.objects.values("person_id"), "person"))
            expired |= rows  # conditions, not lists of keys: one scan, anti-joins per row
    return without_held(Submission.objects.filter(expired))


def submissions_remove(keys) -> int:
    """Rows now (a lead made of one goes with it); the encrypted files once the batch commits."""
    files = StoredFile.objects.filter(submission_id__in=keys)
    names = list(files.values_list("stored_name", flat=True))
    removed = files.delete()[0] + Submission.objects.filter(pk__in=keys).delete()[0]
    transaction.on_commit(lambda: [upload_delete(name) for name in names])
    return removed


def feedback_expired(now):
    """Feedback (linked to no one, P20) after its comments' declared period."""
    periods = [
        period_of({key: field.model_dump() for key, field in form.fields.items()})
        for form in current_inventory().forms.values()
        if not form.links_to_person
    ]
    days = max((period[0] for period in periods if period), default=None)
    if days is None:
        return Feedback.objects.none()
    return Feedback.objects.filter(created_at__lt=now - timedelta(days=days))


def reply_addresses_expired(now):
    """P20: a feedback's reply address, at the end its declared days set when it was stored."""
    return FeedbackReplyAddress.objects.filter(delete_after__lte=now)


def guardian_pending_expired(now):
    """P19: a minor's submission no guardian confirmed in time."""
    return GuardianPending.objects.filter(
        Q(expires_at__lte=now) | Q(created_at__lt=cutoff("unconfirmed", now))
    )


def guardian_pending_remove(keys) -> int:
    expired = list(GuardianPending.objects.filter(pk__in=keys))
    names = [
        stored["stored_name"]
        for pending in expired
        for stored in pending.payload.get("files", {}).values()
    ]
    removed = GuardianPending.objects.filter(pk__in=keys).delete()[0]
    transaction.on_commit(lambda: [upload_delete(name) for name in names])
    return removed


def pending_uploads_expired(now):
    """A file held while its form was corrected, once its hour (and the grace) has passed."""
    return PendingUpload.objects.filter(expires_at__lte=now - PENDING_GRACE)


def pending_uploads_remove(keys) -> int:
    names = list(PendingUpload.objects.filter(pk__in=keys).values_list("stored_name", flat=True))
    removed = PendingUpload.objects.filter(pk__in=keys).delete()[0]
    transaction.on_commit(lambda: [upload_delete(name) for name in names])
    return removed


def imports_expired(now):
    """An imported file's rows (the people made of them are kept as people are)."""
    return ImportBatch.objects.filter(created_at__lt=cutoff("imports", now))


def uploads_sweep(*, dry_run: bool = False) -> int:
    """Encrypted files no record points to (a submission that rolled back), after a day."""
    referenced = set(StoredFile.objects.values_list("stored_name", flat=True))
    referenced |= set(PendingUpload.objects.values_list("stored_name", flat=True))
    for pending in GuardianPending.objects.all():
        referenced |= {
            stored["stored_name"] for stored in pending.payload.get("files", {}).values()
        }
    limit = time.time() - ORPHAN_AFTER.total_seconds()
    orphans = [
        path
        for path in upload_directory().glob("*.bin")
        if path.name not in referenced and path.stat().st_mtime < limit
    ]
    if not dry_run:
        for path in orphans:
            upload_delete(path.name)
    return len(orphans)


def register() -> None:
    contact_register(
        "intake.submissions",
        lambda since: Submission.objects.filter(created_at__gte=since).values("person_id"),
    )
    reason_register("intake.submissions", lambda: Submission.objects.values("person_id"))
    rule_register(
        RetentionRule(
            key="intake.submissions",
            title=_("Forms sent, with their files"),
            models=("intake.Submission", "intake.StoredFile"),
            expired=submissions_expired,
            remove=submissions_remove,
            batch=200,
            order=50,
        )
    )
    rule_register(
        RetentionRule(
            key="intake.feedback",
            title=_("Feedback"),
            models=("intake.Feedback",),
            expired=feedback_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="intake.reply_addresses",
            title=_("Feedback reply addresses"),
            models=("intake.FeedbackReplyAddress",),
            expired=reply_addresses_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="intake.guardian_pending",
            title=_("Minors' forms no guardian confirmed"),
            models=("intake.GuardianPending",),
            declarations=("unconfirmed",),
            expired=guardian_pending_expired,
            remove=guardian_pending_remove,
        )
    )
    rule_register(
        RetentionRule(
            key="intake.pending_uploads",
            title=_("Files held while a form was corrected"),
            models=("intake.PendingUpload",),
            expired=pending_uploads_expired,
            remove=pending_uploads_remove,
        )
    )
    rule_register(
        RetentionRule(
            key="intake.imports",
            title=_("Imported files"),
            models=("intake.ImportBatch",),
            declarations=("imports",),
            expired=imports_expired,
        )
    )
    sweep_register("intake.orphan_files", uploads_sweep, _("Uploaded files no record points to"))
