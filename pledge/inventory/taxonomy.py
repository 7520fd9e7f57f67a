"""fideslang's default taxonomy, indexed for the inventory's checks and names."""

import warnings
from difflib import get_close_matches
from functools import cache


@cache
def default_taxonomy():
    """fideslang's DEFAULT_TAXONOMY, loaded once (it builds a few hundred pydantic objects)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fideslang import DEFAULT_TAXONOMY
    return DEFAULT_TAXONOMY


@cache
def default_keys(kind: str) -> dict[str, object]:
    """Default entries of ``kind`` ("data_category", "data_use", "data_subject") by fides_key."""
    return {entry.fides_key: entry for entry in getattr(default_taxonomy(), kind)}


def replacement(kind: str, key: str) -> str | None:
    """The key that replaces a deprecated default key, if ``key`` is deprecated."""
    entry = default_keys(kind).get(key)
    if entry is not None and entry.version_deprecated:
        return entry.replaced_by or ""
    return None


def closest(key: str, candidates) -> str | None:
    """The candidate most like ``key`` (a likely misspelling), or None."""
    matches = get_close_matches(key, list(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


def within(key: str, prefixes) -> bool:
    """True if ``key`` is one of ``prefixes`` or lies under one of them in the tree."""
    return any(key == prefix or key.startswith(prefix + ".") for prefix in prefixes)
