"""The privacy officer's impact assessments (PIPL Art. 55-56): every processing that needs one
with its state, each processing's versions, and the form that writes the next version. The
rules (which processings, when one is current, what an assessment must say) are in
``pledge.people.assessments``."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pledge.console.decorators import staff_view
from pledge.dates import site_date
from pledge.inventory.loader import current_inventory
from pledge.inventory.processings import KIND_NAMES
from pledge.people.assessments import (
    TEXT_LIMIT,
    AssessmentState,
    assessment_history,
    assessment_processing,
    assessment_record,
    assessments_ended_mark,
    assessments_overview,
)
from pledge.people.models import AssessmentOutcome

PERMISSION = "manage_assessments"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
METHOD_NAMES = {"declared_ip_ranges": _("The public network ranges organisations register")}


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Date of the assessment"),
        widget=DATE_WIDGET,
        help_text=_("Written as 2027-01-31."),
    )
    scope = forms.CharField(
        label=_("Scope"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Whose personal information, which of it, for what purpose and by whom."),
    )
    risks = forms.CharField(
        label=_("Risks"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What could harm the rights and interests of the people concerned, and how likely "
            "and how serious it is."
        ),
    )
    measures = forms.CharField(
        label=_("Measures"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What protects them: contracts, limits on the data and its use, security; and "
            "whether the measures fit the risks."
        ),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=AssessmentOutcome.choices, widget=forms.RadioSelect
    )
    review_due = forms.DateField(
        label=_("Review due"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave it empty for one year after the assessment."),
    )


def declaration_shown(declaration: dict) -> list[tuple[str, list[str]]]:
    """What a processing was declared as: each aspect with its values, in the inventory's own
    words (a key the inventory no longer declares is left out rather than shown as a code)."""
    inventory = current_inventory()
    shown = []
    if declaration.get("purposes"):
        uses = [
            str(inventory.uses[key].name)
            for key in declaration["purposes"]
            if key in inventory.uses
        ]
        shown.append((_("Purposes"), uses))
    if declaration.get("categories"):
        categories = [
            str(inventory.data_categories[key].name)
            for key in declaration["categories"]
            if key in inventory.data_categories
        ]
        shown.append((_("Categories of data"), categories))
    if declaration.get("methods"):
        methods = [str(METHOD_NAMES[key]) for key in declaration["methods"] if key in METHOD_NAMES]
        shown.append((_("Methods"), methods))
    return shown


@staff_view(PERMISSION)
def assessment_list(request):
    """Every processing that needs an assessment, with its state; the ended ones after."""
    marked = None
    if request.method == "POST" and request.POST.get("action") == "ended":
        marked = assessments_ended_mark(actor=request.actor)
    rows = assessments_overview(actor=request.actor)
    for row in rows:
        row.kind_name = KIND_NAMES[row.processing.kind] if row.processing else ""
    context = {
        "rows": rows,
        "marked": marked,
        "unmarked_ended": any(
            row.state == AssessmentState.ENDED and row.ended_at is None for row in rows
        ),
        "today": site_date(),
    }
    return render(request, "console/assessments.html", context)


@staff_view(PERMISSION)
def assessment_detail(request, processing):
    """One processing: its state, the next version's form (while it is declared), and every
    version written, newest first."""
    standing = assessment_processing(processing, actor=request.actor)
    if standing is None:
        raise Http404("no such processing")
    history = assessment_history(processing, actor=request.actor)
    latest = history[0] if history else None
    form = None
    if standing.processing is not None:  # an ended processing is not assessed again here
        initial = {"assessed_on": site_date()}
        if latest is not None:  # a new version starts from the last one's words
            initial.update(scope=latest.scope, risks=latest.risks, measures=latest.measures)
        form = AssessmentForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                assessment = assessment_record(
                    processing=processing, actor=request.actor, **form.cleaned_data
                )
            except ValidationError as invalid:
                form.add_error(None, invalid)
            else:
                url = reverse("console:assessment", args=[processing])
                return redirect(f"{url}?recorded={assessment.version}")
    elif request.method == "POST":
        raise Http404("the processing has ended")
    recorded = request.GET.get("recorded", "")
    context = {
        "standing": standing,
        "kind_name": KIND_NAMES[standing.processing.kind] if standing.processing else "",
        "declared": declaration_shown(standing.processing.declaration)
        if standing.processing
        else [],
        "history": [
            (assessment, declaration_shown(assessment.declaration)) for assessment in history
        ],
        "form": form,
        "recorded": int(recorded) if recorded.isdigit() and len(recorded) < 6 else None,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "console/assessment.html", context, status=status)
