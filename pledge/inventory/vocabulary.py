"""The fixed words of the inventory (cookie categories, legal bases, durations), in each language.

These are the names of values the code defines, so they live in gettext (locale/); the policy's
sentences live in the site's prose templates. Each function answers in the active language.
"""

from django.utils.translation import gettext, gettext_lazy, ngettext

COOKIE_CATEGORY_NAMES = {
    "necessary": gettext_lazy("Strictly necessary"),
    "preferences": gettext_lazy("Preferences"),
    "analytics": gettext_lazy("Analytics"),
    "marketing": gettext_lazy("Marketing"),
}

LEGAL_BASIS_NAMES = {
    "consent": gettext_lazy("Your consent"),
    "contract": gettext_lazy("Necessary for a contract with you or a service you asked for"),
    "legal_obligation": gettext_lazy("A legal obligation"),
    "vital_interests": gettext_lazy(
        "Protecting someone's life, health or property in an emergency"
    ),
    "public_interest": gettext_lazy("The public interest"),
    "legitimate_interests": gettext_lazy(
        "Our legitimate interest, in aggregate and without identifying you"
    ),
}

# The same bases by the law's short names, for staff who choose or read one (an import's basis):
# the names above speak to the person whose data it is.
LEGAL_BASIS_TERMS = {
    "consent": gettext_lazy("Consent"),
    "contract": gettext_lazy("Necessary for a contract"),
    "legal_obligation": gettext_lazy("Legal obligation"),
    "vital_interests": gettext_lazy("Vital interests (an emergency)"),
    "public_interest": gettext_lazy("Public interest"),
    "legitimate_interests": gettext_lazy("Legitimate interests"),
}

RETENTION_START_NAMES = {
    "collection": gettext_lazy("from when it is collected"),
    "last_contact": gettext_lazy("from our last contact with you"),
    "withdrawal": gettext_lazy("from when you withdraw your consent or unsubscribe"),
    "account_closure": gettext_lazy("from when your account is closed"),
    "completion": gettext_lazy("from when your request is closed"),
    "processing_end": gettext_lazy("from when the processing ends"),
}

IP_MODE_NAMES = {
    "full": gettext_lazy("kept in full"),
    "truncated": gettext_lazy(
        "shortened before it is stored, so that it no longer points to one device"
    ),
    "hashed": gettext_lazy("replaced by a keyed hash before it is stored"),
}

# Fideslang's legal bases (LegalBasisForProcessingEnum values), for the Fides export.
FIDES_LEGAL_BASES = {
    "consent": "Consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligations",
    "vital_interests": "Vital interests",
    "public_interest": "Public interest",
    "legitimate_interests": "Legitimate interests",
}


def days_text(days: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def hours_text(hours: int) -> str:
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def seconds_text(seconds: int | None) -> str:
    """A lifetime in words: days, hours or minutes, or until the browser closes."""
    if seconds is None:
        return gettext("until you close the browser")
    if seconds % 86400 == 0:
        return days_text(seconds // 86400)
    if seconds % 3600 == 0:
        return hours_text(seconds // 3600)
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
