"""The visitor's private booking page: pick, reschedule or cancel a demo without an account."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pledge.meetings.models import MeetingStatus
from pledge.meetings.scheduling import (
    lead_by_token,
    lead_slots,
    meeting_book,
    meeting_cancel,
    meeting_reschedule,
)
from pledge.vault.actors import Actor

VISITOR = Actor.visitor("booking")


@never_cache
@require_http_methods(["GET", "POST"])
def booking(request, token: str):
    lead = lead_by_token(token)
    if lead is None:
        return render(request, "web/forms/link_expired.html", status=404)
    meeting = lead.meetings.filter(status=MeetingStatus.BOOKED).first()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        slot_key = request.POST.get("slot", "")[:20]
        try:
            if action == "cancel" and meeting is not None:
                meeting_cancel(meeting=meeting, actor=VISITOR)
                return render(request, "web/booking/cancelled.html", {"lead": lead})
            if meeting is not None:
                meeting = meeting_reschedule(meeting=meeting, slot_key=slot_key, actor=VISITOR)
            else:
                meeting = meeting_book(lead=lead, slot_key=slot_key, actor=VISITOR)
            return render(
                request,
                "web/booking/booked.html",
                {"lead": lead, "meeting": meeting, "zone": settings.TIME_ZONE},
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    slots, all_fit = lead_slots(lead, exclude=meeting)
    return render(
        request,
        "web/booking/choose.html",
        {
            "lead": lead,
            "meeting": meeting,
            "slots": slots,
            "all_fit": all_fit,
            "error": error,
            "zone": settings.TIME_ZONE,
        },
        status=400 if error else 200,
    )
