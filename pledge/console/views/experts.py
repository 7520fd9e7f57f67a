from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from pledge.console.decorators import staff_view
from pledge.inventory.loader import current_inventory
from pledge.meetings.experts import expert_for, expert_update, may_edit, windows_text
from pledge.meetings.models import ZONES, Expert, Weekday
from pledge.vault.access import refuse

LEAD_ROLES = ("view_all_leads", "work_own_leads")


class ExpertForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown to visitors"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(zone, zone) for zone in ZONES])
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forms_served"].choices = [
            (key, current_inventory().form(key).name) for key in ("demo", "interest", "contact")
        ]
        for weekday, label in Weekday.choices:
            self.fields[f"day_{weekday}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("e.g. 09:00-12:00, 13:00-17:00") if weekday == 0 else "",
            )


@staff_view(LEAD_ROLES)
def expert_edit(request, expert_id=None):
    expert = get_object_or_404(Expert, pk=expert_id) if expert_id else expert_for(request.user)
    if not may_edit(expert, request.actor):
        refuse(request.actor, "work_own_leads", target=expert)
    windows = windows_text(expert)
    initial = {
        "display_name": expert.display_name,
        "time_zone": expert.time_zone,
        "languages": expert.languages,
        "forms_served": expert.forms,
        "meeting_link": expert.meeting_link,
        "office_address": expert.office_address,
        "active": expert.active,
        **{f"day_{weekday}": text for weekday, text in windows.items()},
    }
    form = ExpertForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expert_update(
                expert=expert,
                actor=request.actor,
                availability={weekday: data[f"day_{weekday}"] for weekday in range(7)},
                display_name=data["display_name"],
                time_zone=data["time_zone"],
                languages=data["languages"],
                forms=data["forms_served"],
                meeting_link=data["meeting_link"],
                office_address=data["office_address"],
                active=data["active"],
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            return redirect("console:expert" if not expert_id else "console:experts")
    return render(request, "console/expert.html", {"form": form, "expert": expert})


@staff_view("view_all_leads")
def experts(request):
    return render(
        request,
        "console/experts.html",
        {"experts": Expert.objects.select_related("user").order_by("display_name")},
    )
