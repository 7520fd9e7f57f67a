"""Correct (P18): the person's details, and their email address by a link sent to the new one."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledge.cases import kinds
from pledge.cases.models import Case, PortalLink
from pledge.cases.portal import link_create
from pledge.cases.rights.authorise import authorise, case_note
from pledge.inventory.loader import current_inventory
from pledge.mail.models import Message
from pledge.mail.providers import signups_of
from pledge.mail.services import mail_send
from pledge.people.models import Person
from pledge.people.services import person_correct, person_email_set
from pledge.vault.actors import Actor
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import normalise_email


def rights_correct(
    *, person: Person, changes: dict, actor: Actor, case: Case | None = None
) -> list:
    """Correct the person's details (P18); the case notes which fields, not the values."""
    case = authorise(actor, person, right="correct", case=case)
    with transaction.atomic():
        changed = person_correct(person=person, changes=changes, actor=actor)
        case_note(actor, case, kinds.CORRECTION, "corrected", {"corrected": changed})
    return changed


EMAIL_CHANGES_PER_DAY = 3


def rights_email_change_request(
    *, person: Person, email: str, actor: Actor, case: Case | None = None
) -> bool:
    """Ask to move to a new address: a link goes to it, and nothing changes until the person
    opens it and confirms (so no one can move a record to an address that is not theirs).
    One such link is live at a time, and a person asks at most three times a day (each sends
    mail to an address of their choosing). Returns False when the address is held already."""
    authorise(actor, person, right="email_change", case=case)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address.")) from None
    if normalise_email(email) == normalise_email(person.email):
        return False
    now = timezone.now()
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one request at a time
        pending = PortalLink.objects.filter(person=person, confirms_email=True)
        if pending.filter(created_at__gt=now - timedelta(days=1)).count() >= EMAIL_CHANGES_PER_DAY:
            raise ValidationError(
                _(
                    "You asked to change your address three times today. Open the link we sent "
                    "to the new address, or try again tomorrow."
                )
            )
        pending.filter(revoked_at__isnull=True).update(revoked_at=now)
        language = translation.get_language() or person.language
        link_create(email=email, language=language, actor=actor, person=person, confirms_email=True)
    return True


def rights_email_change_confirm(*, actor: Actor) -> bool:
    """The link sent to the new address was opened and confirmed: the person moves to it.

    What was kept under the old address without naming the person (mail and links sent before
    they were one) is linked to them, so an export or erasure still finds it; unconfirmed
    signups for it go, and every live link to it stops working. The old address is told (if
    the change was not theirs, they can say so). The link then opens the person's privacy page
    like any other. Returns False when it was done already."""
    access = actor.access if isinstance(actor, Actor) and actor.is_subject else None
    person = access.person if access else None
    authorise(actor, person, right="email_confirm", confirming=True)
    link = access.link
    old_email = person.email
    with transaction.atomic():
        records_under_old_address_claim(person)
        try:
            moved = person_email_set(person=person, email=access.email, actor=actor)
        except ValueError:
            raise ValidationError(
                _(
                    "We already hold information under this address for someone else, so we "
                    "cannot move yours there by ourselves. Use “Ask us something or complain” "
                    "on your privacy page and we will merge the two with you."
                )
            ) from None
        PortalLink.objects.filter(pk=link.pk).update(confirms_email=False)
        link.confirms_email = False
        if not moved:
            return False
        case_note(actor, None, kinds.CORRECTION, "corrected", {"corrected": ["email"]})
        mail_send(
            kind="portal_email_changed",
            to=old_email,
            language=person.language,
            context={"organization": str(current_inventory().organization.name)},
            actor=actor,
            person=person,
        )
    return True


def records_under_old_address_claim(person: Person) -> None:
    """Before ``person`` leaves their address: link to them what is found only by it, drop
    their unconfirmed signups, and stop every live link sent to it."""
    old = person.email or ""
    Message.objects.filter(
        person__isnull=True, hold="", to_index__in=lookup_digests(Message, "to_index", old)
    ).update(person=person)
    to_old = PortalLink.objects.filter(
        email_index__in=lookup_digests(PortalLink, "email_index", old)
    )
    to_old.filter(person__isnull=True).update(person=person)
    to_old.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    for signup in signups_of(person):
        signup.delete()
