"""Personal data providers: how each domain app finds, exports and erases a person's data.

Every domain app that keeps data linked to a person registers a provider in its
``AppConfig.ready``. The person's access export and portal (P18), their erasure, and the
console's timeline walk the registry, so a new kind of personal data is covered the day it is
registered, not when someone remembers it (DESIGN.md: completeness by construction). The system
check in ``checks.py`` fails, naming the model, when a model holding personal data (a link to
Person, or an encrypted field) is covered by no provider and declared exempt by nobody.

The registry lives in ``people`` (the domain base) so that every app above it can register
without an upward import. docs/personal-data.md shows how to write a provider.

Beside it, the registry of access grants: who, besides the holders of ``view_person``, may open a
person (an expert, the people of their own leads). An app above registers its rule from its
``AppConfig.ready`` with ``person_access_register``; ``person_open`` and ``do_not_contact_set``
ask every rule, so people knows no app's rule.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


def when(value) -> str | None:
    """An instant (or a date) as an export writes it: ISO 8601, or None when there is none."""
    return value.isoformat() if value else None


@dataclass(frozen=True)
class TimelineEntry:
    """One thing in a person's history, for the console's timeline (``people.timeline``)."""

    at: datetime
    kind: str  # a short code, e.g. "submission", "email", "visit", "cookie_consent"
    summary: str  # words for staff, without values the viewer may not see
    provider: str = ""  # the provider's key; ``person_timeline`` fills it when left empty
    detail: str = ""  # more words: the answers, a status
    source: str = ""  # where the record came from (a form's source, a consent's method)
    policy_version: int | None = None  # the policy version it was collected under
    link: str = ""  # a console path that opens the record (a lead's page)
    kind_name: str = ""  # the kind in words; ``person_timeline`` fills it


@dataclass(frozen=True)
class Erased:
    """What a provider's ``erase`` did: rows removed, and rows kept under a legal hold."""

    removed: int = 0
    kept: int = 0


@dataclass(frozen=True)
class PersonalDataProvider:
    """How one kind of a person's data is found, exported and erased.

    ``export(person)`` finds the person's records and returns them as JSON-ready dicts (keys in
    snake_case, values str/int/float/bool/None/list/dict); an empty list means nothing is held.
    ``erase(person)`` removes or anonymises them, inside the erasure's transaction, and returns
    an ``Erased`` (or an int: rows removed). ``models`` names every model label the provider
    covers ("intake.Submission"): the system check reads it. ``hold`` names the inventory's
    ``[legal_holds.<key>]`` under which ``erase`` keeps records instead of removing them.
    """

    key: str  # "<app>.<what>", e.g. "intake.submissions"; also the export's file name
    export: Callable
    erase: Callable | None = None
    models: tuple[str, ...] = ()
    title: str = ""  # a lazy translation: the section's heading in the portal and the readme
    description: str = ""  # a lazy translation: what the section holds, for the readme
    labels: Mapping[str, str] = field(default_factory=dict)  # column -> lazy label
    hold: str = ""
    files: Callable | None = None  # files(person) -> [(name, bytes)]: added to the download
    timeline: Callable | None = None
    order: int = 100  # erasure order: lower first; the person's own row goes last (1000)


@dataclass(frozen=True)
class Exemption:
    """A model that looks personal to the check but is deliberately not per-person data."""

    model: str
    reason: str


_providers: dict[str, PersonalDataProvider] = {}
_exemptions: dict[str, Exemption] = {}


def provider_register(provider: PersonalDataProvider) -> None:
    """Register (or replace, on a reload) the provider under its key."""
    _providers[provider.key] = provider


def exempt_register(model: str, *, reason: str) -> None:
    """Declare that ``model`` ("intake.Feedback") holds no per-person data, and why."""
    _exemptions[model] = Exemption(model=model, reason=reason)


def providers() -> list[PersonalDataProvider]:
    """Every provider, in erasure order."""
    return sorted(_providers.values(), key=lambda provider: (provider.order, provider.key))


def provider_get(key: str) -> PersonalDataProvider:
    return _providers[key]


def provider_unregister(key: str) -> None:
    """Remove a provider (a test's own, after it)."""
    _providers.pop(key, None)


def exemptions() -> list[Exemption]:
    return [_exemptions[model] for model in sorted(_exemptions)]


def covered_models() -> dict[str, str]:
    """Model label -> the key of the provider covering it (or "exempt")."""
    covered = {model: "exempt" for model in _exemptions}
    for provider in providers():
        covered.update(dict.fromkeys(provider.models, provider.key))
    return covered


def registry_export(person) -> dict[str, list[dict]]:
    """Every provider's records for ``person``, by provider key (no access check, no audit:
    callers are services that do both)."""
    return {provider.key: provider.export(person) for provider in providers()}


def registry_erase(person) -> dict[str, Erased]:
    """Run every provider's ``erase`` in order; call inside the erasure's transaction."""
    results = {}
    for provider in providers():
        if provider.erase is None:
            continue
        outcome = provider.erase(person)
        results[provider.key] = outcome if isinstance(outcome, Erased) else Erased(removed=outcome)
    return results


# --- Access grants: who else may open a person --------------------------------------------

OPEN = "open"  # see the person's data and timeline (``person_open``)
DO_NOT_CONTACT = "do_not_contact"  # mark them, or their organisation, not to be contacted

AccessGrant = Callable[..., bool]  # grant(actor, *, purpose, person, organization) -> bool

_grants: dict[str, AccessGrant] = {}


def person_access_register(key: str, grant: AccessGrant) -> None:
    """Register (or replace) an app's rule letting an actor without ``view_person`` act on a
    person or an organisation. ``grant(actor, *, purpose, person, organization)`` answers True
    to allow; ``purpose`` is ``OPEN`` or ``DO_NOT_CONTACT``, and one of ``person`` and
    ``organization`` is None."""
    _grants[key] = grant


def person_access_unregister(key: str) -> None:
    _grants.pop(key, None)


def person_access_granted(actor, *, purpose: str, person=None, organization=None) -> bool:
    """Whether a registered rule lets ``actor`` do ``purpose`` to the person or organisation."""
    return any(
        grant(actor, purpose=purpose, person=person, organization=organization)
        for _, grant in sorted(_grants.items())
    )
