import math

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pledge.console.decorators import staff_view
from pledge.tracking.identification import identification_unavailable, organizations_identified
from pledge.tracking.queries import dashboard, dashboard_csv, range_parse
from pledge.tracking.services import consent_records

# The chart's drawing box (SVG user units): the plot sits inside the margins.
CHART_WIDTH, CHART_HEIGHT = 720, 260
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 12, 14, 40
MAX_X_LABELS = 8


def days_asked(request, default: int = 30) -> int:
    """The ``?days=`` of a report, from 1 to 366; anything else gives the default."""
    try:
        return max(1, min(int(request.GET.get("days", default)), 366))
    except ValueError:
        return default


def scale_top(largest: int) -> tuple[int, int]:
    """The top of the chart's axis and its step: four steps of 1, 2 or 5 times a power of
    ten, the smallest that holds ``largest``."""
    rough = max(largest, 1) / 4
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(int(step), 1)
    return step * math.ceil(max(largest, 1) / step), step


def chart_of(series) -> dict:
    """The chart's geometry, drawn by the template as SVG (no script, no style attribute):
    a bar of page views and a line of visitors for each point, the line broken where the
    visitors are hidden below the threshold, with the axis' ticks and some of the labels."""
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bottom = CHART_TOP + plot_height
    top, step = scale_top(max((point.views for point in series), default=0))
    band = plot_width / max(len(series), 1)

    def y(value: int) -> float:
        return round(bottom - plot_height * value / top, 1)

    bars, lines, line, labels = [], [], [], []
    every = math.ceil(len(series) / MAX_X_LABELS) or 1
    for index, point in enumerate(series):
        left = CHART_LEFT + index * band
        middle = round(left + band / 2, 1)
        bars.append(
            {
                "x": round(left + band * 0.15, 1),
                "y": y(point.views),
                "width": round(band * 0.7, 1),
                "height": round(bottom - y(point.views), 1),
                "title": point.label
                + ": "
                + ngettext("%(views)s page view", "%(views)s page views", point.views)
                % {"views": point.views},
            }
        )
        if point.visitors is None:
            if line:
                lines.append(line)
            line = []
        else:
            line.append((middle, y(point.visitors)))
        if index % every == 0:
            text = point.label if len(point.label) <= 5 else point.label[5:]
            labels.append({"x": middle, "text": text})
    if line:
        lines.append(line)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "bottom": bottom,
        "label_y": bottom + 18,
        "bars": bars,
        "lines": [" ".join(f"{x},{y}" for x, y in points) for points in lines],
        "dots": [{"x": x, "y": y} for points in lines for x, y in points],
        "ticks": [{"y": y(value), "text": value} for value in range(0, top + 1, step)],
        "labels": labels,
    }


def organizations_summary(chosen) -> dict:
    """The dashboard's pointer to identification: a link for the range's days, or why it is
    switched off. Identification reads the request log, not the rollups, and is refused
    without a current impact assessment (its own page runs it and says why), so the
    dashboard neither runs it nor lists organisations itself."""
    return {"days": min(chosen.days, 366), "unavailable": identification_unavailable()}


def csv_response(name: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view("view_aggregates")
def aggregates_view(request):
    """Site usage (P15): the dashboard of a range against the period before it, from the
    rollups, small visitor counts hidden; ``?csv=<table>`` downloads one of its tables."""
    asked = request.GET
    error, status = "", 200
    try:
        chosen = range_parse(
            asked.get("range", "")[:10],
            month=asked.get("month", "")[:20],
            start=asked.get("from", "")[:20],
            end=asked.get("to", "")[:20],
        )
    except ValidationError as refused:
        error, status = " ".join(refused.messages), 400
        chosen = range_parse("30d")
    report = dashboard(actor=request.actor, range=chosen)
    table = asked.get("csv", "")
    if table and not error:  # a bad range shows the page and its message instead
        try:
            return csv_response(*dashboard_csv(report, table))
        except KeyError:
            raise Http404(_("No such table.")) from None
    context = {
        "report": report,
        "chart": chart_of(report.series),
        "organizations": organizations_summary(chosen),
        "error": error,
        "asked": {
            "range": chosen.kind,
            "month": asked.get("month", "")[:7] or f"{chosen.first:%Y-%m}",
            "from": asked.get("from", "")[:10] or chosen.first.isoformat(),
            "to": asked.get("to", "")[:10] or chosen.last.isoformat(),
        },
        "query": range_query(chosen),
    }
    return render(request, "console/aggregates.html", context, status=status)


def range_query(chosen) -> str:
    """The query string that asks for ``chosen`` again (the CSV links keep the range)."""
    if chosen.kind == "month":
        return f"range=month&month={chosen.first:%Y-%m}"
    if chosen.kind == "custom":
        return f"range=custom&from={chosen.first.isoformat()}&to={chosen.last.isoformat()}"
    return f"range={chosen.kind}"


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
