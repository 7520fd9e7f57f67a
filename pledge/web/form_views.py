"""The public forms: one view renders and receives any form declared in the inventory."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pledge.intake.accounts import account_sign_in
from pledge.intake.defence import defence_context
from pledge.intake.forms import CAREERS_FORM, form_class, form_initial, positions_open
from pledge.intake.notice import collection_notice
from pledge.intake.services import (
    guardian_agreements,
    guardian_confirm,
    guardian_pending_find,
    submission_receive,
)
from pledge.inventory.services import policy_in_force
from pledge.mail.subscriptions import subscription_confirm, subscription_request_find
from pledge.tracking.services import attribution_for, visitor_id_for, visits_stitch
from pledge.vault.access import client_ip
from pledge.vault.actors import Actor

OUTCOME_TEMPLATES = {
    "stored": "web/forms/thanks.html",
    "guardian_pending": "web/forms/guardian_pending.html",
    "confirm_email": "web/forms/check_inbox.html",
}


def form_page_context(form, *, message=""):
    return {
        "form": form,
        "collection": form.collection,
        "notice": collection_notice(form.collection),
        **defence_context(),
        "message": message,
    }


def attribution_of(request) -> dict:
    """Where the visitor arrived from (a promotional or affiliate link), if the site kept it."""
    return attribution_for(request)


@require_http_methods(["GET", "POST"])
def form_page(request, form_key: str, template: str = "web/forms/form.html"):
    try:
        form_cls = form_class(form_key)
    except KeyError:
        raise Http404(form_key) from None
    if request.method != "POST":
        form = form_cls(initial=form_initial(form_key, request.GET))
        return render(request, template, form_page_context(form))
    outcome = submission_receive(
        form_key=form_key,
        data=request.POST,
        files=request.FILES,
        client_ip=client_ip(request),
        language=get_language(),
        attribution=attribution_of(request),
    )
    person = outcome.details.get("person") if outcome.kind == "stored" else None
    if person is not None:
        # P10: a consenting visitor's earlier visits join their record; without consent,
        # visitor_id_for gives None and nothing is linked.
        visits_stitch(
            visitor_id=visitor_id_for(request), person=person, actor=Actor.visitor("form")
        )
    user = outcome.details.get("user") if outcome.kind == "stored" else None
    if user is not None:
        # A new account signs its creator in (an applicant confirmed by a guardian is not: the
        # guardian's browser is not theirs), and the account page is where they land.
        account_sign_in(request=request, user=user, by="registration")
        messages.success(request, _("Your account is ready, and you are signed in."))
        return redirect("web:downloads")
    if outcome.kind in OUTCOME_TEMPLATES:
        return render(
            request,
            OUTCOME_TEMPLATES[outcome.kind],
            {"collection": outcome.form.collection, **outcome.details},
        )
    status = 429 if outcome.kind == "refused" else 400
    return render(
        request, template, form_page_context(outcome.form, message=outcome.message), status=status
    )


def careers(request):
    """Open positions, each with a way to apply for it (the job application form, P05): the
    positions are the application's choices, so the page never lists one it would refuse."""
    return render(
        request,
        "web/careers.html",
        {"positions": positions_open(), "form_key": CAREERS_FORM},
    )


@require_http_methods(["GET", "POST"])
def guardian(request, token: str):
    """A parent or guardian reads what the minor sent and confirms it (P19)."""
    pending = guardian_pending_find(token)
    if pending is None:
        return render(request, "web/forms/link_expired.html", status=404)
    if request.method == "POST":
        outcome = guardian_confirm(pending=pending)
        if outcome.kind == "stored":
            return render(request, "web/forms/guardian_confirmed.html")
        return render(request, "web/forms/link_expired.html", status=400)
    form_cls = form_class(pending.form)
    answers = [
        (form_cls.base_fields[key].label, value)
        for key, value in pending.payload["answers"].items()
        if key in form_cls.base_fields
    ]
    return render(
        request,
        "web/forms/guardian.html",
        {
            "collection": form_cls.collection,
            "answers": answers,
            "agreements": guardian_agreements(pending),
            "pending": pending,
        },
    )


@require_http_methods(["GET", "POST"])
def subscription_confirm_page(request, token: str):
    """Double opt-in: the emailed link shows a button; pressing it subscribes (P13).

    A GET never subscribes, so a mail scanner that follows links cannot confirm for anyone.
    """
    subscription_request = subscription_request_find(token)
    if subscription_request is None:
        return render(request, "web/forms/link_expired.html", status=404)
    if request.method == "POST":
        version = policy_in_force()
        subscription_confirm(
            request=subscription_request, policy_version=version.number if version else None
        )
        return render(request, "web/forms/subscribed.html")
    return render(request, "web/forms/subscription_confirm.html")
