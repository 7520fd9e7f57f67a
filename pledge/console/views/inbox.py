"""The service mailbox's mail, as Pledge read it: what waits for staff (triage), and the rest.

Views call the inbox's services (pledge/inbox/services.py); every stored code is shown by its
translated label. Attachments are listed, never opened: nothing of a received message is
rendered as HTML.
"""

from django import forms
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
    READERS,
    InboxError,
    inbound_decide,
    inbound_do_not_contact_confirm,
    inbound_view,
    inbox_messages,
    triage_choices,
)
from pledge.vault.access import has_access

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
    "not_requester": gettext_lazy(
        "It quotes a case reference but is not from its requester: not added to the case."
    ),
    "unmatched_report": gettext_lazy(
        "A bounce or report that names no message we sent: nothing suppressed."
    ),
    "reused_message_id": gettext_lazy("Same Message-ID as an earlier, different message."),
    "too_many_cases": gettext_lazy(
        "This address already opened several cases today: no case opened, nothing sent."
    ),
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
    if note.startswith("error:"):  # the error's name is in the log, not for this page
        return _("Handling failed: decide below.")
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


class DecideForm(forms.Form):
    """What staff say a message in triage is: one of the inbox's choices."""

    choice = forms.ChoiceField(choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = triage_choices()
        self.fields["choice"].error_messages = {
            "required": _("Choose what this message is."),
            "invalid_choice": _("Choose what this message is."),
        }


class ConfirmForm(forms.Form):
    """Who the confirmed do-not-contact covers."""

    scope = forms.ChoiceField(choices=Scope.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].error_messages = {
            "required": _("Choose who is not to be contacted."),
            "invalid_choice": _("Choose who is not to be contacted."),
        }


def form_error(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def inbox_post(request, message) -> str:
    """Run what the page's form asks; "" when done, else a translated sentence to show."""
    confirming = request.POST.get("action") == "confirm"
    form = ConfirmForm(request.POST) if confirming else DecideForm(request.POST)
    if not form.is_valid():
        return form_error(form)
    try:
        if confirming:
            inbound_do_not_contact_confirm(
                message=message, actor=request.actor, scope=form.cleaned_data["scope"]
            )
        else:
            inbound_decide(message=message, choice=form.cleaned_data["choice"], actor=request.actor)
    except Refused as refused:
        return str(refused)
    except InboxError as problem:
        return str(problem)
    except CaseClosed:
        return _("This case is closed.")
    return ""


@staff_view(READERS)
def inbox_message(request, public_id):
    message = get_object_or_404(InboundMessage, public_id=public_id)
    error = ""
    if request.method == "POST":
        error = inbox_post(request, message)
        if not error:
            return redirect("console:inbox_message", public_id=message.public_id)
    message = inbound_view(message=message, actor=request.actor)
    waiting = message.outcome in (Outcome.TRIAGE, Outcome.FAILED, Outcome.PENDING)
    may_confirm = has_access(request.actor, "manage_cases")
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
            "confirming": message.outcome == Outcome.AWAITING_CONFIRMATION and may_confirm,
            "verifying": message.outcome == Outcome.AWAITING_VERIFICATION,
            "may_confirm": may_confirm,
            "scopes": Scope.choices,
            "may_open_case": may_confirm,
            "is_do_not_contact": message.classification == Classification.DO_NOT_CONTACT,
        },
    )
