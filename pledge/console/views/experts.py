"""An expert's profile, weekly grid, buffer, notice and time off; the list of experts."""

from datetime import time

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pledge.console.decorators import staff_view
from pledge.dates import zone_options
from pledge.inventory.loader import current_inventory
from pledge.meetings.experts import (
    GRID_MINUTES,
    expert_for,
    expert_update,
    grid_cells,
    grid_off_steps,
    grid_rows,
    may_edit,
    time_off_add,
    time_off_ahead,
    time_off_remove,
    windows_from_cells,
)
from pledge.meetings.models import (
    BUFFER_MAX_MINUTES,
    NOTICE_MAX_HOURS,
    ZONES,
    Expert,
    TimeOffKind,
    Weekday,
)
from pledge.vault.access import refuse

LEAD_ROLES = ("view_all_leads", "work_own_leads")
# The grid's column heads on a phone, where seven full names do not fit.
WEEKDAYS_SHORT = [
    pgettext_lazy("weekday, short", "Mon"),
    pgettext_lazy("weekday, short", "Tue"),
    pgettext_lazy("weekday, short", "Wed"),
    pgettext_lazy("weekday, short", "Thu"),
    pgettext_lazy("weekday, short", "Fri"),
    pgettext_lazy("weekday, short", "Sat"),
    pgettext_lazy("weekday, short", "Sun"),
]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# Every half hour of a week, as the grid's checkboxes name them: "0-0930" is Monday 09:30.
# The last starts at 23:00: a window ends at 23:30 at the latest (a time of day has no 24:00).
CELL_CHOICES = [
    (f"{weekday}-{minutes // 60:02d}{minutes % 60:02d}", "")
    for weekday in range(7)
    for minutes in range(0, 24 * 60 - GRID_MINUTES, GRID_MINUTES)
]


def cell_name(weekday: int, start: time) -> str:
    return f"{weekday}-{start:%H%M}"


def cell_parse(name: str) -> tuple[int, time]:
    weekday, _dash, hhmm = name.partition("-")
    return int(weekday), time(int(hhmm[:2]), int(hhmm[2:]))


class ExpertForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown to visitors"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"))
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    forms_served = forms.MultipleChoiceField(
        label=_("Forms you take leads from"), widget=forms.CheckboxSelectMultiple, required=False
    )
    meeting_link = forms.URLField(
        label=_("Your online meeting room"), required=False, assume_scheme="https"
    )
    office_address = forms.CharField(
        label=_("Where you meet in person"), widget=forms.Textarea, required=False, max_length=500
    )
    active = forms.BooleanField(label=_("Taking new leads"), required=False)
    buffer_minutes = forms.IntegerField(
        label=_("Buffer between meetings (minutes)"),
        min_value=0,
        max_value=BUFFER_MAX_MINUTES,
        help_text=_("No demo is booked this close before or after another of your meetings."),
    )
    notice_hours = forms.IntegerField(
        label=_("Minimum notice (hours)"),
        min_value=0,
        max_value=NOTICE_MAX_HOURS,
        help_text=_("Visitors cannot book a demo that starts sooner than this."),
    )
    cells = forms.MultipleChoiceField(label=_("Weekly hours"), choices=CELL_CHOICES, required=False)

    PROFILE = (
        "display_name",
        "time_zone",
        "languages",
        "forms_served",
        "meeting_link",
        "office_address",
        "active",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Named as people know them, with today's offset; any zone this machine knows is valid.
        current = self.data.get("time_zone") or self.initial.get("time_zone", "")
        self.fields["time_zone"].choices = zone_options(
            current if current in ZONES else settings.TIME_ZONE, timezone.now()
        )
        self.fields["forms_served"].choices = [
            (key, current_inventory().form(key).name) for key in ("demo", "interest", "contact")
        ]

    def profile_fields(self):
        return [self[name] for name in self.PROFILE]

    def ticked(self) -> set[str]:
        """The ticked cells as the page shows them: what was posted, else what is saved."""
        if self.is_bound:
            return set(self.data.getlist("cells"))
        return set(self.initial.get("cells", ()))


class TimeOffForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=TimeOffKind.choices, initial=TimeOffKind.HOLIDAY
    )
    first_day = forms.DateField(label=_("First day"), widget=DATE_WIDGET)
    last_day = forms.DateField(
        label=_("Last day"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("Leave empty for one day."),
    )
    start = forms.TimeField(
        label=_("Away from"),
        widget=TIME_WIDGET,
        required=False,
        help_text=_("Only for part of each day; leave both times empty for whole days."),
    )
    end = forms.TimeField(label=_("Away until"), widget=TIME_WIDGET, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


def grid_table(expert: Expert, form: ExpertForm) -> list[dict]:
    """The grid's rows for the template: a time and, per weekday, its checkbox's name and
    whether it is ticked."""
    ticked = form.ticked()
    rows = grid_rows(expert)
    extra = sorted(
        {cell_parse(name)[1] for name in ticked if name in dict(CELL_CHOICES)} - set(rows)
    )
    return [
        {
            "time": start,
            "cells": [
                {
                    "name": cell_name(weekday, start),
                    "ticked": cell_name(weekday, start) in ticked,
                    "weekday": label,
                }
                for weekday, label in Weekday.choices
            ],
        }
        for start in sorted([*rows, *extra])
    ]


def expert_initial(expert: Expert) -> dict:
    return {
        "display_name": expert.display_name,
        "time_zone": expert.time_zone,
        "languages": expert.languages,
        "forms_served": expert.forms,
        "meeting_link": expert.meeting_link,
        "office_address": expert.office_address,
        "active": expert.active,
        "buffer_minutes": expert.buffer_minutes,
        "notice_hours": expert.notice_hours,
        "cells": {cell_name(weekday, start) for weekday, start in grid_cells(expert)},
    }


def expert_save(request, expert: Expert, form: ExpertForm) -> bool:
    """The profile, the grid, the buffer and the notice, in one save; False with the errors
    on the form (every ticked cell and typed value shown again)."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        expert_update(
            expert=expert,
            actor=request.actor,
            availability=windows_from_cells(cell_parse(name) for name in data["cells"]),
            display_name=data["display_name"],
            time_zone=data["time_zone"],
            languages=data["languages"],
            forms=data["forms_served"],
            meeting_link=data["meeting_link"],
            office_address=data["office_address"],
            active=data["active"],
            buffer_minutes=data["buffer_minutes"],
            notice_hours=data["notice_hours"],
        )
    except ValidationError as invalid:
        errors_add(form, invalid)
        return False
    return True


def time_off_save(request, expert: Expert, form: TimeOffForm) -> bool:
    if not form.is_valid():
        return False
    try:
        time_off_add(expert=expert, actor=request.actor, **form.cleaned_data)
    except ValidationError as invalid:
        errors_add(form, invalid)
        return False
    return True


def errors_add(form: forms.Form, invalid: ValidationError) -> None:
    """A service's refusal on the form: by field when it names one the form has."""
    if hasattr(invalid, "error_dict"):
        for name, errors in invalid.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, invalid)


@staff_view(LEAD_ROLES)
def expert_edit(request, expert_id=None):
    """My availability (or an expert's, for whoever sees all leads): one form for the profile,
    the weekly grid, the buffer and the notice; beside it the time off, added and removed with
    forms of their own. Plain POSTs: all of it works without JavaScript."""
    expert = get_object_or_404(Expert, pk=expert_id) if expert_id else expert_for(request.user)
    if not may_edit(expert, request.actor):
        refuse(request.actor, "work_own_leads", target=expert)
    here = (
        reverse("console:expert_edit", args=[expert.pk]) if expert_id else reverse("console:expert")
    )
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    form = ExpertForm(request.POST if action == "save" else None, initial=expert_initial(expert))
    time_off_form = TimeOffForm(request.POST if action == "time_off_add" else None)
    status = 200
    if action == "save":
        if expert_save(request, expert, form):
            return redirect(f"{here}?saved=1")
        status = 400
    elif action == "time_off_add":
        if time_off_save(request, expert, time_off_form):
            return redirect(f"{here}?saved=1#time-off")
        status = 400
    elif action == "time_off_remove":
        try:
            time_off_id = int(request.POST.get("time_off", ""))
        except ValueError:
            time_off_id = 0
        time_off_remove(expert=expert, actor=request.actor, time_off_id=time_off_id)
        return redirect(f"{here}?saved=1#time-off")
    return render(
        request,
        "console/expert.html",
        {
            "form": form,
            "time_off_form": time_off_form,
            "expert": expert,
            "weekdays": [
                (label, short)
                for (_day, label), short in zip(Weekday.choices, WEEKDAYS_SHORT, strict=True)
            ],
            "grid": grid_table(expert, form),
            "grid_rounds": grid_off_steps(expert),
            "time_off": time_off_ahead(expert),
            "saved": request.GET.get("saved") == "1" and request.method == "GET",
            "action": here,
        },
        status=status,
    )


def weekly_hours(expert: Expert) -> list[tuple[str, list]]:
    """Each weekday with hours, as (day's name, its windows), Monday first."""
    by_day: dict[int, list] = {}
    for window in expert.availability.all():
        by_day.setdefault(window.weekday, []).append(window)
    return [(label, by_day[weekday]) for weekday, label in Weekday.choices if weekday in by_day]


@staff_view("view_all_leads")
def experts(request):
    """Every expert's settings at a glance: whom they serve, their hours and their rules."""
    rows = []
    for expert in (
        Expert.objects.select_related("user")
        .prefetch_related("availability", "time_off")
        .order_by("display_name")
    ):
        rows.append(
            {"expert": expert, "hours": weekly_hours(expert), "time_off": time_off_ahead(expert)}
        )
    return render(request, "console/experts.html", {"rows": rows})
