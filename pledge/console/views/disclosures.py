"""The disclosure log (P12, P14, P16): what left the organisation, the files for declared recipients, and
a disclosure on a legal basis. The rules are in ``pledge.cases.disclosures``."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from pledge.cases.disclosures import (
    disclosure_record,
    disclosures_log,
    recipients,
    share_export,
    share_plan,
)
from pledge.cases.models import LEGAL_BASES, DisclosureBasis
from pledge.console.decorators import staff_view
from pledge.inventory.labels import category_name
from pledge.inventory.loader import current_inventory
from pledge.people.services import person_find_by_email
from pledge.vault.access import has_access


class LegalDisclosureForm(forms.Form):
    email = forms.EmailField(label=_("The person's email address"), max_length=254)
    recipient_name = forms.CharField(label=_("Disclosed to"), max_length=200)
    basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=[(basis.value, basis.label) for basis in DisclosureBasis if basis in LEGAL_BASES],
    )
    categories = forms.MultipleChoiceField(
        label=_("What was disclosed"), widget=forms.CheckboxSelectMultiple
    )
    reference = forms.CharField(
        label=_("Order or request it answers"),
        max_length=500,
        help_text=_("The document's reference, e.g. the court order's number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff read each category by its declared name, never its fideslang key.
        self.fields["categories"].choices = [
            (key, category_name(key)) for key in current_inventory().data_categories
        ]

    def clean_email(self):
        person = person_find_by_email(self.cleaned_data["email"])
        if person is None:
            raise ValidationError(_("No one is held under this address."))
        self.person = person
        return self.cleaned_data["email"]


@staff_view(("view_disclosures", "export_people"))
def disclosures(request):
    form = LegalDisclosureForm(request.POST if request.POST.get("action") == "record" else None)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "share":
                share = share_export(
                    key=request.POST.get("recipient", "")[:60], actor=request.actor
                )
                response = HttpResponse(share.csv(), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="{share.key}.csv"'
                return response
            if form.is_valid():
                data = form.cleaned_data
                disclosure_record(
                    person=form.person,
                    recipient_name=data["recipient_name"],
                    basis=data["basis"],
                    categories=data["categories"],
                    reference=data["reference"],
                    actor=request.actor,
                )
                return redirect("console:disclosures")
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    can_view = has_access(request.actor, "view_disclosures")
    can_share = has_access(request.actor, "export_people")
    plan = None
    if can_share and request.method == "GET" and request.GET.get("plan"):
        # Who a file would hold and who it would leave out, by reason, before it is made.
        try:
            plan = share_plan(key=request.GET["plan"][:60], actor=request.actor)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    context = {
        "log": disclosures_log(actor=request.actor) if can_view else None,
        "recipients": recipients(),
        "can_share": can_share,
        "plan": plan,
        "form": form,
        "error": error,
    }
    status = 400 if error or form.is_bound else 200
    return render(request, "console/disclosures.html", context, status=status)
