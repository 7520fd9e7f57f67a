"""A person's timeline: everything held about them, newest first, for the console's person page.

Built only from the personal data registry: each provider that keeps a person's records in time
order contributes them (``PersonalDataProvider.timeline``) as ``TimelineEntry`` items, so a new
app that registers a provider shows up here the day it registers, as it does in the export and
the erasure. Nothing here knows an app. Call it after ``person_open``, which checks and audits
the opening.
"""

from dataclasses import replace

from pledge.people.registry import TimelineEntry, providers


def person_timeline(person) -> list[TimelineEntry]:
    """Every provider's entries for ``person``, newest first; each names its provider."""
    entries = [
        entry if entry.provider else replace(entry, provider=provider.key)
        for provider in providers()
        if provider.timeline is not None
        for entry in provider.timeline(person)
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
