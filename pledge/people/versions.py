"""Published policy versions as the purpose gate reads them (P23).

A record collected under version N keeps N's promises: every decision about it takes the more
protective of N and the current declarations (``gate``). This module reads what a version
declared and which version a person's data is held under; ``agreements`` compares two versions
for the people asked to agree to a newer one. Nothing else compares versions.

- ``version_inventory(number)``: the declarations version ``number`` published, as parsed from
  its ``inventory.toml`` (read-only, cached per process: a published version never changes);
  None for no number or one never published, which means "no earlier promise".
- Small readers of such declarations (the current ones too, ``current_declarations()``): a
  use's legal basis, a recipient's declaration, kind and country, the retention periods.
- ``person_version(person)`` / ``people_versions(people, collected)``: the version a person's
  data is held under: the one it was collected under, or a later one the person agreed to (a
  granted ``Consent`` on ``policy:<number>``, the latest such not withdrawn since).
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from django.db.models import QuerySet

from pledge.inventory.labels import subject_name
from pledge.inventory.loader import current_site
from pledge.inventory.models import PolicyVersion
from pledge.inventory.schema import Organization as OrganizationDeclaration
from pledge.inventory.schema import Recipient as RecipientDeclaration
from pledge.people.models import Consent, Person

POLICY_SUBJECT = "policy:"  # a Consent on "policy:<number>": the person agreed to that version
PROCESSOR = "processor"
AFFILIATE = "affiliate"
RECIPIENT_TABLES = {"processors": PROCESSOR, "affiliates": AFFILIATE}

# The declarations of published versions, by (pk, number, content hash, publication time): a
# version never changes, so it is read once per process. The key is checked against the table
# on every read, so a version rolled back with its transaction (in tests) is never served.
_INVENTORIES: dict[tuple, Mapping] = {}


def _frozen(value):
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(child) for key, child in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(child) for child in value)
    return value


def versions_cache_clear() -> None:
    """Forget the versions read (tests: a version rolled back can come again with the same
    number, key and, under a frozen clock, time)."""
    _INVENTORIES.clear()


def version_inventories(numbers: Iterable[int | None] | None = None) -> dict[int, Mapping]:
    """The declarations of the published versions ``numbers`` (every version without it), by
    number; numbers never published are absent. One query, two the first time a version is
    read in this process."""
    rows = PolicyVersion.objects.order_by()
    if numbers is not None:
        wanted = {number for number in numbers if number is not None}
        if not wanted:
            return {}
        rows = rows.filter(number__in=wanted)
    keys = {row[1]: row for row in rows.values_list("pk", "number", "content_hash", "published_at")}
    missing = {key[0]: key for key in keys.values() if key not in _INVENTORIES}
    if missing:
        loaded = PolicyVersion.objects.filter(pk__in=list(missing)).values_list("pk", "inventory")
        for pk, inventory in loaded:
            _INVENTORIES[missing[pk]] = _frozen(inventory or {})
    return {number: _INVENTORIES[key] for number, key in keys.items() if key in _INVENTORIES}


def version_inventory(number: int | None) -> Mapping | None:
    """What version ``number`` declared (inventory.toml as parsed, read-only); None for no
    version or a number never published: no earlier promise to keep."""
    if number is None:
        return None
    return version_inventories([number]).get(number)


def current_declarations() -> Mapping:
    """The site's declarations now, in the same shape as a version's (what it would publish)."""
    return current_site().data


# --- Reading one version's declarations ------------------------------------------------------


def use_basis(declarations: Mapping | None, use: str) -> str | None:
    """The legal basis ``declarations`` gave ``use``; None if they did not declare it."""
    declared = ((declarations or {}).get("uses") or {}).get(use)
    if declared is None:
        return None
    return declared.get("legal_basis") or ""


def use_declared(declarations: Mapping | None, use: str) -> bool:
    return use_basis(declarations, use) is not None


def recipient_declared(declarations: Mapping | None, key: str) -> tuple[str, Mapping] | None:
    """The kind (``PROCESSOR`` or ``AFFILIATE``) and declaration of recipient ``key``; None if
    ``declarations`` did not declare it."""
    for table, kind in RECIPIENT_TABLES.items():
        declared = ((declarations or {}).get(table) or {}).get(key)
        if declared is not None:
            return kind, declared
    return None


def organization_country(declarations: Mapping | None) -> str:
    organization = (declarations or {}).get("organisation") or {}
    return organization.get("country") or OrganizationDeclaration.model_fields["country"].default


def recipient_country(declaration: Mapping) -> str:
    """Where a recipient processes the data (the schema's default when not declared)."""
    return declaration.get("country") or RecipientDeclaration.model_fields["country"].default


def recipient_abroad(declarations: Mapping | None, key: str) -> bool:
    """Whether ``declarations`` put recipient ``key`` outside the organisation's country
    (PIPL Art. 38-39)."""
    found = recipient_declared(declarations, key)
    if found is None:
        return False
    return recipient_country(found[1]) != organization_country(declarations)


def retention_periods(declarations: Mapping | None) -> dict[str, int]:
    """Every declared retention period in days, by dotted name: each form's and channel's fields
    (``forms.demo.fields.email``), the request log, and any ``[retention.<key>]`` entry."""
    declarations = declarations or {}
    periods: dict[str, int] = {}
    for table in ("forms", "channels"):
        for form_key, form in (declarations.get(table) or {}).items():
            for field_key, field in (form.get("fields") or {}).items():
                if isinstance(field.get("retention_days"), int):
                    periods[f"{table}.{form_key}.fields.{field_key}"] = field["retention_days"]
    request_log = declarations.get("request_log") or {}
    if isinstance(request_log.get("retention_days"), int):
        periods["request_log"] = request_log["retention_days"]
    holds = declarations.get("legal_holds") or {}
    for key, entry in (declarations.get("retention") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        days = entry.get("days")
        if entry.get("hold"):  # a legal hold's period applies instead
            days = (holds.get(entry["hold"]) or {}).get("days")
        if isinstance(days, int):
            periods[f"retention.{key}"] = days
    return periods


# --- The version a person's data is held under -----------------------------------------------


def policy_subject(number: int) -> str:
    return f"{POLICY_SUBJECT}{number}"


def policy_subject_name(subject: str) -> str | None:
    """What a ``policy:<number>`` consent is to, in the active language (for the pages that
    list consents); None for any other subject."""
    number = subject.removeprefix(POLICY_SUBJECT) if subject.startswith(POLICY_SUBJECT) else ""
    return subject_name(subject) if number.isdigit() else None


def _agreed(rows) -> dict[int, int]:
    """From consent rows (person id, subject, granted) in the order they were given: each
    person's latest agreement to a version that they have not withdrawn since."""
    words: dict[int, dict[str, tuple[bool, int]]] = {}
    for order, (person_id, subject, granted) in enumerate(rows):
        words.setdefault(person_id, {})[subject] = (granted, order)
    agreed: dict[int, int] = {}
    for person_id, by_subject in words.items():
        standing = [(order, subject) for subject, (yes, order) in by_subject.items() if yes]
        for _order, subject in sorted(standing, reverse=True):
            number = subject.removeprefix(POLICY_SUBJECT)
            if number.isdigit():
                agreed[person_id] = int(number)
                break
    return agreed


def _agreement_rows(consents: QuerySet):
    return (
        consents.filter(subject__startswith=POLICY_SUBJECT)
        .order_by("person_id", "created_at", "id")
        .values_list("person_id", "subject", "granted")
    )


def person_version(person: Person) -> int | None:
    """The policy version ``person``'s data is held under (P23): the version it was collected
    under, unless the person agreed to a later one since (then that one). One query."""
    agreed = _agreed(_agreement_rows(Consent.objects.filter(person_id=person.pk)))
    return agreed.get(person.pk, person.policy_version)


def people_versions(people: QuerySet, collected: Mapping[int, int | None]) -> dict[int, int | None]:
    """``person_version`` for a whole list at once: ``collected`` maps each person's id to the
    version their data was collected under (read with the people); one query for every
    agreement of the ``people``."""
    rows = _agreement_rows(Consent.objects.filter(person__in=people.order_by().values("pk")))
    agreed = _agreed(rows.iterator(chunk_size=5000))
    return {pk: agreed.get(pk, number) for pk, number in collected.items()}
