"""The tamper-evident audit log: one function writes it, one verifies it, checkpoints pin it.

Every service that changes state, and every staff view of a person's personal data, calls
``audit_record`` inside its own transaction, so the entry commits or rolls back with the change.
``audit_verify`` walks the chain and names the first entry that was edited, inserted or deleted.

A plain hash chain proves nothing against whoever can write to the database: they edit a row and
recompute every later hash. So each entry is sealed with HMAC-SHA256 under the audit key of the
ring's primary key (``keys.py`` derives it apart from the encryption and blind-index keys) and
records that key's id: entries verify under their own key as long as it stays in PLEDGE_KEYS,
across any number of rotations. Entries written before seals existed (key id "") keep their
plain SHA-256 and still verify, but only as the chain's beginning: the migration that brought
seals appended a sealed entry after them (its seal covers their last hash), and an unsealed
entry after a sealed one, or a chain with no sealed entry at all, is a rewrite.

What a seal cannot show, checkpoints do: entries cut from the end (the head is in the same
database), and history rewritten by someone who stole the key. ``audit_checkpoint`` appends the
chain's end (sequence, hash, time), signed with the audit key, to a file outside the database
(``PLEDGE_AUDIT_CHECKPOINTS``) and to the log; ``checkpoints_verify`` checks each one against
the chain.
"""

import contextlib
import contextvars
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pledge.vault.actors import Actor
from pledge.vault.keys import KEY_ID, Key, KeyRing, current_ring
from pledge.vault.models import AuditEntry, AuditHead

log = logging.getLogger(__name__)

GENESIS = "0" * 64
WALK_ROUNDS = 5  # walks of the entries appended meanwhile before a moving head is reported
# What an entry's hash or seal covers, in this order.
CONTENT = (
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
)
CHECKPOINT_TAG = "ckpt1"
# tag, sequence, hash, time, key id, MAC
CHECKPOINT_LINE = re.compile(
    rf"{CHECKPOINT_TAG} (\d+) ([0-9a-f]{{64}}) (\S+) (\S+) ([0-9a-f]{{64}})", re.ASCII
)
CHECKPOINT_LABEL = b"pledge audit checkpoint\x00"  # keeps a checkpoint's MAC apart from a seal's

# Set per request by RequestIdMiddleware; "" outside requests (commands, tasks).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class CheckpointError(ValueError):
    """The chain or the checkpoint file no longer fits: no checkpoint may be written over it."""


def actor_label(actor: Actor) -> str:
    """Exactly who acted, as entries and the records that name an actor say it."""
    if not isinstance(actor, Actor):
        raise TypeError(f"an actor is a pledge.vault.actors.Actor, not {type(actor).__name__}")
    return actor.label


def entry_content(fields: dict) -> bytes:
    """The canonical bytes of an entry, the same for entries written before seals existed."""
    values = [fields[name] for name in CONTENT]
    values[CONTENT.index("at")] = fields["at"].isoformat(timespec="microseconds")
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(fields: dict) -> str:
    """The plain SHA-256 of an entry written before seals existed (its key id is "")."""
    return hashlib.sha256(entry_content(fields)).hexdigest()


def entry_seal(fields: dict, key: Key) -> str:
    """HMAC-SHA256 under ``key``'s audit key; the key id is sealed too, so it cannot be swapped."""
    return hmac.digest(
        key.audit_key, key.id.encode() + b"\x00" + entry_content(fields), "sha256"
    ).hex()


def entry_fields(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    details: dict | None = None,
) -> dict:
    """What an entry says, before the chain gives it a place."""
    if target is not None:
        object_type = target._meta.label
        object_id = str(getattr(target, "public_id", None) or target.pk)
    label = actor_label(actor)
    return {
        "at": timezone.now(),
        "actor_id": actor.user_id,
        "actor_label": label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "reason": reason,
        "request_id": request_id_var.get(),
        "details": details or {},
    }


def entry_append(fields: dict, *, entries=AuditEntry, heads=AuditHead):
    """Seal ``fields`` under the primary key and append them after the head.

    Locking the head queues concurrent writers instead of forking the chain. The models are
    parameters so that the migration which brought seals appends with its historical models.
    """
    return entries_append([fields], entries=entries, heads=heads)[0]


def entries_append(
    pending: list[dict], *, entries=AuditEntry, heads=AuditHead, savepoint: bool = True
) -> list:
    """Seal each of ``pending`` and append them, in order, after the head: one lock, one
    insert. The head stays locked until the transaction commits, so the statements between
    are few: each is a round trip that, under load, also waits for its thread's turn (a batch
    appends with no savepoint of its own: a failure rolls back its whole transaction)."""
    key = current_ring().primary
    with transaction.atomic(savepoint=savepoint):
        head, _created = heads.objects.select_for_update().get_or_create(id=1)
        appended = []
        for fields in pending:
            fields = {**fields, "sequence": head.sequence + 1, "previous_hash": head.hash}
            entry = entries(**fields, key_id=key.id, hash=entry_seal(fields, key))
            head.sequence, head.hash = entry.sequence, entry.hash
            appended.append(entry)
        if len(appended) == 1:
            appended[0].save(force_insert=True)
        else:
            entries.objects.bulk_create(appended)
        head.save(update_fields=["sequence", "hash"])
    return appended


# The entries an ``audit_batch`` holds back, each with the marker that tells whether the
# savepoint it was recorded in still stands; None outside a batch.
_batched: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_batch", default=None)


@contextlib.contextmanager
def audit_batch():
    """Append the entries recorded inside the block together as it ends, still inside the
    caller's transaction, instead of each as it is recorded.

    Appending locks the chain's head until the transaction commits, so every writer of the log
    waits for the one holding it: a service that records several entries between its first and
    its commit (a form post records seven) holds the lock for all its work. In a batch, the
    lock is taken for the appends alone, just before the commit (bench/bench_forms.py).

    What is appended is what ``audit_record`` would have left in the log: the same entries, in
    the order recorded, each with the time it was recorded; none if the block raises (the
    transaction rolls back); and none of those recorded inside a savepoint that rolled back
    while the block went on (each entry registers a no-op ``on_commit`` marker, which Django
    discards with its savepoint). Outside a transaction, or inside another batch, entries are
    appended as usual (by the outer batch).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block or _batched.get() is not None:
        yield
        return
    pending: list = []
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
    standing = {id(marker) for _sids, marker, _robust in connection.run_on_commit}
    kept = [fields for fields, marker in pending if id(marker) in standing]
    if kept:
        entries_append(kept, savepoint=False)


def _batch_marker() -> None:
    """Does nothing after the commit; while the transaction lasts, its presence in the
    connection's on_commit list says its savepoint was not rolled back."""


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    details: dict | None = None,
) -> AuditEntry | None:
    """Append one entry to the chain, in the caller's transaction (inside an ``audit_batch``,
    as the batch ends: None then).

    ``actor`` is who acted (``pledge.vault.actors.Actor``); anything else is a TypeError.
    ``target`` names the object (its model label and public id); ``details`` must hold no
    personal values (field names, counts and states only), so erasure never has to edit the log.
    """
    fields = entry_fields(
        actor=actor,
        action=action,
        target=target,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details,
    )
    pending = _batched.get()
    if pending is not None and transaction.get_connection().in_atomic_block:
        marker = functools.partial(_batch_marker)  # its own object, to be found again
        transaction.on_commit(marker)
        pending.append((fields, marker))
        return None
    return entry_append(fields)


def audit_chain_seal(entries, heads) -> None:
    """Pin the entries written before seals existed under one sealed, audited entry.

    Run once by the migration that brought seals (vault 0002), with its historical models: the
    old entries are left as they are, and from then on an unsealed entry can only stand before
    the first sealed one, whose seal covers their last hash.
    """
    unsealed = entries.objects.filter(key_id="").count()
    if not unsealed:
        return
    fields = entry_fields(
        actor=Actor.system("audit.seal"),
        action="audit.sealed",
        details={"unsealed_entries": unsealed},
    )
    entry_append(fields, entries=entries, heads=heads)


@dataclass(frozen=True)
class Verdict:
    intact: bool
    entries: int  # the sequence of the last entry that fits
    head_hash: str
    problem: str = ""

    def __str__(self):
        if self.intact:
            return ngettext(
                "Audit chain intact: %(entries)s entry, last hash %(hash)s.",
                "Audit chain intact: %(entries)s entries, last hash %(hash)s.",
                self.entries,
            ) % {"entries": self.entries, "hash": self.head_hash}
        return _("Audit chain BROKEN: %(problem)s") % {"problem": self.problem}


def entry_where(row: dict) -> str:
    return _("entry #%(sequence)s (id %(id)s, %(action)s at %(at)s)") % {
        "sequence": row["sequence"],
        "id": row["id"],
        "action": row["action"],
        "at": timezone.localtime(row["at"]).strftime("%Y-%m-%d %H:%M:%S"),
    }


def entry_place_problem(row: dict, *, expected: int, previous_hash: str) -> str:
    """Why ``row`` is not entry ``expected``, linked to ``previous_hash``; "" when it is."""
    if row["sequence"] > expected + 1:
        return _("entries #%(first)s to #%(last)s are missing before %(where)s: deleted.") % {
            "first": expected,
            "last": row["sequence"] - 1,
            "where": entry_where(row),
        }
    if row["sequence"] > expected:
        return _("entry #%(first)s is missing before %(where)s: deleted.") % {
            "first": expected,
            "where": entry_where(row),
        }
    if row["sequence"] < expected:
        return _("%(where)s repeats a sequence number: inserted.") % {"where": entry_where(row)}
    if row["previous_hash"] != previous_hash:
        return _("%(where)s does not link to the entry before it: inserted or reordered.") % {
            "where": entry_where(row)
        }
    return ""


def entry_hash_problem(row: dict, *, sealed: bool, ring: KeyRing) -> str:
    """Why ``row``'s hash does not prove its contents; "" when it does.

    ``sealed`` says whether a sealed entry came before: an unsealed one after it is a rewrite.
    """
    if not row["key_id"]:
        if sealed:
            return _(
                "%(where)s is not sealed, but an entry before it is: rewritten with a plain hash."
            ) % {"where": entry_where(row)}
        computed = entry_hash(row)
    else:
        key = ring.by_id.get(row["key_id"])
        if key is None:
            return _(
                "%(where)s is sealed with key %(key)s, which PLEDGE_KEYS no longer holds: put "
                "that key back in the ring (after the primary) to check it."
            ) % {"where": entry_where(row), "key": row["key_id"]}
        computed = entry_seal(row, key)
    if not hmac.compare_digest(computed, row["hash"]):
        return _("%(where)s does not match its hash: edited.") % {"where": entry_where(row)}
    return ""


def chain_walk(*, after: int = 0, previous_hash: str = GENESIS, sealed: bool = False) -> Verdict:
    """Check every entry after entry ``after`` (whose hash is ``previous_hash``, and which was
    sealed or not as ``sealed`` says), then the head."""
    ring = current_ring()
    expected = after + 1
    # Entries appended while the walk runs commit with their head: when the head is found
    # ahead of the walk, those are walked too, so a busy log is never taken for a cut one.
    for _round in range(WALK_ROUNDS):
        rows = AuditEntry.objects.filter(sequence__gte=expected).order_by("sequence")
        for row in rows.values("id", "key_id", "hash", *CONTENT).iterator(chunk_size=2000):
            problem = entry_place_problem(
                row, expected=expected, previous_hash=previous_hash
            ) or entry_hash_problem(row, sealed=sealed, ring=ring)
            if problem:
                return Verdict(False, expected - 1, previous_hash, problem)
            sealed = sealed or bool(row["key_id"])
            previous_hash = row["hash"]
            expected += 1
        head = AuditHead.objects.filter(id=1).first()
        head_sequence, head_hash = (head.sequence, head.hash) if head else (0, GENESIS)
        if head_sequence <= expected - 1:
            break
    last = expected - 1
    if last and not sealed:
        return Verdict(
            False,
            last,
            previous_hash,
            ngettext(
                "the chain's only entry is not sealed, but since its upgrade Pledge seals every "
                "entry (and sealed in the older ones): it was rewritten with a plain hash.",
                "none of the %(count)s entries is sealed, but since its upgrade Pledge seals "
                "every entry (and sealed in the older ones): the chain was rewritten with plain "
                "hashes.",
                last,
            )
            % {"count": last},
        )
    if head_sequence != last or head_hash != previous_hash:
        return Verdict(
            False,
            last,
            previous_hash,
            _(
                "the chain ends at entry #%(last)s but the head records #%(head)s: entries "
                "were deleted from the end."
            )
            % {"last": last, "head": head_sequence},
        )
    return Verdict(True, last, previous_hash)


def audit_verify() -> Verdict:
    """Walk the whole chain; the first entry that does not fit is named in ``problem``."""
    return chain_walk()


# --- Checkpoints: the chain's end, published where the database's owner cannot rewrite it ---


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    at: datetime
    key_id: str
    mac: str = ""

    def payload(self) -> str:
        """What the MAC covers: every field of the line but the MAC."""
        at = self.at.isoformat(timespec="seconds")
        return f"{CHECKPOINT_TAG} {self.sequence} {self.hash} {at} {self.key_id}"

    def line(self) -> str:
        return f"{self.payload()} {self.mac}"


def checkpoint_mac(checkpoint: Checkpoint, key: Key) -> str:
    message = CHECKPOINT_LABEL + checkpoint.payload().encode()
    return hmac.digest(key.audit_key, message, "sha256").hex()


def checkpoint_make(sequence: int, head_hash: str) -> Checkpoint:
    """The chain's end now, signed with the primary key."""
    key = current_ring().primary
    unsigned = Checkpoint(sequence, head_hash, timezone.now().replace(microsecond=0), key.id)
    return replace(unsigned, mac=checkpoint_mac(unsigned, key))


def checkpoint_parse(line: str) -> Checkpoint | None:
    """A line as Pledge writes it, or None for anything else."""
    found = CHECKPOINT_LINE.fullmatch(line.strip())
    if not found:
        return None
    sequence, head_hash, at, key_id, mac = found.groups()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    if not moment.tzinfo or not KEY_ID.match(key_id):
        return None
    return Checkpoint(int(sequence), head_hash, moment, key_id, mac)


def checkpoint_where(number: int, checkpoint: Checkpoint) -> str:
    return _("the checkpoint on line %(line)s (entry #%(sequence)s, %(at)s)") % {
        "line": number,
        "sequence": checkpoint.sequence,
        "at": timezone.localtime(checkpoint.at).strftime("%Y-%m-%d %H:%M:%S"),
    }


def checkpoint_signature_problem(number: int, checkpoint: Checkpoint | None, ring: KeyRing) -> str:
    """Why the line is not a checkpoint Pledge signed; "" when it is."""
    if checkpoint is None:
        return _("line %(line)s is not a checkpoint Pledge wrote: damaged or forged.") % {
            "line": number
        }
    where = checkpoint_where(number, checkpoint)
    key = ring.by_id.get(checkpoint.key_id)
    if key is None:
        return _(
            "%(where)s is signed with key %(key)s, which PLEDGE_KEYS no longer holds: put that "
            "key back in the ring (after the primary) to check it."
        ) % {"where": where, "key": checkpoint.key_id}
    if not hmac.compare_digest(checkpoint_mac(checkpoint, key), checkpoint.mac):
        return _("%(where)s is forged: its signature does not match.") % {"where": where}
    return ""


def checkpoint_chain_problem(number: int, checkpoint: Checkpoint, stored_hash: str | None) -> str:
    """Why the chain no longer holds the checkpoint's entry with its hash; "" when it does."""
    where = checkpoint_where(number, checkpoint)
    if stored_hash is None:
        return _(
            "%(where)s no longer matches the chain: entry #%(sequence)s is gone (deleted or "
            "cut from the end)."
        ) % {"where": where, "sequence": checkpoint.sequence}
    if not hmac.compare_digest(stored_hash, checkpoint.hash):
        return _(
            "%(where)s no longer matches the chain: entry #%(sequence)s or one before it was "
            "rewritten."
        ) % {"where": where, "sequence": checkpoint.sequence}
    return ""


def checkpoints_path(path=None) -> Path:
    return Path(path or settings.PLEDGE_AUDIT_CHECKPOINTS)


def lines_numbered(text: str) -> list[tuple[int, str]]:
    """The checkpoint file's lines with their numbers, blank ones left out."""
    return [
        (number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]


def stored_hashes(sequences: list[int]) -> dict[int, str]:
    found = {}
    for start in range(0, len(sequences), 500):
        rows = AuditEntry.objects.filter(sequence__in=sequences[start : start + 500])
        found.update(rows.values_list("sequence", "hash"))
    return found


def checkpoints_verify(path=None) -> tuple[int, list[str]]:
    """Check every checkpoint of the file: signed by the ring, and its entry still has its hash.

    Returns how many checkpoints the file holds and the problems, in line order (none when
    every one matches). Raises OSError when the file cannot be read.
    """
    ring = current_ring()
    text = checkpoints_path(path).read_text(encoding="utf-8", errors="replace")
    numbered = lines_numbered(text)
    problems, signed = {}, {}
    for number, line in numbered:
        checkpoint = checkpoint_parse(line)
        problem = checkpoint_signature_problem(number, checkpoint, ring)
        if problem:
            problems[number] = problem
        else:
            signed[number] = checkpoint
    hashes = stored_hashes(sorted({checkpoint.sequence for checkpoint in signed.values()}))
    for number, checkpoint in signed.items():
        problem = checkpoint_chain_problem(number, checkpoint, hashes.get(checkpoint.sequence))
        if problem:
            problems[number] = problem
    return len(numbered), [problems[number] for number in sorted(problems)]


def checkpoint_last(file) -> tuple[int, Checkpoint] | None:
    """The file's last checkpoint with its line number, checked; None for an empty file."""
    file.seek(0)
    numbered = lines_numbered(file.read())
    if not numbered:
        return None
    number, line = numbered[-1]
    checkpoint = checkpoint_parse(line)
    problem = checkpoint_signature_problem(number, checkpoint, current_ring())
    if problem:
        raise CheckpointError(problem)
    return number, checkpoint


def chain_since(last: tuple[int, Checkpoint] | None) -> Verdict:
    """The chain checked from the last checkpoint on (from the start when there is none)."""
    if last is None:
        return chain_walk()
    number, checkpoint = last
    entry = AuditEntry.objects.filter(sequence=checkpoint.sequence).values("hash", "key_id")
    entry = entry.first()
    problem = checkpoint_chain_problem(number, checkpoint, entry and entry["hash"])
    if problem:
        raise CheckpointError(problem)
    return chain_walk(
        after=checkpoint.sequence, previous_hash=checkpoint.hash, sealed=bool(entry["key_id"])
    )


def audit_checkpoint() -> Checkpoint | None:
    """Append the chain's end to the checkpoint file and the log; None when nothing was added.

    Only the entries since the file's last checkpoint are walked (``pledge audit verify``
    walks them all). Raises CheckpointError when they, or that checkpoint, no longer fit: a
    checkpoint is never written over tampering. The file is locked while this runs, so the
    scheduler and ``pledge audit checkpoint`` never interleave.
    """
    path = checkpoints_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8", errors="replace") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            last = checkpoint_last(file)
            verdict = chain_since(last)
        except CheckpointError as error:
            log.error("audit checkpoint refused: %s", error)
            raise
        if not verdict.intact:
            log.error("audit checkpoint refused: %s", verdict.problem)
            raise CheckpointError(verdict.problem)
        if not verdict.entries or (last and last[1].sequence == verdict.entries):
            return None
        checkpoint = checkpoint_make(verdict.entries, verdict.head_hash)
        file.write(checkpoint.line() + "\n")
        file.flush()
        os.fsync(file.fileno())
    log.info("audit checkpoint %s", checkpoint.line())
    return checkpoint


def audit_entries(*, actor, action: str = ""):
    """The log, newest first, for those who may read it (the privacy officer, P22)."""
    from pledge.vault.access import access_require

    access_require(actor, "view_audit_log")
    entries = AuditEntry.objects.select_related("actor").order_by("-sequence")
    return entries.filter(action__startswith=action) if action else entries


AUDIT_PAGE_SIZE = 50
CURSOR_DIGITS = 20  # a sequence number is a positive 64-bit integer: at most 20 digits


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, found by sequence number (keyset), never by OFFSET:
    a page deep in millions of entries costs what the first does. ``newer``/``older`` are the
    cursors of the neighbouring pages (``after=``/``before=``), None where there is none."""

    entries: list
    newer: int | None
    older: int | None
    first: bool  # the newest page (no cursor was followed)


def audit_cursor(value) -> int | None:
    """A page cursor from an address: a sequence number, or None for anything else (the log's
    first page; a hand-edited address never fails)."""
    value = str(value or "").strip()
    if not value or len(value) > CURSOR_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def audit_page(
    *,
    actor,
    action: str = "",
    before: int | None = None,
    after: int | None = None,
    size: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """The ``size`` entries just older than entry ``before``, or just newer than ``after``, or
    the newest; with the cursors of the pages either side. A cursor past either end gives the
    entries there are (possibly none), with a way back."""
    entries = audit_entries(actor=actor, action=action)
    if after is not None:
        rows = list(entries.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        older_than = rows[-1].sequence if rows else after + 1
        more_older = entries.filter(sequence__lt=older_than).exists()
        return AuditPage(
            entries=rows,
            newer=rows[0].sequence if more_newer else None,
            older=older_than if more_older else None,
            first=False,
        )
    if before is not None:
        entries = entries.filter(sequence__lt=before)
    rows = list(entries[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    newer_than = rows[0].sequence if rows else (before or 1) - 1
    more_newer = before is not None and (
        audit_entries(actor=actor, action=action).filter(sequence__gt=newer_than).exists()
    )
    return AuditPage(
        entries=rows,
        newer=newer_than if more_newer else None,
        older=rows[-1].sequence if more_older else None,
        first=before is None,
    )
