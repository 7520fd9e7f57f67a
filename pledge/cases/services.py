"""Cases: one service per transition, each audited, each mailing what it must on commit.

received ──assign / verify / act──▶ in_progress ──complete──▶ done
    └──────────────────────────────────────────────refuse──▶ refused

Every service takes an ``Actor`` and checks it first (``staff_check``, before any transaction,
so a refusal's audit entry stays): staff need ``manage_cases``; the system (``Actor.system``)
may; the requester acting through the portal's verified link (``Actor.subject``) only opens
their request and closes the portal's case of what they did, on their own cases; a visitor
(the guardian's form) only opens a request.
"""

import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from pledge.cases.kinds import case_kinds, deadline_days, kind_name, kind_name_lazy
from pledge.cases.models import OPEN_STATUSES, Case, CaseChannel, CaseStatus, Identity
from pledge.inventory.loader import current_inventory
from pledge.mail.services import mail_send, sender_domain
from pledge.people.models import Person
from pledge.people.services import person_find_by_email
from pledge.vault.access import access_require, has_access, refuse
from pledge.vault.actors import Actor, ActorKind
from pledge.vault.audit import actor_label, audit_record
from pledge.vault.keys import normalise_email
from pledge.vault.models import AuditEntry

PERMISSION = "manage_cases"


class CaseClosed(ValueError):
    """The case is done or refused: nothing more can happen to it."""


def staff_check(actor, *, target=None, subject_may: bool = False) -> None:
    """Who may act on cases: staff holding ``manage_cases``; the system; a data subject
    (``Actor.subject``, a verified link) only to open their request or close the portal's case
    of what they did themselves (``subject_may``), on their own case, never another's; a
    visitor only to open a request (no ``target``: the guardian's form). Anything else is
    refused, audited."""
    if isinstance(actor, Actor):
        if actor.is_subject and not subject_may:
            refuse(actor, PERMISSION, target=target)
        if actor.is_subject:
            if isinstance(target, Case) and not subject_case(actor, target):
                refuse(actor, PERMISSION, target=target)
            return
        if actor.kind == ActorKind.VISITOR:
            if target is not None:
                refuse(actor, PERMISSION, target=target)
            return
    access_require(actor, PERMISSION, target=target)


def subject_case(actor: Actor, case: Case) -> bool:
    """The case is the subject's own: sent with their link, or about the person it opens."""
    access = actor.access
    if case.pk == access.link.case_id:
        return True
    return access.person is not None and case.person_id == access.person.pk


def service_mailbox() -> str:
    return current_inventory().organization.service_mailbox


def due_from(opened_at, kind: str):
    return opened_at + timedelta(days=deadline_days(kind))


def case_open(
    *,
    kind: str,
    channel: str,
    actor,
    requester_email: str = "",
    requester_name: str = "",
    subject_email: str = "",
    details: str = "",
    language: str = "",
    person: Person | None = None,
    identity: str = Identity.UNVERIFIED,
    acknowledge: bool = True,
    headers: dict | None = None,
) -> Case:
    """Open a case, due when the inventory says (P18, P24).

    ``subject_email`` is whose data it is about when not the requester's (a guardian for a
    minor, P19); the person behind it (or behind the requester's address) is linked when known.
    With ``acknowledge`` the requester is emailed the reference and the date we answer by, and
    the service mailbox hears of a case it did not enter itself. ``headers`` go on the
    acknowledgement (``Auto-Submitted`` when mail that arrived opened the case, RFC 3834).
    """
    staff_check(actor, subject_may=True)
    if kind not in dict(case_kinds()):
        raise ValueError(f"unknown case kind {kind!r}: use a key of [rights.requests] or other")
    language = language or settings.LANGUAGE_CODE
    if person is None:
        address = subject_email or requester_email
        person = person_find_by_email(address) if address else None
    with transaction.atomic():
        now = timezone.now()
        case = Case.objects.create(
            kind=kind,
            channel=channel,
            identity=identity,
            person=person,
            requester_email=requester_email.strip(),
            requester_name=requester_name.strip(),
            subject_email=subject_email.strip(),
            details=details.strip(),
            language=language,
            opened_at=now,
            opened_by=actor_label(actor),
            due_at=due_from(now, kind),
            verified_at=now if identity in (Identity.VERIFIED_EMAIL,) else None,
            verified_by=actor_label(actor) if identity == Identity.VERIFIED_EMAIL else "",
        )
        audit_record(
            actor=actor,
            action="case.opened",
            target=case,
            details={"kind": kind, "channel": channel, "identity": identity},
        )
        if acknowledge and case.requester_email:
            case_mail(case, "case_received", actor=actor, headers=headers)
        if acknowledge and not actor.is_staff:
            staff_notify(case, actor=actor)
    return case


def case_message_seal(case_hex: str, nonce: str) -> str:
    return salted_hmac("pledge.cases.message-id", f"{case_hex}.{nonce}").hexdigest()[:16]


def case_message_id(case: Case) -> str:
    """A Message-ID that names the case to whoever holds our key, and to no one else: a reply's
    In-Reply-To brings the reply to its case (the inbox), a guess brings it nowhere."""
    nonce = secrets.token_hex(6)
    seal = case_message_seal(case.public_id.hex, nonce)
    return f"<k.{case.public_id.hex}.{nonce}.{seal}@{sender_domain() or 'localhost'}>"


CASE_MESSAGE_ID = re.compile(r"<?k\.([0-9a-f]{32})\.([0-9a-f]{12})\.([0-9a-f]{16})@[^>\s]+>?")


def case_by_message_id(message_id: str) -> Case | None:
    """The case an email we sent about it was about, from its Message-ID (a reply's
    In-Reply-To or References); None unless the seal is ours."""
    match = CASE_MESSAGE_ID.search(message_id or "")
    if match is None:
        return None
    case_hex, nonce, seal = match[1], match[2], match[3]
    if not constant_time_compare(seal, case_message_seal(case_hex, nonce)):
        return None
    return Case.objects.filter(public_id=uuid.UUID(case_hex)).first()


def case_mail(
    case: Case, kind: str, *, actor, extra: dict | None = None, headers: dict | None = None
) -> None:
    """Email the requester about their case, in their language, under a Message-ID that brings
    their reply back to the case. A guardian's message is not linked to the minor: it is the
    guardian's."""
    with translation.override(case.language):
        context = {
            "reference": case.reference,
            "kind_name": kind_name(case.kind),
            "due_at": case.due_at,
            "days": deadline_days(case.kind),
            "resolution": case.resolution,
            "organization": str(current_inventory().organization.name),
            **(extra or {}),
        }
    mail_send(
        kind=kind,
        to=case.requester_email,
        language=case.language,
        context=context,
        actor=actor,
        person=case.person if case.channel != CaseChannel.GUARDIAN else None,
        headers={**(headers or {}), "Message-ID": case_message_id(case)},
    )


def staff_notify(case: Case, *, actor) -> None:
    """The privacy team hears of a new case: kind, deadline and a console link, no values."""
    mail_send(
        kind="case_opened",
        to=service_mailbox(),
        language=settings.LANGUAGE_CODE,
        context={
            "reference": case.reference,
            "kind_name": kind_name_lazy(case.kind),
            "channel": case.get_channel_display(),
            "due_at": case.due_at,
            "case_path": reverse("console:case", args=[case.public_id]),
        },
        actor=actor,
    )


def locked(case: Case) -> Case:
    """The case's row, locked for this transaction; refuses a closed case."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.status not in OPEN_STATUSES:
        raise CaseClosed(f"case {current.reference} is {current.status}")
    return current


def working(case: Case) -> None:
    if case.status == CaseStatus.RECEIVED:
        case.status = CaseStatus.IN_PROGRESS


def case_assign(*, case: Case, owner, actor) -> Case:
    """Give the case to ``owner`` (who must be able to work cases)."""
    staff_check(actor, target=case)
    if owner is not None:
        access_require(Actor.staff(owner), PERMISSION, target=case)
    with transaction.atomic():
        case = locked(case)
        case.owner = owner
        case.assigned_at = timezone.now()
        case.assigned_by = actor_label(actor)
        working(case)
        case.save(update_fields=["owner", "assigned_at", "assigned_by", "status"])
        audit_record(
            actor=actor,
            action="case.assigned",
            target=case,
            details={"owner": owner.get_username() if owner else ""},
        )
    return case


def case_identity_set(*, case: Case, identity: str, actor, note: str = "") -> Case:
    """Record how the requester's identity was checked (or that it could not be)."""
    staff_check(actor, target=case)
    with transaction.atomic():
        case = locked(case)
        case.identity = identity
        case.identity_note = note.strip()
        case.verified_at = timezone.now()
        case.verified_by = actor_label(actor)
        working(case)
        case.save(
            update_fields=["identity", "identity_note", "verified_at", "verified_by", "status"]
        )
        audit_record(
            actor=actor, action="case.identity", target=case, details={"identity": identity}
        )
    return case


def case_link_send(*, case: Case, actor):
    """Email the requester a portal link. Opening it verifies their identity (the address is
    theirs) and lets them act themselves; a guardian's link, sent once staff verified the
    guardian, opens the minor's data (P19)."""
    from pledge.cases.portal import link_create

    staff_check(actor, target=case)
    with transaction.atomic():
        case = locked(case)
        if not case.requester_email:
            raise ValueError("the case has no requester address to send a link to")
        on_behalf = case.channel == CaseChannel.GUARDIAN
        if on_behalf and (case.identity != Identity.VERIFIED_STAFF or case.person is None):
            raise ValueError("verify the guardian, and link the minor, before sending a link")
        link, _token = link_create(
            email=case.requester_email,
            language=case.language,
            person=case.person if on_behalf else None,
            case=case,
            on_behalf=on_behalf,
            actor=actor,
        )
        if not on_behalf:
            case.identity = Identity.LINK_SENT
        working(case)
        case.save(update_fields=["identity", "status"])
        audit_record(actor=actor, action="case.link_sent", target=case)
    return link


def case_verified_by_link(*, case: Case, actor) -> None:
    """The requester opened the link sent for their case: the address is theirs.

    That proves who the requester is only when the address is the person's own: a case
    entered about someone else (the requester wrote from another address) stays unverified
    until staff verify it, or the link would hand one person's data to whoever asked.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in OPEN_STATUSES or case.identity in (
            Identity.VERIFIED_EMAIL,
            Identity.VERIFIED_STAFF,
        ):
            return
        if case.person is not None and normalise_email(case.person.email) != normalise_email(
            case.requester_email
        ):
            audit_record(
                actor=actor,
                action="case.link_opened",
                target=case,
                details={"verified": False, "why": "not_the_persons_address"},
            )
            return
        case.identity = Identity.VERIFIED_EMAIL
        case.verified_at = timezone.now()
        case.verified_by = actor_label(actor)
        case.save(update_fields=["identity", "verified_at", "verified_by"])
        audit_record(
            actor=actor, action="case.identity", target=case, details={"identity": case.identity}
        )


def case_record(*, case: Case, actor, action: str, result: dict) -> Case:
    """Note on the case what an action did (counts, sections: never values)."""
    with transaction.atomic():
        case = locked(case)
        case.result = {**case.result, **result}
        working(case)
        case.save(update_fields=["result", "status"])
        audit_record(actor=actor, action=f"case.{action}", target=case, details=result)
    return case


def case_complete(
    *, case: Case, actor, resolution: str = "", result: dict | None = None, notify: bool = True
) -> Case:
    """The request is answered. ``resolution`` is the answer, emailed to the requester."""
    staff_check(actor, target=case, subject_may=True)
    with transaction.atomic():
        case = locked(case)
        case.status = CaseStatus.DONE
        case.completed_at = timezone.now()
        case.completed_by = actor_label(actor)
        if resolution.strip():
            case.resolution = resolution.strip()
        if result:
            case.result = {**case.result, **result}
        case.save(update_fields=["status", "completed_at", "completed_by", "resolution", "result"])
        audit_record(actor=actor, action="case.completed", target=case, details={})
        if notify and case.requester_email and case.resolution:
            case_mail(case, "case_answer", actor=actor)
    return case


def case_refuse(*, case: Case, actor, reason: str) -> Case:
    """The request cannot be met (identity not verified, manifestly unfounded): say why."""
    staff_check(actor, target=case)
    if not reason.strip():
        raise ValueError("a refusal needs its reason: the requester is told")
    with transaction.atomic():
        case = locked(case)
        case.status = CaseStatus.REFUSED
        case.refused_at = timezone.now()
        case.refused_by = actor_label(actor)
        case.resolution = reason.strip()
        case.save(update_fields=["status", "refused_at", "refused_by", "resolution"])
        audit_record(actor=actor, action="case.refused", target=case, details={})
        if case.requester_email:
            case_mail(case, "case_refused", actor=actor)
    return case


# --- Reading ------------------------------------------------------------------------------


QUEUE_HIDDEN = (
    "requester_email",
    "requester_name",
    "subject_email",
    "details",
    "identity_note",
    "resolution",
)


def cases_queue(*, actor, show: str = "open"):
    """The privacy officer's queue: open cases, soonest deadline first (or all, or overdue)."""
    access_require(actor, PERMISSION)
    # The queue shows no personal value: the encrypted fields are read when a case is opened.
    cases = Case.objects.select_related("owner").defer(*QUEUE_HIDDEN)
    if show == "all":
        return cases.order_by("-opened_at")
    cases = cases.filter(status__in=OPEN_STATUSES)
    if show == "overdue":
        cases = cases.filter(due_at__lt=timezone.now())
    return cases.order_by("due_at")


def cases_today(*, actor) -> dict | None:
    """For the console's Today page: open, due within a week, and overdue cases; None for
    staff who do not work cases."""
    if not has_access(actor, PERMISSION):
        return None
    now = timezone.now()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    return {
        "open": open_cases.count(),
        "due_soon": open_cases.filter(due_at__gte=now, due_at__lt=now + timedelta(days=7)).count(),
        "overdue": open_cases.filter(due_at__lt=now).count(),
    }


def cases_of(*, person: Person, actor) -> list[Case]:
    """The person's cases, newest first, for the person page of staff who work cases."""
    access_require(actor, PERMISSION, target=person)
    return list(person.cases.order_by("-opened_at"))


def case_view(*, case: Case, actor) -> Case:
    """Open one case (it holds personal data): audited."""
    access_require(actor, PERMISSION, target=case)
    audit_record(actor=actor, action="case.viewed", target=case)
    return case


def case_history(case: Case):
    """Everything that happened to the case, from the audit log, oldest first."""
    return AuditEntry.objects.filter(
        object_type=Case._meta.label, object_id=str(case.public_id)
    ).order_by("sequence")
