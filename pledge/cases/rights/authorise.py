"""The one gate every right passes first: who may exercise it, on whose data, through which case.

- A data subject (or a minor's guardian), ``Actor.subject(access)``: only the person their live
  link opens, and never with a link that only confirms a new address (until it is confirmed);
  what they do is recorded on the case their link was sent for, or on a portal case opened and
  closed at once (``portal_case``).
- Staff, ``Actor.staff(user)``: ``manage_cases``, and a ``case`` that is open, whose
  requester's identity is verified, and that is about exactly this person.
- The system, ``Actor.system(job)``: the same case rule. No command or task acts on a person's
  data without a verified request behind it.
- Anyone else (a visitor, a user or a label passed bare, None) is refused.

A refusal is audited (``access.refused``, naming exactly who) before any transaction opens, so
the entry stays when the caller's work rolls back, and raises ``Refused``, a
``PermissionDenied`` whose message is a sentence to show, in the reader's language.
"""

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pledge.cases.models import OPEN_STATUSES, Case, CaseChannel, Identity
from pledge.cases.services import PERMISSION, case_complete, case_open, case_record
from pledge.people.models import Person
from pledge.vault.access import access_require
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record


class Refused(PermissionDenied):
    """A right asked for by someone who may not exercise it, or not through this case."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotYours(Refused):
    """A portal link used for someone else's data, after it expired, or for more than it opens."""


REASONS = {
    "not_an_actor": _("We cannot tell who is asking, so nothing was done."),
    "not_allowed": _(
        "Only the person, with the link we emailed them, or staff working their request can do "
        "this."
    ),
    "not_yours": _("This link does not open this person's data."),
    "expired": _("This link no longer works. Ask for a new one on the privacy page."),
    "confirms_email": _("This link only confirms a new email address."),
    "confirms_nothing": _("This link does not confirm an email address."),
    "foreign_case": _("This link was not sent for that request."),
    "known_address": _(
        "We hold information about this address: choose what not to receive on your page instead."
    ),
    "no_case": _(
        "A person's data is changed or handed out only through their request: open a case for "
        "it first."
    ),
    "case_closed": _("This case is closed. Open a new case to act on the person's data."),
    "case_no_person": _(
        "This case names no one we hold data about. Open a case with the person's own email "
        "address to act on their data."
    ),
    "case_other_person": _(
        "This case is about someone else. Act through the case of the person whose data it is."
    ),
    "case_unverified": _(
        "Verify the requester's identity on this case before acting on their data."
    ),
}


def refuse(actor, right: str, reason: str, *, target=None, error=Refused):
    """Audit the refusal (outside any transaction of the right) and raise it, with why."""
    audit_record(
        actor=Actor.unknown(actor),
        action="access.refused",
        target=target,
        details={"permission": f"rights.{right}", "reason": reason},
    )
    raise error(REASONS[reason])


def authorise(
    actor, person: Person | None, *, right: str, case: Case | None = None, confirming=False
) -> Case | None:
    """Let ``actor`` exercise ``right`` on ``person`` (through ``case``), or refuse.

    Returns the case the right is recorded on, read afresh: staff's and the system's checked
    case, or a subject's link case (None: the right opens its own portal case when it acts).
    ``confirming``: the right is the confirmation of a new address, which only its link opens.
    """
    if not isinstance(actor, Actor):
        refuse(actor, right, "not_an_actor", target=person)
    if actor.is_subject:
        return subject_check(actor, person, right=right, case=case, confirming=confirming)
    if actor.is_staff:
        access_require(actor, PERMISSION, target=person)
    elif not actor.is_system:
        refuse(actor, right, "not_allowed", target=person)
    return case_check(actor, person, right=right, case=case)


def subject_check(actor: Actor, person, *, right: str, case, confirming: bool) -> Case | None:
    access = actor.access
    target = person if person is not None else access.link

    def no(reason):
        refuse(actor, right, reason, target=target, error=NotYours)

    if person is not None and (access.person is None or access.person.pk != person.pk):
        no("not_yours")
    if person is None and right not in ("request", "suppress"):
        no("not_yours")  # every other right acts on a person, and this link opens none
    if right == "suppress" and access.person is not None:
        no("known_address")  # "never contact" is for an address we hold nothing about
    if confirming and not access.link.confirms_email:
        no("confirms_nothing")
    if confirming and (person is None or access.link.person_id != person.pk):
        no("not_yours")
    if not access.alive():
        no("expired")
    if access.link.confirms_email and not confirming:
        no("confirms_email")  # until confirmed, it only confirms the new address
    if case is not None and case.pk != access.link.case_id:
        no("foreign_case")
    return case


def case_check(actor: Actor, person, *, right: str, case) -> Case:
    """Staff and the system act through an open case, verified, about exactly this person."""
    if case is None:
        refuse(actor, right, "no_case", target=person)
    current = Case.objects.filter(pk=case.pk).first()
    if current is None or current.status not in OPEN_STATUSES:
        refuse(actor, right, "case_closed", target=case)
    if current.person_id is None:
        refuse(actor, right, "case_no_person", target=current)
    if person is None or current.person_id != person.pk:
        refuse(actor, right, "case_other_person", target=current)
    if not current.is_verified:
        refuse(actor, right, "case_unverified", target=current)
    return current


# --- The case a right is recorded on ----------------------------------------------------------


def portal_case_open(actor: Actor, kind: str, *, details: str = "", acknowledge=False) -> Case:
    """A case opened by the subject themselves, verified by their link; it is answered in the
    language of the page they act on, else the language they asked for the link in."""
    access = actor.access
    return case_open(
        kind=kind,
        channel=CaseChannel.GUARDIAN if access.link.on_behalf else CaseChannel.PORTAL,
        actor=actor,
        requester_email=access.email,
        person=access.person,
        details=details,
        language=translation.get_language() or access.link.language,
        identity=Identity.VERIFIED_EMAIL,
        acknowledge=acknowledge,
    )


def portal_case(actor: Actor, kind: str) -> Case:
    """The case a portal action belongs to: the case its link was sent for, if it is open and
    of this kind; otherwise a new one, verified by the link."""
    case = actor.access.link.case
    if case is not None and case.kind == kind:
        case.refresh_from_db()
        if case.status in OPEN_STATUSES:
            return case
    return portal_case_open(actor, kind)


def case_note(actor: Actor, case: Case | None, kind: str, action: str, result: dict) -> Case:
    """Record what a right did: the subject's case is answered at once (they acted
    themselves); staff's and the system's case notes it and stays open for them to answer."""
    if actor.is_subject:
        case = case or portal_case(actor, kind)
        return case_complete(case=case, actor=actor, result=result, notify=False)
    return case_record(case=case, actor=actor, action=action, result=result)


def rights_request(*, actor: Actor, kind: str, details: str) -> Case:
    """Anything the portal cannot do by itself (a complaint, an explanation, closing the
    account): a case for the privacy officer, verified by the link, due when the law says.
    A link for an address we hold nothing about may ask too."""
    access = actor.access if isinstance(actor, Actor) and actor.is_subject else None
    authorise(actor, access.person if access else None, right="request")
    return portal_case_open(actor, kind, details=details, acknowledge=True)
