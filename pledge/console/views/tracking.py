from django.core.exceptions import ValidationError
from django.shortcuts import render

from pledge.console.decorators import staff_view
from pledge.tracking.identification import identification_unavailable, organizations_identified
from pledge.tracking.queries import aggregates
from pledge.tracking.services import consent_records


def days_asked(request, default: int = 30) -> int:
    """The ``?days=`` of a report, from 1 to 366; anything else gives the default."""
    try:
        return max(1, min(int(request.GET.get("days", default)), 366))
    except ValueError:
        return default


@staff_view("view_aggregates")
def aggregates_view(request):
    """Site usage in aggregate (P15), from the rollups, small counts hidden."""
    days = days_asked(request)
    return render(
        request, "console/aggregates.html", {"report": aggregates(actor=request.actor, days=days)}
    )


@staff_view("view_aggregates")
def identified_view(request):
    """Organisations whose public networks visited (P15); organisations only, never people."""
    days = days_asked(request)
    try:
        identified, unavailable = organizations_identified(actor=request.actor, days=days), ""
    except ValidationError as refused:  # no current impact assessment: the page says why
        identified, unavailable = [], " ".join(refused.messages)
    context = {
        "days": days,
        "identified": identified,
        "unavailable": identification_unavailable() or unavailable,
    }
    return render(request, "console/identified.html", context)


@staff_view("view_person")
def consents_view(request):
    """Consent records as proof: what a browser chose, when, and the banner text it saw."""
    consent_id = request.GET.get("consent_id", "")[:64]
    records = consent_records(actor=request.actor, consent_id=consent_id)
    return render(request, "console/consents.html", {"records": records, "consent_id": consent_id})
