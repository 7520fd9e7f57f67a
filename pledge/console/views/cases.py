"""The privacy officer's queue: every request and complaint as a case, soonest deadline first.

The actions on a case (export, correct, withdraw, opt out, erase) call the same services as the
portal, with the staff member as the actor; each is audited on the case and the person. The
services refuse a case that is not open, not verified or about someone else
(``pledge.cases.rights.authorise``): the page shows their sentence, in the reader's language.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledge.cases import kinds
from pledge.cases.models import Case, CaseChannel, Identity
from pledge.cases.rights import (
    Refused,
    consents_standing,
    rights_archive,
    rights_consent_withdraw,
    rights_correct,
    rights_erase,
    rights_opt_out,
    subject_name,
)
from pledge.cases.services import (
    CaseClosed,
    case_assign,
    case_complete,
    case_history,
    case_identity_set,
    case_link_send,
    case_open,
    case_refuse,
    case_view,
    cases_queue,
)
from pledge.console.decorators import staff_view
from pledge.paging import window
from pledge.people.models import OptOutKind, Person
from pledge.vault.access import Role

SHOW = {"open": _("Open"), "overdue": _("Overdue"), "all": _("All")}


@staff_view("manage_cases")
def case_list(request):
    show = request.GET.get("show", "open")
    show = show if show in SHOW else "open"
    cases = window(cases_queue(actor=request.actor, show=show), request.GET.get("page"))
    names = dict(kinds.case_kinds())
    for case in cases:
        case.kind_name = names.get(case.kind, case.kind)
    return render(
        request,
        "console/cases.html",
        {"cases": cases, "show": show, "filters": SHOW.items(), "now": timezone.now()},
    )


class CaseForm(forms.Form):
    """A request that arrived by email, post or phone, entered by staff (P18, P24)."""

    kind = forms.ChoiceField(label=_("Request"))
    channel = forms.ChoiceField(
        label=_("Arrived through"),
        choices=[
            (CaseChannel.EMAIL, CaseChannel.EMAIL.label),
            (CaseChannel.POST, CaseChannel.POST.label),
            (CaseChannel.STAFF, CaseChannel.STAFF.label),
            (CaseChannel.GUARDIAN, CaseChannel.GUARDIAN.label),
        ],
    )
    requester_email = forms.EmailField(label=_("Requester's email address"), max_length=254)
    requester_name = forms.CharField(label=_("Requester's name"), max_length=200, required=False)
    subject_email = forms.EmailField(
        label=_("Email address of the person it is about, if not the requester (a minor)"),
        max_length=254,
        required=False,
    )
    details = forms.CharField(
        label=_("What they asked, in their words"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    language = forms.ChoiceField(label=_("Language to answer in"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds.case_kinds()


@staff_view("manage_cases")
def case_new(request):
    """Enter a request; from a person's page (``?person=<public id>``, never an address in the
    URL) the form starts with their address."""
    initial = {}
    try:
        person = Person.objects.filter(public_id=uuid.UUID(request.GET.get("person", ""))).first()
    except ValueError:
        person = None
    if person is not None:
        initial = {"requester_email": person.email, "language": person.language}
    form = CaseForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        case = case_open(actor=request.actor, **form.cleaned_data)
        return redirect("console:case", public_id=case.public_id)
    status = 400 if form.is_bound else 200
    return render(request, "console/case_new.html", {"form": form}, status=status)


def case_workers():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=Role.PRIVACY_OFFICER)
        .order_by("username")
        .distinct()
    )


ACTIONS = {}


def action(name):
    def register(function):
        ACTIONS[name] = function
        return function

    return register


@action("assign")
def assign(request, case):
    owner_id = request.POST.get("owner", "")
    owner = case_workers().filter(pk=owner_id).first() if owner_id else None
    case_assign(case=case, owner=owner, actor=request.actor)
    return _("Assigned.")


@action("identity")
def identity(request, case):
    state = request.POST.get("identity", "")
    if state not in (Identity.VERIFIED_STAFF, Identity.FAILED, Identity.UNVERIFIED):
        raise ValueError(state)
    case_identity_set(
        case=case,
        identity=state,
        actor=request.actor,
        note=request.POST.get("note", "")[:2000],
    )
    return _("Identity recorded.")


@action("link")
def link(request, case):
    case_link_send(case=case, actor=request.actor)
    return _("A link is on its way to the requester.")


@action("complete")
def complete(request, case):
    case_complete(case=case, actor=request.actor, resolution=request.POST.get("resolution", ""))
    return _("The case is done.")


@action("refuse")
def refuse(request, case):
    case_refuse(case=case, actor=request.actor, reason=request.POST.get("reason", ""))
    return _("The case is refused; the requester is told why.")


@action("correct")
def correct(request, case):
    changes = {
        key: request.POST[key] for key in ("name", "phone", "language") if request.POST.get(key)
    }
    rights_correct(person=case.person, changes=changes, actor=request.actor, case=case)
    return _("Corrected.")


@action("withdraw")
def withdraw(request, case):
    rights_consent_withdraw(
        person=case.person,
        subject=request.POST.get("subject", ""),
        actor=request.actor,
        case=case,
    )
    return _("Consent withdrawn.")


@action("opt_out")
def opt_out(request, case):
    rights_opt_out(
        person=case.person,
        kind=request.POST.get("kind", ""),
        scope=request.POST.get("scope", "person"),
        lift=request.POST.get("lift") == "1",
        actor=request.actor,
        case=case,
    )
    return _("Opt-out recorded.")


@action("erase")
def erase(request, case):
    if request.POST.get("confirm") != "erase":
        raise ValueError(_("Type erase to confirm."))
    rights_erase(person=case.person, actor=request.actor, case=case)
    return _("Erased. The certificate is on its way to the person.")


@staff_view("manage_cases")
def case_detail(request, public_id):
    case = get_object_or_404(Case.objects.select_related("owner", "person"), public_id=public_id)
    message, error = "", ""
    if request.method == "POST":
        handler = ACTIONS.get(request.POST.get("action", ""))
        if handler is None:
            raise Http404("no such action")
        try:
            message = handler(request, case)
        except Refused as refused:  # no case, not verified, another person's: say which
            error = str(refused)
        except PermissionDenied:
            raise
        except (ValueError, CaseClosed) as problem:
            error = str(problem)
        except ValidationError as refused:  # a correction a form would refuse
            error = " ".join(refused.messages)
        case.refresh_from_db()
    case = case_view(case=case, actor=request.actor)
    person = case.person
    return render(
        request,
        "console/case.html",
        {
            "case": case,
            "kind_name": kinds.kind_name(case.kind),
            "history": case_history(case),
            "workers": case_workers(),
            "message": message,
            "error": error,
            "now": timezone.now(),
            "consents": [
                {"consent": consent, "name": subject_name(consent.subject)}
                for consent in (consents_standing(person) if person else [])
            ],
            "opt_out_kinds": [(kind, OptOutKind(kind).label) for kind in kinds.opt_out_kinds()],
            "identities": [
                (Identity.VERIFIED_STAFF, Identity.VERIFIED_STAFF.label),
                (Identity.FAILED, Identity.FAILED.label),
            ],
        },
        status=400 if error else 200,
    )


@staff_view("manage_cases")
def case_export(request, public_id):
    """The person's download, for staff to send when the request came by email or post."""
    case = get_object_or_404(Case, public_id=public_id)
    try:
        archive = rights_archive(person=case.person, actor=request.actor, case=case)
    except Refused as refused:  # nothing to download on this case (yet): say why
        raise Http404(str(refused)) from None
    response = HttpResponse(archive.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive.filename}"'
    return response
