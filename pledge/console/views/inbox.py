"""The service mailbox's mail, as Pledge read it: what waits for staff (triage), and the rest.

Views call the inbox's services (pledge/inbox/services.py); every stored code is shown by its
translated label. Attachments are listed, never opened: nothing of a received message is
rendered as HTML.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledge.cases.kinds import kind_name
from pledge.cases.rights.authorise import Refused
from pledge.cases.services import CaseClosed
from pledge.console.decorators import staff_view
from pledge.inbox.models import Classification, InboundMessage, Outcome, Scope
from pledge.inbox.services import (
    inbound_decide,
    inbound_do_not_contact_confirm,
    inbound_view,
    inbox_messages,
    triage_choices,
)
from pledge.vault.access import has_access

READERS = ("read_mailbox", "manage_cases")

# What the notes on a message mean (codes written by the inbox, never values).
NOTES = {
    "too_large": gettext_lazy("Too large to read: kept whole, not parsed."),
    "unreadable": gettext_lazy("Could not be read (malformed): kept whole."),
    "unreadable_report": gettext_lazy("A delivery or spam report that could not be read."),
    "several_wishes": gettext_lazy("It asks for more than one thing."),
    "not_recognised": gettext_lazy("Nothing we recognise."),
    "no_sender": gettext_lazy("It names no sender address."),
    "no_recipient": gettext_lazy("The report names no address."),
    "no_case": gettext_lazy("It quotes a case reference we do not have."),
    "dsn": gettext_lazy("A delivery status notification."),
    "bounce_format": gettext_lazy("A delivery failure in a non-standard format."),
}
RESULTS = {
    "pass": gettext_lazy("passed"),
    "fail": gettext_lazy("failed"),
    "softfail": gettext_lazy("failed softly"),
    "neutral": gettext_lazy("neutral"),
    "none": gettext_lazy("none"),
    "temperror": gettext_lazy("temporary error"),
    "permerror": gettext_lazy("permanent error"),
    "policy": gettext_lazy("policy"),
}


def note_words(note: str) -> str:
    if note.startswith("error:"):
        return _("Handling failed (%(error)s): decide below.") % {"error": note[6:]}
    if note in NOTES:
        return str(NOTES[note])
    return ""


def authentication_rows(results: dict) -> list[tuple[str, str]]:
    names = {"spf": "SPF", "dkim": "DKIM", "dmarc": "DMARC"}
    return [
        (names[method], str(RESULTS.get(results[method], results[method])))
        for method in names
        if method in results
    ]


@staff_view(READERS)
def inbox_list(request):
    show = "all" if request.GET.get("show") == "all" else "triage"
    page = Paginator(inbox_messages(actor=request.actor, show=show), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "console/inbox.html", {"page": page, "show": show})


@staff_view(READERS)
def inbox_message(request, public_id):
    message = get_object_or_404(InboundMessage, public_id=public_id)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                if not has_access(request.actor, "manage_cases"):
                    raise PermissionDenied("manage_cases")
                inbound_do_not_contact_confirm(
                    message=message, actor=request.actor, scope=request.POST.get("scope", "")
                )
            else:
                inbound_decide(
                    message=message, choice=request.POST.get("choice", ""), actor=request.actor
                )
            return redirect("console:inbox_message", public_id=message.public_id)
        except Refused as refused:
            error = str(refused)
        except (ValueError, CaseClosed) as problem:
            error = str(problem)
    message = inbound_view(message=message, actor=request.actor)
    waiting = message.outcome in (Outcome.TRIAGE, Outcome.FAILED, Outcome.PENDING)
    return render(
        request,
        "console/inbox_message.html",
        {
            "message": message,
            "error": error,
            "note": note_words(message.note),
            "authentication": authentication_rows(message.authentication),
            "request_kind": kind_name(message.request_kind) if message.request_kind else "",
            "choices": triage_choices() if waiting else [],
            "confirming": message.outcome == Outcome.AWAITING_CONFIRMATION
            and has_access(request.actor, "manage_cases"),
            "scopes": Scope.choices,
            "may_open_case": has_access(request.actor, "manage_cases"),
            "is_do_not_contact": message.classification == Classification.DO_NOT_CONTACT,
        },
    )
