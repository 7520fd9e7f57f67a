"""Personal data providers: how each domain app finds, exports and erases a person's data.

Every domain app that keeps data linked to a person registers a provider in its
``AppConfig.ready``; the person's timeline (console), their access export (P18) and erasure
walk the registry, so a new kind of personal data is covered the day it is registered, not
when someone remembers it (DESIGN.md: completeness by construction).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    """One thing in a person's history, for the console's timeline."""

    at: datetime
    kind: str  # a short code, e.g. "visit", "cookie_consent"
    summary: str  # words for staff, without values the viewer may not see
    provider: str = ""


@dataclass(frozen=True)
class PersonalDataProvider:
    """``export`` returns JSON-ready dicts; ``erase`` deletes and returns how many rows went."""

    key: str  # "<app>.<what>", e.g. "tracking.visits"
    export: Callable
    timeline: Callable | None = None
    erase: Callable | None = None


_providers: dict[str, PersonalDataProvider] = {}


def provider_register(provider: PersonalDataProvider) -> None:
    """Register (or replace, on a reload) the provider under its key."""
    _providers[provider.key] = provider


def providers() -> list[PersonalDataProvider]:
    return [_providers[key] for key in sorted(_providers)]
