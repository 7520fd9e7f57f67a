from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from pledge.console.decorators import staff_view
from pledge.inventory import labels
from pledge.meetings.leads import (
    SALES_FORMS,
    lead_access,
    lead_assign,
    lead_next_meeting,
    lead_note_add,
    lead_organization_name,
    lead_status_set,
    leads_for,
)
from pledge.meetings.models import Expert, Lead, LeadStatus
from pledge.meetings.scheduling import booking_invitation_resend, lead_slots
from pledge.paging import window
from pledge.people.services import person_may_open, person_open
from pledge.people.timeline import person_timeline
from pledge.vault.access import has_access

LEAD_ROLES = ("view_all_leads", "work_own_leads")


@staff_view(LEAD_ROLES)
def inbox(request):
    status = request.GET.get("status", "")
    form = request.GET.get("form", "")
    unassigned = request.GET.get("unassigned") == "1"
    leads = leads_for(
        actor=request.actor,
        status=status if status in LeadStatus.values else "",
        form=form[:40],
        unassigned=unassigned,
    )
    page = window(leads, request.GET.get("page"))
    return render(
        request,
        "console/leads.html",
        {
            "page": page,
            "forms": [(key, labels.form_name(key)) for key in SALES_FORMS],
            "statuses": LeadStatus.choices,
            "status": status,
            "form": form,
            "unassigned": unassigned,
        },
    )


@staff_view(LEAD_ROLES)
def detail(request, public_id):
    lead = get_object_or_404(
        Lead.objects.select_related("person", "owner", "submission"), public_id=public_id
    )
    lead_access(lead=lead, actor=request.actor)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "status":
                lead_status_set(
                    lead=lead, status=request.POST.get("status", ""), actor=request.actor
                )
            elif action == "note":
                lead_note_add(lead=lead, text=request.POST.get("text", ""), actor=request.actor)
            elif action == "assign":
                expert = get_object_or_404(Expert, pk=request.POST.get("expert") or 0)
                lead_assign(lead=lead, expert=expert, actor=request.actor)
            elif action == "invite":
                booking_invitation_resend(lead=lead, actor=request.actor)
            return redirect("console:lead", public_id=lead.public_id)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    slots, _ = lead_slots(lead)
    timeline = None
    if person_may_open(person=lead.person, actor=request.actor):
        person_open(person=lead.person, actor=request.actor)
        timeline = person_timeline(lead.person)
    return render(
        request,
        "console/lead.html",
        {
            "lead": lead,
            "form_name": labels.form_name(lead.form),
            "language_name": labels.language_name(lead.language),
            "organization": lead_organization_name(lead),
            "answers": labels.answers_shown(lead.form, lead.submission.answers),
            "next_meeting": lead_next_meeting(lead),
            "timeline": timeline,
            "notes": lead.notes.select_related("author"),
            "meetings": lead.meetings.select_related("expert"),
            "statuses": LeadStatus.choices,
            "experts": (
                Expert.objects.filter(active=True)
                if has_access(request.actor, "view_all_leads")
                else []
            ),
            "slots": slots[:5],
            "error": error,
        },
        status=400 if error else 200,
    )
