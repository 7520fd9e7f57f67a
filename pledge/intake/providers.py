"""Intake's personal data: submissions with their files, and minors' submissions on hold.

Registered with people's registry from ``IntakeConfig.ready``. Feedback is exempt: it is never
linked to a person (P20), and finding it by someone's address would link it.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pledge.intake.models import GuardianPending, ImportBatch, StoredFile, Submission
from pledge.intake.uploads import upload_delete, upload_read
from pledge.inventory import labels
from pledge.people.models import Source
from pledge.people.registry import (
    PersonalDataProvider,
    TimelineEntry,
    exempt_register,
    provider_register,
    when,
)
from pledge.vault.keys import normalise_email


def submissions_of(person):
    return Submission.objects.filter(person_id=person.pk).prefetch_related("files")


def submissions_export(person) -> list[dict]:
    return [
        {
            "id": str(submission.public_id),
            "form": submission.form,
            "answers": submission.answers,
            "files": [stored.original_name for stored in submission.files.all()],
            "language": submission.language,
            "source": submission.source,
            "policy_version": submission.policy_version,
            "attribution": submission.attribution,
            "guardian": submission.guardian,
            "at": when(submission.created_at),
        }
        for submission in submissions_of(person).order_by("created_at", "id")
    ]


def source_name(source: str) -> str:
    """Where a submission came from, in words (a source the people app does not name reads as
    it was recorded)."""
    return str(Source(source).label) if source in Source.values else source


def submissions_timeline(person) -> list[TimelineEntry]:
    """Each form the person sent, with their answers, its source and its policy version."""
    return [
        TimelineEntry(
            at=submission.created_at,
            kind="submission",
            summary=labels.form_name(submission.form),
            detail=labels.answers_line(submission.form, submission.answers),
            source=source_name(submission.source),
            policy_version=submission.policy_version,
        )
        for submission in Submission.objects.filter(person_id=person.pk)
    ]


def submissions_files(person) -> list[tuple[str, bytes]]:
    """The files the person sent (a CV), decrypted, for their download."""
    files = []
    for stored in StoredFile.objects.filter(submission__person_id=person.pk).order_by("id"):
        try:
            files.append(
                (f"{stored.public_id}-{stored.original_name}", upload_read(stored.stored_name))
            )
        except FileNotFoundError:
            continue
    return files


def submissions_erase(person) -> int:
    """Rows now; the encrypted files once the erasure commits (a rollback keeps them)."""
    names = list(
        StoredFile.objects.filter(submission__person_id=person.pk).values_list(
            "stored_name", flat=True
        )
    )
    files, _ = StoredFile.objects.filter(submission__person_id=person.pk).delete()
    submissions, _ = Submission.objects.filter(person_id=person.pk).delete()
    transaction.on_commit(lambda: [upload_delete(name) for name in names])
    return files + submissions


def pending_of(person) -> list[GuardianPending]:
    """A minor's submission waiting for a guardian, sent with this address, or naming it as the
    guardian's. They live a week at most: reading the few that exist beats indexing them."""
    address = normalise_email(person.email or "")
    if not address:
        return []
    return [
        pending
        for pending in GuardianPending.objects.all()
        if address
        in {
            normalise_email(pending.guardian_email),
            normalise_email(str(pending.payload.get("answers", {}).get("email", ""))),
        }
    ]


def pending_export(person) -> list[dict]:
    return [
        {
            "form": pending.form,
            "answers": pending.payload.get("answers", {}),
            "language": pending.language,
            "created_at": when(pending.created_at),
            "expires_at": when(pending.expires_at),
        }
        for pending in pending_of(person)
    ]


def pending_erase(person) -> int:
    removed = 0
    for pending in pending_of(person):
        names = [stored["stored_name"] for stored in pending.payload.get("files", {}).values()]
        pending.delete()
        transaction.on_commit(lambda names=names: [upload_delete(name) for name in names])
        removed += 1
    return removed


def import_rows_of(person) -> list[tuple[ImportBatch, list[dict]]]:
    """Rows for the person's address in imports not yet run (a batch drops its rows once
    imported, so only the few pending batches are read)."""
    address = normalise_email(person.email or "")
    if not address:
        return []
    found = []
    for batch in ImportBatch.objects.filter(finished_at__isnull=True):
        rows = [row for row in batch.rows if normalise_email(row.get("email", "")) == address]
        if rows:
            found.append((batch, rows))
    return found


def import_rows_export(person) -> list[dict]:
    return [
        {
            "source": batch.source,
            "legal_basis": batch.legal_basis,
            "row": {key: value for key, value in row.items() if key != "line"},
            "at": when(batch.created_at),
        }
        for batch, rows in import_rows_of(person)
        for row in rows
    ]


def import_rows_erase(person) -> int:
    """The person's rows leave the pending batch; the rest of the batch stays to be run."""
    removed = 0
    for batch, rows in import_rows_of(person):
        lines = {row["line"] for row in rows}
        done = batch.rows[: batch.done]
        pending = [row for row in batch.rows[batch.done :] if row["line"] not in lines]
        kept = [row for row in done if row["line"] not in lines]
        removed += len(batch.rows) - len(kept) - len(pending)
        batch.rows = kept + pending
        batch.done = len(kept)
        batch.total = len(batch.rows)
        batch.save(update_fields=["rows", "done", "total"])
    return removed


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="intake.submissions",
            title=_("Forms you sent"),
            description=_(
                "Each form you sent us, with your answers, the files you attached, the policy "
                "version in force and where it came from."
            ),
            models=("intake.Submission", "intake.StoredFile"),
            export=submissions_export,
            erase=submissions_erase,
            files=submissions_files,
            timeline=submissions_timeline,
            labels={
                "form": _("Form"),
                "answers": _("Your answers"),
                "files": _("Files"),
                "language": _("Language"),
                "source": _("Source"),
                "policy_version": _("Policy version"),
                "guardian": _("Guardian"),
                "at": _("When"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="intake.guardian_pending",
            title=_("Waiting for a guardian"),
            description=_(
                "A minor's form held until a parent or guardian confirms it (deleted after a "
                "week if nobody does)."
            ),
            models=("intake.GuardianPending",),
            export=pending_export,
            erase=pending_erase,
            labels={
                "form": _("Form"),
                "answers": _("Answers"),
                "created_at": _("Sent"),
                "expires_at": _("Deleted on"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="intake.import_rows",
            title=_("Lists waiting to be imported"),
            description=_(
                "Your row in a list we received from another source and have not imported yet."
            ),
            models=("intake.ImportBatch",),
            export=import_rows_export,
            erase=import_rows_erase,
            labels={
                "source": _("Source"),
                "legal_basis": _("Legal basis"),
                "row": _("Your row"),
                "at": _("Received"),
            },
        )
    )
    exempt_register(
        "intake.Feedback",
        reason="P20: feedback is never linked to a person, and looking it up by someone's "
        "address would link it",
    )
    exempt_register(
        "intake.FeedbackReplyAddress",
        reason="P20: kept apart from any person and deleted after its short retention",
    )
    exempt_register(
        "intake.PendingUpload",
        reason="a file from a form that failed validation, linked to no person, found only by "
        "the random token of the page shown again, and deleted within the hour unless that "
        "page's next post attaches it to its submission",
    )
