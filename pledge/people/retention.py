"""Retention: how long every personal table keeps its rows, and the one job that deletes them.

The inventory declares each period (``[retention.<key>]``, the forms' fields, ``[request_log]``)
and the policy's retention table is rendered from those same entries. Each app that stores
personal data registers, beside its personal data provider, one ``RetentionRule`` per kind of
record: which models it empties, which declarations it reads, and ``expired(now)``, the rows past
their period at ``now`` and outside every hold. ``retention_purge`` (``pledge purge``, and the
scheduler every hour) walks the rules in order and deletes what they find in small batches,
each in its own short transaction, so the site keeps writing while it runs and a run stopped
half-way resumes where it stopped; the audit log gets one entry per run, with counts per rule.

Two checks keep it complete, like the registry's (``people/checks.py``): a personal model that
no rule covers (``people.E003``), and an inventory entry that no rule reads or a rule reading an
entry the inventory lacks (``people.E004``), so the policy never states a period nothing
enforces.

Holds: ``hold_register`` adds the people whose data must not go yet, whatever its age (someone
with an open rights request: their data is the request's subject). A rule on a table linked
to people leaves out ``held_people()``.

A person goes when their last reason to be kept goes: ``reason_register`` names what keeps a
person (a submission, an account, a standing subscription, ...); the people rule deletes those
with none left whose own period (``[retention.people]``) has passed. What counts in aggregate
(rollups) stays: it names no one.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from pledge.inventory.loader import current_inventory
from pledge.people.versions import retention_periods, version_inventories
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record

BATCH = 500  # rows per transaction: a few milliseconds of write lock on SQLite (bench_purge.py)


@dataclass(frozen=True)
class RetentionRule:
    """How one kind of personal record expires.

    ``expired(now)`` returns a queryset of one model: the rows past their period at ``now``,
    outside any hold; ``prepare()``, if given, first records the event the period counts from.
    ``remove(pks)`` deletes one batch of them (files, tombstones, cascades);
    by default ``model.objects.filter(pk__in=pks).delete()``. ``declarations`` names the
    inventory's ``[retention.<key>]`` entries the rule reads; ``models`` every model label it
    empties (the system check reads both).
    """

    key: str  # "<app>.<what>", e.g. "intake.submissions"
    expired: Callable[[datetime], QuerySet]
    models: tuple[str, ...]
    title: str = ""  # a lazy translation: the kind of record, in the purge's report
    declarations: tuple[str, ...] = ()
    remove: Callable[[list], int] | None = None
    # Recorded before a real purge reads ``expired``: the event its period counts from, when
    # only now can it be seen (a processing no longer declared has ended).
    prepare: Callable[[], object] | None = None
    # Rows per transaction when a row's delete cascades far (a person, a form): fewer, so the
    # write lock stays short (bench_purge.py); else ``retention_purge``'s ``size``.
    batch: int | None = None
    order: int = 100  # lower first; the people rule runs last (1000)


_rules: dict[str, RetentionRule] = {}
_holds: dict[str, Callable[[], QuerySet]] = {}
_reasons: dict[str, Callable[[], QuerySet]] = {}
_contacts: dict[str, Callable[[datetime], QuerySet]] = {}
_sweeps: dict[str, tuple[Callable[..., int], str]] = {}


def rule_register(rule: RetentionRule) -> None:
    """Register (or replace, on a reload) the rule under its key."""
    _rules[rule.key] = rule


def rule_unregister(key: str) -> None:
    _rules.pop(key, None)


def rule_get(key: str) -> RetentionRule:
    return _rules[key]


def rules() -> list[RetentionRule]:
    """Every rule, in purge order."""
    return sorted(_rules.values(), key=lambda rule: (rule.order, rule.key))


def retained_models() -> dict[str, str]:
    """Model label -> the key of the rule that empties it."""
    covered = {}
    for rule in rules():
        covered.update(dict.fromkeys(rule.models, rule.key))
    return covered


def hold_register(key: str, people: Callable[[], QuerySet]) -> None:
    """``people()`` returns a ``values("person")``-style queryset of person ids whose data no
    rule may delete for now (an open rights request about them)."""
    _holds[key] = people


def held_people() -> list[QuerySet]:
    """The querysets of held person ids, one per registered hold."""
    return [people() for _, people in sorted(_holds.items())]


def naming(people: QuerySet, person_field: str) -> Exists:
    """Whether ``people`` (a ``values("<person id>")`` queryset) holds the row's person: a
    correlated EXISTS, an anti-join on the person index, never a list of every id built again
    for each row (measured: quadratic on PostgreSQL at a million people)."""
    (field,) = people.query.values_select
    return Exists(people.filter(**{field: OuterRef(person_field)}))


def without_held(queryset: QuerySet, person_field: str = "person") -> QuerySet:
    """``queryset`` minus the rows of held people."""
    for people in held_people():
        queryset = queryset.exclude(naming(people, person_field))
    return queryset


def reason_register(key: str, people: Callable[[], QuerySet]) -> None:
    """``people()`` returns the ids of the people an app still keeps records of that are a reason
    to keep the person (their submissions, their account, a standing subscription)."""
    _reasons[key] = people


def reasons() -> list[QuerySet]:
    return [people() for _, people in sorted(_reasons.items())]


def contact_register(key: str, people: Callable[[datetime], QuerySet]) -> None:
    """``people(since)`` returns the ids of the people we were in contact with from ``since`` to
    now (a form they sent, a meeting held): what "from our last contact" counts from."""
    _contacts[key] = people


def contacted_since(since: datetime, person_field: str = "person") -> Q:
    """Rows whose person was in contact with us from ``since`` on."""
    contacted = Q(pk__in=[])
    for _, people in sorted(_contacts.items()):
        contacted |= Q(naming(people(since), person_field))
    return contacted


def not_contacted_since(queryset: QuerySet, since: datetime, person_field: str = "person"):
    """``queryset`` minus the rows of people in contact with us from ``since`` on."""
    for _, people in sorted(_contacts.items()):
        queryset = queryset.exclude(naming(people(since), person_field))
    return queryset


def sweep_register(key: str, sweep: Callable[..., int], title: str = "") -> None:
    """Something to clear that is not a table's rows (encrypted files no row points to):
    ``sweep(dry_run=...)`` returns how many things it removed, or would."""
    _sweeps[key] = (sweep, title)


def cutoff(key: str, now: datetime) -> datetime | None:
    """The instant before which the event of ``[retention.<key>]`` must lie for its records to
    have expired at ``now``; None when they are kept with no end (a hold's ``kept_while``)."""
    days = current_inventory().retention_days(key)
    return None if days is None else now - timedelta(days=days)


def expired_before(key: str, now: datetime, field: str, version_field: str = "policy_version"):
    """A ``Q`` for rows whose ``field`` lies before the cutoff of ``[retention.<key>]``, or, for
    rows collected under an earlier policy version that promised a shorter period, before that
    shorter cutoff: the more protective of the two applies (P23)."""
    days = current_inventory().retention_days(key)
    if days is None:
        return Q(pk__in=[])
    expired = Q(**{f"{field}__lt": now - timedelta(days=days)})
    for number, declarations in version_inventories().items():
        promised = retention_periods(declarations).get(f"retention.{key}")
        if promised is not None and promised < days:
            expired |= Q(**{version_field: number, f"{field}__lt": now - timedelta(days=promised)})
    return expired


def nothing(model) -> Callable[[datetime], QuerySet]:
    """``expired`` for records kept while something stands (no age makes them go)."""
    return lambda now: model.objects.none()


@dataclass
class Purged:
    """What one rule removed (or would remove, in a dry run)."""

    key: str
    title: str
    count: int = 0
    batches: int = 0
    longest_batch: float = 0.0  # seconds: the longest write transaction of the rule


@dataclass
class PurgeReport:
    dry_run: bool
    at: datetime
    rules: list[Purged] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(purged.count for purged in self.rules)

    @property
    def longest_batch(self) -> float:
        return max((purged.longest_batch for purged in self.rules), default=0.0)


def batches(queryset: QuerySet, size: int):
    """The primary keys of ``queryset`` in ascending batches, reading on from the last one: a
    batch deleted (or, in a dry run, skipped) is never read again."""
    last = None
    ordered = queryset.order_by("pk").values_list("pk", flat=True)
    while True:
        page = ordered.filter(pk__gt=last) if last is not None else ordered
        keys = list(page[:size])
        if not keys:
            return
        yield keys
        if len(keys) < size:  # the last page: no need to read an empty one
            return
        last = keys[-1]


def rule_purge(rule: RetentionRule, *, now: datetime, dry_run: bool, size: int) -> Purged:
    """One rule's expired rows, deleted in batches (or counted, in a dry run)."""
    purged = Purged(key=rule.key, title=rule.title or rule.key)
    if rule.prepare is not None and not dry_run:
        rule.prepare()
    queryset = rule.expired(now)
    if dry_run:
        purged.count = queryset.count()
        return purged
    model = queryset.model
    for keys in batches(queryset, min(size, rule.batch or size)):
        started = time.perf_counter()
        with transaction.atomic():
            # Asked again under the write lock (SQLite's BEGIN IMMEDIATE): a row that stopped
            # expiring since it was read (the person just sent a form) stays.
            keys = list(rule.expired(now).filter(pk__in=keys).values_list("pk", flat=True))
            if not keys:
                removed = 0
            elif rule.remove is not None:
                removed = rule.remove(keys)
            else:
                removed = model.objects.filter(pk__in=keys).delete()[0]
        purged.longest_batch = max(purged.longest_batch, time.perf_counter() - started)
        purged.count += removed
        purged.batches += 1
    return purged


def retention_purge(
    *, actor, dry_run: bool = True, now: datetime | None = None, only: str = "", size: int = BATCH
) -> PurgeReport:
    """Delete every row past its declared period (``dry_run``: count them only), rule by rule,
    the people last; audited once with the counts. ``only`` limits it to one rule's key."""
    access_require(actor, "manage_cases")
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run, at=now)
    for rule in rules():
        if only and rule.key != only:
            continue
        report.rules.append(rule_purge(rule, now=now, dry_run=dry_run, size=size))
    for key, (sweep, title) in sorted(_sweeps.items()):
        if not only or only == key:
            report.rules.append(Purged(key=key, title=title or key, count=sweep(dry_run=dry_run)))
    if not dry_run:
        audit_record(
            actor=actor,
            action="retention.purged",
            object_type="retention",
            object_id=now.isoformat(),
            details={purged.key: purged.count for purged in report.rules if purged.count},
        )
    return report


def declaration_errors() -> list[str]:
    """Inventory entries no rule reads, and entries a rule reads that the inventory lacks."""
    declared = set(current_inventory().retention)
    read = {key for rule in rules() for key in rule.declarations}
    problems = [
        f"[retention.{key}] is declared in the inventory (and shown in the policy) but no "
        "retention rule reads it, so nothing deletes those records."
        for key in sorted(declared - read)
    ]
    problems += [
        f"the retention rule '{rule.key}' reads [retention.{key}], which the inventory lacks."
        for rule in rules()
        for key in rule.declarations
        if key not in declared
    ]
    return problems
