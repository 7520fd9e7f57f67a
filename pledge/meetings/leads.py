"""The lead inbox: every sales submission becomes a lead, assigned to an expert, worked to a close.

An expert sees and works only the leads assigned to them (``work_own_leads``); those who hold
``view_all_leads`` (the administrator) see all and assign by hand. New leads are given
round-robin to the active expert who serves the form, the inquiry type and the language and
has waited longest since their last lead.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledge.inventory import labels
from pledge.mail.services import mail_send
from pledge.meetings.models import Expert, Lead, LeadNote, LeadStatus
from pledge.people.registry import DO_NOT_CONTACT
from pledge.vault.access import access_require, has_access, refuse
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

SALES_FORMS = ("demo", "interest", "contact")


def lead_from_submission(sender, *, submission, person, **kwargs) -> Lead | None:
    """intake's ``submission_stored`` signal: a sales form makes a lead, assigned at once."""
    if submission.form not in SALES_FORMS:
        return None
    lead = Lead.objects.create(
        submission=submission, person=person, form=submission.form, language=submission.language
    )
    audit_record(
        actor=Actor.system("leads.assign"),
        action="lead.created",
        target=lead,
        details={"form": lead.form},
    )
    expert = expert_next_for(lead)
    if expert is not None:
        lead_assign(lead=lead, expert=expert, actor=Actor.system("leads.assign"))
    return lead


def expert_next_for(lead: Lead) -> Expert | None:
    """Round-robin: the active expert serving this lead who has waited longest for one."""
    inquiry_type = lead.submission.answers.get("inquiry_type", "")
    candidates = [
        expert
        for expert in Expert.objects.filter(active=True, user__is_active=True).order_by(
            F("last_assigned_at").asc(nulls_first=True), "pk"
        )
        if lead.form in expert.forms
        and lead.language in expert.languages
        and (not expert.inquiry_types or not inquiry_type or inquiry_type in expert.inquiry_types)
    ]
    return candidates[0] if candidates else None


def lead_assign(*, lead: Lead, expert: Expert, actor) -> None:
    """Give ``lead`` to ``expert``; by hand this needs ``view_all_leads``.

    The expert is told (no personal data in the note); a demo not booked yet sends the visitor
    their booking link for this expert's hours (P25), unless they asked not to be contacted.
    """
    access_require(actor, "view_all_leads", target=lead)
    with transaction.atomic():
        now = timezone.now()
        lead.owner, lead.assigned_at = expert, now
        lead.save(update_fields=["owner", "assigned_at"])
        Expert.objects.filter(pk=expert.pk).update(last_assigned_at=now)
        audit_record(
            actor=actor, action="lead.assigned", target=lead, details={"expert": expert.pk}
        )
        if expert.user.email:
            # The owner's note carries no personal data, only the way to the lead.
            language = expert.language
            with translation.override(language):
                form_name = labels.form_name(lead.form)
            mail_send(
                kind="lead_assigned",
                to=expert.user.email,
                language=language,
                context={
                    "form": lead.form,
                    "form_name": form_name,
                    "organization": lead_organization_name(lead),
                    "received_at": lead.created_at,
                    "lead_path": reverse("console:lead", args=[lead.public_id]),
                },
                actor=actor,
                time_zone=expert.time_zone,
            )
        if lead.form == "demo" and not lead.meetings.filter(status="booked").exists():
            from pledge.meetings.scheduling import booking_invitation_send

            booking_invitation_send(lead=lead)


def lead_organization_name(lead: Lead) -> str:
    """The organisation a lead comes from: the person's organisation, else the company they
    typed. The expert's note names it (and the form and time), never how to reach the person."""
    if lead.person.organization_id:
        return str(lead.person.organization)
    answers = lead.submission.answers
    return str(answers.get("company") or answers.get("employer") or "")


def lead_next_meeting(lead: Lead):
    """The lead's next booked meeting still to come, or None (the lead card shows it)."""
    return (
        lead.meetings.filter(status="booked", ends_at__gt=timezone.now())
        .select_related("expert")
        .order_by("starts_at")
        .first()
    )


def lead_access(*, lead: Lead, actor) -> Lead:
    """Open a lead (and its person's data): its owner, or whoever sees all leads. Audited."""
    if not lead_visible_to(lead, actor):
        refuse(actor, "work_own_leads", target=lead)
    audit_record(actor=actor, action="lead.viewed", target=lead)
    return lead


def lead_visible_to(lead: Lead, actor) -> bool:
    if has_access(actor, "view_all_leads"):
        return True
    return (
        has_access(actor, "work_own_leads")
        and lead.owner_id is not None
        and (lead.owner.user_id == actor.user_id)
    )


def leads_for(*, actor, status: str = "", form: str = "", unassigned: bool = False):
    """The inbox ``actor`` may see: their own leads, or all of them for ``view_all_leads``."""
    if has_access(actor, "view_all_leads"):
        leads = Lead.objects.all()
    elif has_access(actor, "work_own_leads"):
        leads = Lead.objects.filter(owner__user=actor.user)
    else:
        refuse(actor, "work_own_leads")
    if status:
        leads = leads.filter(status=status)
    if form:
        leads = leads.filter(form=form)
    if unassigned:
        leads = leads.filter(owner__isnull=True)
    # The inbox shows the person's name: their other encrypted values are not decrypted.
    leads = leads.select_related("person", "owner").defer("person__email", "person__phone")
    return leads.order_by("-created_at", "-id")


def people_with_open_leads():
    """The ids of people with a lead not yet closed (the console's people list filters by it)."""
    return Lead.objects.exclude(status=LeadStatus.CLOSED).values("person_id")


def lead_status_set(*, lead: Lead, status: str, actor) -> None:
    if status not in LeadStatus.values:
        raise ValidationError(_("Choose a status from the list."))
    lead_access_check(lead, actor)
    with transaction.atomic():
        previous = lead.status
        lead.status, lead.status_changed_at = status, timezone.now()
        lead.save(update_fields=["status", "status_changed_at"])
        audit_record(
            actor=actor,
            action="lead.status_set",
            target=lead,
            details={"from": previous, "to": status},
        )


def lead_note_add(*, lead: Lead, text: str, actor) -> LeadNote:
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note first."))
    lead_access_check(lead, actor)
    with transaction.atomic():
        note = LeadNote.objects.create(lead=lead, author=actor.user, text=text[:5000])
        audit_record(actor=actor, action="lead.note_added", target=lead)
    return note


def lead_access_check(lead: Lead, actor) -> None:
    if not lead_visible_to(lead, actor):
        refuse(actor, "work_own_leads", target=lead)


def person_visible_to_expert(person, actor) -> bool:
    """An expert may see the people of their own leads, and no one else (P22)."""
    return (
        has_access(actor, "work_own_leads")
        and Lead.objects.filter(person=person, owner__user_id=actor.user_id).exists()
    )


def person_access_through_leads(actor, *, purpose, person=None, organization=None) -> bool:
    """people's access grant (registered in ``MeetingsConfig.ready``), beside ``view_person``:
    an expert may open, and mark not to be contacted, the people of their own leads; whoever
    sees all leads (the administrator) may mark anyone, or any organisation, not to be
    contacted, but opens no one's page through this."""
    if purpose == DO_NOT_CONTACT and has_access(actor, "view_all_leads"):
        return True
    return person is not None and person_visible_to_expert(person, actor)


def leads_today(*, actor) -> dict:
    """The console's home: what needs doing today, for this actor."""
    if not (has_access(actor, "view_all_leads") or has_access(actor, "work_own_leads")):
        return {}
    leads = leads_for(actor=actor)
    return {
        "new": leads.filter(status=LeadStatus.NEW).count(),
        "unassigned_demos": (
            Lead.objects.filter(form="demo", owner__isnull=True, status=LeadStatus.NEW).count()
            if has_access(actor, "view_all_leads")
            else None
        ),
        "latest": list(leads.filter(status=LeadStatus.NEW)[:10]),
    }
