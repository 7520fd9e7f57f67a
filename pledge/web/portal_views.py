"""The privacy portal (P18, P19): see, take, correct and delete what the organisation holds, by email link.

No account: a visitor enters an address and gets a signed, expiring link (the same page and the
same work whether the address is known or not). The link's token is in the path, never the
address (C4). Every page is ``no-store`` (H7), sends no referrer to other sites, and works
without JavaScript. Views call the cases app's services; they hold no rules.
"""

from functools import wraps

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pledge.cases import kinds
from pledge.cases.models import CaseChannel
from pledge.cases.portal import link_open, link_request
from pledge.cases.rights import (
    consents_standing,
    rights_archive,
    rights_consent_withdraw,
    rights_correct,
    rights_email_change_confirm,
    rights_email_change_request,
    rights_erase,
    rights_opt_out,
    rights_request,
    rights_suppress,
    rights_view_recorded,
    subject_name,
)
from pledge.cases.services import case_open
from pledge.intake.defence import defence_context, post_screen
from pledge.people.models import OptOutKind
from pledge.people.optouts import opt_outs_standing
from pledge.vault.access import client_ip
from pledge.vault.actors import Actor
from pledge.web.presenting import shown

DONE_MESSAGES = {
    "corrected": _("Your details are corrected."),
    "email_sent": _(
        "We sent a link to the new address. Your address changes when you open it and confirm; "
        "anything else you changed is saved."
    ),
    "email_changed": _("Done: we now use your new email address."),
    "unchanged": _("Nothing needed changing."),
    "withdrawn": _("Your consent is withdrawn."),
    "opted_out": _("Done: we recorded your opt-out."),
    "lifted": _("Done: that opt-out no longer applies."),
}


def portal_page(view):
    """Every portal response: never cached (H7), no referrer to any other site (the path holds
    the token), not indexed by search engines.

    ``same-origin`` rather than ``no-referrer``: with the latter browsers send ``Origin: null``
    on the page's own forms, which CSRF protection rightly refuses.
    """

    @never_cache
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def link_expired(request):
    # Django logs the path of this 404; pledge/logs.py cuts the token out of the line (C4).
    return render(request, "web/portal/link_expired.html", status=404)


def with_access(view):
    """Resolve the path's token to the access it grants, or show that the link expired."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        access = link_open(token)
        if access is None:
            return link_expired(request)
        return view(request, access, *args, **kwargs)

    return wrapped


def with_person(view):
    """Pages that act on held data; a link for an address we hold nothing about has none."""

    @wraps(view)
    def wrapped(request, access, *args, **kwargs):
        if access.person is None:
            return redirect("web:portal", token=access.token)
        if access.link.confirms_email:  # it opens nothing until the new address is confirmed
            return redirect("web:portal_email_confirm", token=access.token)
        return view(request, access, *args, **kwargs)

    return wrapped


def bound(request):
    """The posted data (even an empty post), or None for a GET."""
    return request.POST if request.method == "POST" else None


def defended_page_unless_accepted(request, form, template: str, *, email_field: str = "email"):
    """The page of a form with its spam defence, or None once ``form`` was posted, passed the
    screening and is valid (the view then acts on it). A failed post shows the page again with
    why: 429 when refused, 400 when invalid."""
    status, message = 200, ""
    if request.method == "POST":
        screening = post_screen(
            form, data=request.POST, client_ip=client_ip(request), email_field=email_field
        )
        if screening.valid:
            return None
        status, message = screening.status, screening.message
    context = {"form": form, "message": message, **defence_context()}
    return render(request, template, context, status=status)


# --- Asking for the link ------------------------------------------------------------------


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We email a link to this address. Only its owner can open it."),
    )


@portal_page
@require_http_methods(["GET", "POST"])
def portal_request(request):
    """Ask for a link. The answer is the same page whether or not the address is known."""
    form = LinkRequestForm(bound(request))
    page = defended_page_unless_accepted(request, form, "web/portal/request.html")
    if page is not None:
        return page
    link_request(email=form.cleaned_data["email"], language=get_language())
    return render(request, "web/portal/check_inbox.html")


class GuardianRequestForm(forms.Form):
    """P19: a parent or guardian asks for a minor. Staff verify them before anything is shown."""

    guardian_email = forms.EmailField(label=_("Your email address"), max_length=254)
    child_email = forms.EmailField(
        label=_("The email address the minor used with us"), max_length=254
    )
    kind = forms.ChoiceField(label=_("What do you ask for?"))
    details = forms.CharField(
        label=_("Anything we should know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    declaration = forms.BooleanField(
        label=_("I am the parent or legal guardian of this minor."), required=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = (kinds.ACCESS, kinds.COPY, kinds.CORRECTION, kinds.DELETION)
        names = dict(kinds.case_kinds())
        self.fields["kind"].choices = [(key, names[key]) for key in offered if key in names]


@portal_page
@require_http_methods(["GET", "POST"])
def portal_guardian(request):
    form = GuardianRequestForm(bound(request))
    page = defended_page_unless_accepted(
        request, form, "web/portal/guardian.html", email_field="guardian_email"
    )
    if page is not None:
        return page
    case_open(
        kind=form.cleaned_data["kind"],
        channel=CaseChannel.GUARDIAN,
        actor=Actor.visitor("guardian"),
        requester_email=form.cleaned_data["guardian_email"],
        subject_email=form.cleaned_data["child_email"],
        details=form.cleaned_data["details"],
        language=get_language(),
    )
    return render(request, "web/portal/guardian_received.html")


# --- The portal itself --------------------------------------------------------------------


def opt_out_rows(person) -> list[dict]:
    standing = opt_outs_standing(person)
    rows = []
    for kind in kinds.opt_out_kinds():
        for scope in kinds.opt_out_scopes(kind):
            if scope == "organisation" and person.organization is None:
                continue
            rows.append(
                {
                    "kind": kind,
                    "scope": scope,
                    "label": OptOutKind(kind).label,
                    "standing": kind in standing[scope],
                }
            )
    return rows


@portal_page
@require_http_methods(["GET"])
@with_access
def portal(request, access):
    if access.person is None:
        return render(request, "web/portal/nothing_held.html", {"access": access})
    if access.link.confirms_email:
        return redirect("web:portal_email_confirm", token=access.token)
    sections = shown(rights_view_recorded(actor=access.actor))
    return render(
        request,
        "web/portal/home.html",
        {
            "access": access,
            "person": access.person,
            "held": [section for section in sections if section.records],
            "empty": [section for section in sections if not section.records],
            "consents": [
                {"consent": consent, "name": subject_name(consent.subject)}
                for consent in consents_standing(access.person)
            ],
            "opt_outs": opt_out_rows(access.person),
            "done": DONE_MESSAGES.get(request.GET.get("done", "")),
        },
    )


def back(access, done: str):
    return redirect(f"{reverse('web:portal', args=[access.token])}?done={done}")


@portal_page
@require_POST
@with_access
@with_person
def portal_download(request, access):
    archive = rights_archive(person=access.person, actor=access.actor)
    response = HttpResponse(archive.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive.filename}"'
    return response


class CorrectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        required=False,  # left empty: the address stays as it is
        help_text=_("A new address takes effect once you confirm it from the link we send it."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Language for our emails"),
        choices=settings.LANGUAGES,
    )


@portal_page
@require_http_methods(["GET", "POST"])
@with_access
@with_person
def portal_correct(request, access):
    person = access.person
    initial = {
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "language": person.language,
    }
    form = CorrectionForm(bound(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        email = changes.pop("email")
        try:
            changed = rights_correct(person=person, changes=changes, actor=access.actor)
        except ValidationError as refused:
            form.add_error(None, refused)  # by field: the name or the phone
            return render(
                request, "web/portal/correct.html", {"form": form, "access": access}, status=400
            )
        try:
            if email and rights_email_change_request(
                person=person, email=email, actor=access.actor
            ):
                return back(access, "email_sent")
            return back(access, "corrected" if changed else "unchanged")
        except ValidationError as refused:
            form.add_error("email", refused)
    status = 400 if form.is_bound else 200
    return render(
        request, "web/portal/correct.html", {"form": form, "access": access}, status=status
    )


@portal_page
@require_http_methods(["GET", "POST"])
@with_access
def portal_email_confirm(request, access):
    """The link sent to a new address: opening it shows the change, a button makes it (a GET
    changes nothing, so a mail scanner following links moves no one)."""
    if access.person is None or not access.link.confirms_email:
        return redirect("web:portal", token=access.token)
    error = ""
    if request.method == "POST":
        try:
            rights_email_change_confirm(actor=access.actor)
            return back(access, "email_changed")
        except ValidationError as refused:
            error = " ".join(refused.messages)
    return render(
        request,
        "web/portal/confirm_email.html",
        {"access": access, "error": error},
        status=400 if error else 200,
    )


@portal_page
@require_POST
@with_access
@with_person
def portal_withdraw(request, access):
    rights_consent_withdraw(
        person=access.person, subject=request.POST.get("subject", "")[:120], actor=access.actor
    )
    return back(access, "withdrawn")


@portal_page
@require_POST
@with_access
@with_person
def portal_opt_out(request, access):
    lift = request.POST.get("lift") == "1"
    try:
        rights_opt_out(
            person=access.person,
            kind=request.POST.get("kind", ""),
            scope=request.POST.get("scope", "person"),
            lift=lift,
            actor=access.actor,
        )
    except ValueError:
        return redirect("web:portal", token=access.token)
    return back(access, "lifted" if lift else "opted_out")


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, erase everything you hold about me. I understand this cannot be undone."),
        required=True,
    )


@portal_page
@require_http_methods(["GET", "POST"])
@with_access
@with_person
def portal_erase(request, access):
    form = ErasureForm(bound(request))
    if request.method == "POST" and form.is_valid():
        report = rights_erase(person=access.person, actor=access.actor)
        return render(request, "web/portal/erased.html", {"report": report})
    status = 400 if form.is_bound else 200
    return render(request, "web/portal/erase.html", {"form": form, "access": access}, status=status)


class AskForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it about?"))
    details = forms.CharField(
        label=_("Your message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds.case_kinds()


@portal_page
@require_http_methods(["GET", "POST"])
@with_access
def portal_ask(request, access):
    """A complaint (P24), or any request the portal cannot carry out itself."""
    if access.link.confirms_email:  # it opens nothing until the new address is confirmed
        return redirect("web:portal_email_confirm", token=access.token)
    form = AskForm(bound(request), initial={"kind": kinds.COMPLAINT})
    if request.method == "POST" and form.is_valid():
        case = rights_request(
            actor=access.actor,
            kind=form.cleaned_data["kind"],
            details=form.cleaned_data["details"],
        )
        return render(request, "web/portal/asked.html", {"case": case, "access": access})
    status = 400 if form.is_bound else 200
    return render(request, "web/portal/ask.html", {"form": form, "access": access}, status=status)


@portal_page
@require_POST
@with_access
def portal_suppress(request, access):
    """P01 for an address we hold nothing about: never contact it."""
    if access.link.confirms_email:
        return redirect("web:portal_email_confirm", token=access.token)
    rights_suppress(actor=access.actor)
    return render(request, "web/portal/suppressed.html", {"access": access})
