"""Consent and opt-outs: withdraw a consent (P17, P18), opt out of contact, sharing with
affiliates or organisation identification, for the person or their whole organisation (P01,
P14, P15), and never contact an address the organisation holds nothing about (P01)."""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from pledge.cases import kinds
from pledge.cases.models import Case
from pledge.cases.rights.authorise import authorise, case_note
from pledge.inventory.labels import subject_name
from pledge.mail.subscriptions import subscription_end
from pledge.people.models import ConsentMethod, OptOutChannel, OptOutKind, Person
from pledge.people.optouts import opt_out_lift, opt_out_set, tombstone_record
from pledge.people.services import consent_record
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record


def consents_standing(person: Person) -> list:
    """The person's latest word per subject, where it is a yes: what can be withdrawn."""
    latest = {}
    for consent in person.consents.order_by("created_at", "id"):
        latest[consent.subject] = consent
    return [consent for consent in latest.values() if consent.granted]


def rights_consent_withdraw(
    *, person: Person, subject: str, actor: Actor, case: Case | None = None
) -> bool:
    """Withdraw one consent (P17, P18), recorded with the words shown; a mailing list's
    subscription ends with it (P13)."""
    case = authorise(actor, person, right="consent_withdraw", case=case)
    if subject not in {consent.subject for consent in consents_standing(person)}:
        return False
    language = translation.get_language() or person.language
    with translation.override(language):
        text = _("I withdraw my consent: %(subject)s") % {"subject": subject_name(subject)}
    with transaction.atomic():
        consent_record(
            person=person,
            subject=subject,
            granted=False,
            text=text,
            language=language,
            method=ConsentMethod.PORTAL if actor.is_subject else ConsentMethod.STAFF,
            actor=actor,
        )
        if subject.startswith("list:"):
            subscription_end(person=person, list_key=subject[5:], actor=actor)
        case_note(actor, case, kinds.WITHDRAW_CONSENT, "withdrawn", {"withdrawn": [subject]})
    return True


def rights_opt_out(
    *,
    person: Person,
    kind: str,
    actor: Actor,
    scope: str = "person",
    lift: bool = False,
    case: Case | None = None,
) -> None:
    """Set (or lift) an opt-out for the person, or for their whole organisation where the
    inventory's right covers organisations."""
    case = authorise(actor, person, right="opt_out", case=case)
    if kind not in kinds.opt_out_kinds():
        raise ValueError(f"this site offers no {kind} opt-out")
    if scope not in kinds.opt_out_scopes(kind) or (
        scope == "organisation" and person.organization is None
    ):
        raise ValueError(f"the {kind} opt-out cannot cover a {scope}")
    if actor.is_subject:
        on_behalf = actor.access.link.on_behalf
        channel = OptOutChannel.GUARDIAN if on_behalf else OptOutChannel.PORTAL
    else:
        channel = OptOutChannel(case.channel)  # staff and the system act through a case
    subject = {"person": person} if scope == "person" else {"organization": person.organization}
    with transaction.atomic():
        if lift:  # an organisation's opt-out only by whom asked for it, never a colleague
            requested_by = person if scope == "organisation" else None
            opt_out_lift(kind=kind, actor=actor, requested_by=requested_by, **subject)
        else:
            opt_out_set(
                kind=kind,
                actor=actor,
                channel=channel,
                requested_by=person if scope == "organisation" else None,
                **subject,
            )
        case_note(
            actor,
            case,
            kinds.opt_out_right(kind),
            "opt_out",
            {"opt_out": kind, "scope": scope, "lifted": lift},
        )


def rights_suppress(*, actor: Actor) -> None:
    """An address the organisation holds nothing about asks never to be contacted (P01): its fingerprint
    is kept, so no import or outreach reaches it later. Only its own live link can ask."""
    access = actor.access if isinstance(actor, Actor) and actor.is_subject else None
    authorise(actor, None, right="suppress")
    with transaction.atomic():
        tombstone_record(email=access.email, opt_outs=[OptOutKind.DO_NOT_CONTACT], erased=False)
        audit_record(actor=actor, action="portal.suppressed", target=access.link)
