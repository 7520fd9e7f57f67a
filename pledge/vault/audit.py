"""The tamper-evident audit log: one function writes it, one verifies it.

Every service that changes state, and every staff view of a person's personal data, calls
``audit_record`` inside its own transaction, so the entry commits or rolls back with the change.
``audit_verify`` walks the chain and names the first entry that was edited, inserted or deleted.
"""

import contextvars
import hashlib
import json
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from pledge.vault.models import AuditEntry, AuditHead

GENESIS = "0" * 64

# Set per request by RequestIdMiddleware; "" outside requests (commands, tasks).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"staff:{actor.get_username()}"


def entry_hash(
    *,
    sequence: int,
    at,
    actor_id,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    request_id: str,
    details: dict,
    previous_hash: str,
) -> str:
    content = json.dumps(
        [
            sequence,
            at.isoformat(timespec="microseconds"),
            actor_id,
            actor_label,
            action,
            object_type,
            object_id,
            reason,
            request_id,
            details,
            previous_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction.

    ``actor`` is a staff user, a label ("visitor", "system", "person"), or None for the system.
    ``target`` names the object (its model label and public id); ``details`` must hold no
    personal values (field names, counts and states only), so erasure never has to edit the log.
    """
    if target is not None:
        object_type = target._meta.label
        object_id = str(getattr(target, "public_id", None) or target.pk)
    details = details or {}
    at = timezone.now()
    user = actor if actor is not None and not isinstance(actor, str) else None
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        fields = {
            "sequence": head.sequence + 1,
            "at": at,
            "actor_id": user.pk if user is not None else None,
            "actor_label": actor_label(actor),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "reason": reason,
            "request_id": request_id_var.get(),
            "details": details,
            "previous_hash": head.hash,
        }
        entry = AuditEntry.objects.create(**fields, hash=entry_hash(**fields))
        head.sequence, head.hash = entry.sequence, entry.hash
        head.save(update_fields=["sequence", "hash"])
    return entry


@dataclass(frozen=True)
class Verdict:
    intact: bool
    entries: int
    head_hash: str
    problem: str = ""

    def __str__(self):
        if self.intact:
            return f"Audit chain intact: {self.entries} entries, last hash {self.head_hash}."
        return f"Audit chain BROKEN: {self.problem}"


def audit_verify() -> Verdict:
    """Walk the whole chain; the first entry that does not fit is named in ``problem``."""
    previous_hash = GENESIS
    expected_sequence = 1
    count = 0
    rows = AuditEntry.objects.order_by("sequence").values_list(
        "id",
        "sequence",
        "at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "reason",
        "request_id",
        "details",
        "previous_hash",
        "hash",
    )
    for row in rows.iterator(chunk_size=2000):
        (row_id, sequence, at, actor_id, label, action, object_type, object_id) = row[:8]
        reason, request_id, details, stored_previous, stored_hash = row[8:]
        where = f"entry #{sequence} (id {row_id}, {action} at {at:%Y-%m-%d %H:%M:%S})"
        if sequence != expected_sequence:
            if sequence > expected_sequence:
                missing = f"#{expected_sequence}" + (
                    f" to #{sequence - 1}" if sequence - 1 > expected_sequence else ""
                )
                problem = f"entry {missing} is missing before {where}: deleted."
            else:
                problem = f"{where} repeats a sequence number: inserted."
            return Verdict(False, count, previous_hash, problem)
        if stored_previous != previous_hash:
            return Verdict(
                False,
                count,
                previous_hash,
                f"{where} does not link to the entry before it: inserted or reordered.",
            )
        computed = entry_hash(
            sequence=sequence,
            at=at,
            actor_id=actor_id,
            actor_label=label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            request_id=request_id,
            details=details,
            previous_hash=stored_previous,
        )
        if computed != stored_hash:
            return Verdict(False, count, previous_hash, f"{where} does not match its hash: edited.")
        previous_hash = stored_hash
        expected_sequence += 1
        count += 1

    head = AuditHead.objects.filter(id=1).first()
    head_sequence, head_hash = (head.sequence, head.hash) if head else (0, GENESIS)
    if head_sequence != count or head_hash != previous_hash:
        return Verdict(
            False,
            count,
            previous_hash,
            f"the chain ends at entry #{count} but the head records #{head_sequence}: "
            "entries were deleted from the end.",
        )
    return Verdict(True, count, previous_hash)


def audit_entries(*, actor, action: str = ""):
    """The log, newest first, for those who may read it (the privacy officer, P22)."""
    from pledge.vault.access import access_require

    access_require(actor, "view_audit_log")
    entries = AuditEntry.objects.select_related("actor").order_by("-sequence")
    return entries.filter(action__startswith=action) if action else entries
