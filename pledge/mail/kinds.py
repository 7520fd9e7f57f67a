"""What each kind of email is, in words: the outbox, the person's timeline and the portal show
these instead of the template's name (``lead_assigned``). A kind not named here reads as words
made of its name, so a new one is never hidden (``pledge/console/tests/test_readable.py`` fails
until it is named)."""

from django.utils.translation import gettext_lazy as _

KIND_NAMES = {
    "acquisition_notice": _("Notice of an acquisition"),
    "booking_invitation": _("Invitation to book the demo"),
    "campaign": _("Campaign"),
    "case_answer": _("Answer to a request"),
    "case_opened": _("New request (to staff)"),
    "case_received": _("Request received"),
    "case_refused": _("Request refused"),
    "case_reminder": _("Request deadline reminder (to staff)"),
    "erasure_certificate": _("Certificate of erasure"),
    "guardian_consent": _("Guardian's consent asked"),
    "import_notice": _("Notice of an import"),
    "inbox_unsubscribed": _("Unsubscribe confirmed"),
    "lead_assigned": _("New lead (to the expert)"),
    "meeting_cancelled": _("Meeting cancelled"),
    "meeting_confirmed": _("Meeting confirmed"),
    "meeting_erased": _("Meeting withdrawn after an erasure"),
    "meeting_reminder": _("Meeting reminder"),
    "meeting_rescheduled": _("Meeting rescheduled"),
    "notice": _("Notice"),
    "policy_notice": _("Notice of a policy change"),
    "portal_email_changed": _("Email address changed"),
    "portal_email_confirm": _("Confirm a new email address"),
    "portal_link": _("Link to the privacy portal"),
    "staff_submission": _("New form sent (to staff)"),
    "submission_received": _("Form received"),
    "subscription_confirm": _("Confirm a subscription"),
}


def message_kind_name(kind: str) -> str:
    """A kind of email in the active language."""
    return str(KIND_NAMES.get(kind, kind.replace("_", " ").capitalize()))
