"""What the inventory declares about cookies, consent and the request log, read in one place.

Everything in ``tracking`` that depends on the site's declarations (which cookies exist and in
which category, how long a choice is kept, which request fields are logged and how the IP is
kept) asks this module, and only this module, which reads ``pledge.inventory``: the cookie
policy page and the code that sets cookies read the same declarations (P09).
"""

import hashlib
import json
import time

from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import COOKIE_CATEGORIES, REQUEST_LOG_FIELDS
from pledge.inventory.services import policy_in_force

# Categories a visitor chooses; "necessary" needs no consent.
CHOOSABLE_CATEGORIES = COOKIE_CATEGORIES[1:]

# The request log's columns (``RequestLogEntry``), in the order of
# ``middleware.request_log_values``: every field the inventory may declare, its "time" kept as
# ``at``, then the bot flag (bots are logged, marked, and left out of the rollups).
REQUEST_LOG_COLUMNS = (*("at" if key == "time" else key for key in REQUEST_LOG_FIELDS), "is_bot")


# The inventory reloads itself when a file of the site changes, which it checks by listing and
# stat-ing the site's files on every call: fine for a page, too dear for each beacon event (it
# cost half the beacon's throughput). Tracking checks at most once a second per process.
RECHECK_SECONDS = 1.0
_cached: tuple = (None, 0.0)


def _declarations():
    global _cached
    inventory, checked_at = _cached
    now = time.monotonic()
    if inventory is None or now - checked_at > RECHECK_SECONDS:
        inventory = current_inventory()
        _cached = (inventory, now)
    return inventory


def declarations_cache_clear() -> None:
    """Read the inventory again on the next call (tests that change the site)."""
    global _cached
    _cached = (None, 0.0)


# --- What the rest of tracking calls ----------------------------------------------------------


def site_domain() -> str:
    """The site's domain name: part of the anonymous visitor hash (one count per site)."""
    return _declarations().organization.domain


def cookies() -> tuple:
    """Every declared cookie."""
    return tuple(_declarations().cookies.values())


def cookie(key: str):
    """The cookie declared under ``key`` (``consent``, ``visitor``, ``arrival`` ...)."""
    return _declarations().cookies[key]


def cookies_by_category() -> dict:
    """Every category in order, each with its cookies (possibly none)."""
    return {
        category: tuple(c for c in cookies() if c.category == category)
        for category in COOKIE_CATEGORIES
    }


def choosable_categories() -> tuple[str, ...]:
    """The categories the banner asks about: those not necessary that declare a cookie."""
    grouped = cookies_by_category()
    return tuple(category for category in CHOOSABLE_CATEGORIES if grouped[category])


def consent_settings():
    return _declarations().consent


def request_log():
    return _declarations().request_log


def visit_counting():
    return _declarations().visit_counting


_fingerprint: tuple[int, str] = (0, "")


def cookie_declarations_hash() -> str:
    """A fingerprint of the cookie declarations: a choice made under others is asked again.

    Computed once per loaded inventory (the beacon asks for it with every event).
    """
    global _fingerprint
    inventory = _declarations()
    if _fingerprint[0] != id(inventory):
        content = [
            [c.key, c.name, c.category, c.lifetime_seconds, list(c.purposes)]
            for c in sorted(inventory.cookies.values(), key=lambda c: c.key)
        ]
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
        _fingerprint = (id(inventory), digest)
    return _fingerprint[1]


def policy_version_number() -> int | None:
    """The number of the published policy version in force, or None before the first one."""
    version = policy_in_force()
    return version.number if version else None
