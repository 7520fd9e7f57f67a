"""A person's timeline: everything held about them, newest first, for the console's person page
and the lead card.

Built only from the personal data registry: each provider that keeps a person's records in time
order contributes them (``PersonalDataProvider.timeline``) as ``TimelineEntry`` items, so a new
app that registers a provider shows up here the day it registers, as it does in the export and
the erasure. Nothing here knows an app; the kinds of entry are the registry's short codes, named
here in words (a kind not named reads as itself, so a new one is never hidden). Call it after
``person_open``, which checks and audits the opening.
"""

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from pledge.people.registry import TimelineEntry, providers

KIND_NAMES = {
    "submission": _("Form sent"),
    "consent": _("Consent"),
    "email": _("Email sent"),
    "email_received": _("Email received"),
    "lead": _("Lead"),
    "meeting": _("Meeting"),
    "visit": _("Visit"),
    "cookie_consent": _("Cookie choice"),
}


def timeline_kind_name(kind: str) -> str:
    """What a kind of entry is, in the active language."""
    return str(KIND_NAMES.get(kind, kind.replace("_", " ").capitalize()))


def person_timeline(person) -> list[TimelineEntry]:
    """Every provider's entries for ``person``, newest first; each names its provider and
    carries its kind in words."""
    entries = [
        replace(
            entry,
            provider=entry.provider or provider.key,
            kind_name=entry.kind_name or timeline_kind_name(entry.kind),
        )
        for provider in providers()
        if provider.timeline is not None
        for entry in provider.timeline(person)
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
