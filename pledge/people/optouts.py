"""Opt-outs (P01 do not contact, P14 affiliate sharing, P15 organisation identification) and
the tombstones that outlive an erasure.

Every outbound path asks ``opted_out(person, kind)`` (or filters with ``people_not_opted_out``)
before it contacts, shares or identifies anyone; ``contact_suppressed(email)`` answers the same
for an address that belongs to no person (erased, or never known). Setting and lifting go
through ``opt_out_set`` / ``opt_out_lift``: recorded with who, when and through which channel,
audited, and mirrored on the ``do_not_contact`` flags. The console's switch on a person's or an
organisation's page is ``do_not_contact_set``.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from pledge.people.models import (
    OptOut,
    OptOutChannel,
    OptOutKind,
    Organization,
    Person,
    Tombstone,
)
from pledge.people.registry import DO_NOT_CONTACT, person_access_granted
from pledge.vault.access import has_access, refuse
from pledge.vault.audit import actor_label, audit_record
from pledge.vault.keys import current_ring, normalise_email

TOMBSTONE_CONTEXT = "people.Tombstone.email"


# --- Tombstones ----------------------------------------------------------------------------


def tombstone_digests(email: str) -> list[str]:
    """The address's fingerprint under every key of the ring (what a lookup matches)."""
    normalised = normalise_email(email)
    return current_ring().digests(normalised, context=TOMBSTONE_CONTEXT) if normalised else []


def tombstone_find(email: str) -> Tombstone | None:
    """The tombstone of this address, if it was erased or asked never to be contacted.

    Imports call it and skip the address when it returns one (an erased person is not
    resurrected from a list).
    """
    digests = tombstone_digests(email)
    return Tombstone.objects.filter(digest__in=digests).first() if digests else None


def tombstone_record(*, email: str, opt_outs: list[str], erased: bool) -> Tombstone | None:
    """Keep (or update) the fingerprint of ``email`` with the opt-outs standing for it."""
    if not normalise_email(email):
        return None
    tombstone = tombstone_find(email)
    if tombstone is None:
        digest = current_ring().digest(normalise_email(email), context=TOMBSTONE_CONTEXT)
        tombstone = Tombstone(digest=digest)
    tombstone.opt_outs = sorted(set(tombstone.opt_outs) | set(opt_outs))
    tombstone.erased = tombstone.erased or erased
    tombstone.save()
    return tombstone


def contact_suppressed(email: str) -> bool:
    """P01 for an address with no person behind it: was it erased asking not to be contacted,
    or did its owner ask so from the portal?"""
    tombstone = tombstone_find(email)
    return bool(tombstone and OptOutKind.DO_NOT_CONTACT in tombstone.opt_outs)


# --- Opt-outs ------------------------------------------------------------------------------


def standing(queryset: QuerySet) -> QuerySet:
    return queryset.filter(lifted_at__isnull=True)


def opted_out(person: Person, kind: str) -> bool:
    """Whether ``person``, or the organisation they belong to, opted out of ``kind``."""
    condition = Q(person=person)
    if person.organization_id:
        condition |= Q(organization_id=person.organization_id)
    return standing(OptOut.objects.filter(condition, kind=kind)).exists()


def organization_opted_out(organization: Organization, kind: str) -> bool:
    return standing(OptOut.objects.filter(organization=organization, kind=kind)).exists()


def people_not_opted_out(people: QuerySet, kind: str) -> QuerySet:
    """``people`` without those who, or whose organisation, opted out of ``kind`` (P14, P15)."""
    own = standing(OptOut.objects.filter(person=OuterRef("pk"), kind=kind))
    organization = standing(
        OptOut.objects.filter(organization=OuterRef("organization_id"), kind=kind)
    )
    return people.exclude(Exists(own)).exclude(Exists(organization))


def mirror_do_not_contact(*, person: Person | None, organization: Organization | None) -> None:
    kind = OptOutKind.DO_NOT_CONTACT
    if person is not None:
        flag = standing(OptOut.objects.filter(person=person, kind=kind)).exists()
        Person.objects.filter(pk=person.pk).update(do_not_contact=flag)
        person.do_not_contact = flag
    if organization is not None:
        flag = standing(OptOut.objects.filter(organization=organization, kind=kind)).exists()
        Organization.objects.filter(pk=organization.pk).update(do_not_contact=flag)
        organization.do_not_contact = flag


@transaction.atomic
def opt_out_set(
    *,
    kind: str,
    actor,
    channel: str,
    person: Person | None = None,
    organization: Organization | None = None,
    requested_by: Person | None = None,
) -> OptOut:
    """Record that ``person`` or ``organization`` opted out of ``kind``; idempotent.

    Callers authorise first (the portal's verified link, or staff with ``manage_cases``).
    """
    if (person is None) == (organization is None):
        raise ValueError("an opt-out is for a person or for an organisation")
    subject = {"person": person} if person is not None else {"organization": organization}
    existing = standing(OptOut.objects.filter(kind=kind, **subject)).first()
    if existing is not None:
        return existing
    opt_out = OptOut.objects.create(
        kind=kind,
        channel=channel,
        requested_by=requested_by if organization is not None else None,
        created_by=actor_label(actor),
        **subject,
    )
    mirror_do_not_contact(person=person, organization=organization)
    audit_record(
        actor=actor,
        action="opt_out.set",
        target=person or organization,
        details={"kind": kind, "scope": "person" if person else "organisation", "via": channel},
    )
    return opt_out


@transaction.atomic
def opt_out_lift(
    *,
    kind: str,
    actor,
    person: Person | None = None,
    organization: Organization | None = None,
    requested_by: Person | None = None,
    channel: str = "",
) -> int:
    """The person (or organisation) may be contacted / shared / identified again.

    ``requested_by``: lift only what that person asked for their organisation (a colleague
    cannot undo it); ``channel``: only what came that way (staff clear only what staff set).
    """
    subject = {"person": person} if person is not None else {"organization": organization}
    if requested_by is not None:
        subject["requested_by"] = requested_by
    if channel:
        subject["channel"] = channel
    lifted = standing(OptOut.objects.filter(kind=kind, **subject)).update(
        lifted_at=timezone.now(), lifted_by=actor_label(actor)
    )
    # Always: a flag set before opt-outs were recorded has no row to lift, and clears too.
    mirror_do_not_contact(person=person, organization=organization)
    if lifted:
        audit_record(
            actor=actor,
            action="opt_out.lifted",
            target=person or organization,
            details={"kind": kind, "scope": "person" if person else "organisation"},
        )
    return lifted


def opt_outs_standing(person: Person) -> dict[str, set[str]]:
    """{"person": {kinds}, "organisation": {kinds}} standing for ``person`` right now."""
    kinds = {"person": set(), "organisation": set()}
    for kind in standing(OptOut.objects.filter(person=person)).values_list("kind", flat=True):
        kinds["person"].add(kind)
    if person.organization_id:
        rows = standing(OptOut.objects.filter(organization_id=person.organization_id))
        kinds["organisation"].update(rows.values_list("kind", flat=True))
    return kinds


def opt_outs_restore(*, person: Person, actor) -> None:
    """A person created at an address erased earlier keeps the opt-outs that stood for it."""
    tombstone = tombstone_find(person.email)
    for kind in tombstone.opt_outs if tombstone else []:
        if kind in OptOutKind.values:
            opt_out_set(kind=kind, actor=actor, channel="erasure", person=person)


def do_not_contact_set(
    *,
    value: bool,
    actor,
    person: Person | None = None,
    organization: Organization | None = None,
    reason: str = "",
) -> None:
    """Mark a person, or a whole organisation, as not to be contacted (P01), or clear it.

    The privacy officer (``view_person``) may; so may whom a rule registered by an app above
    allows (meetings: the administrator, and an expert for the people of their own leads, who
    often say it to them first).
    """
    target = person or organization
    allowed = has_access(actor, "view_person") or person_access_granted(
        actor, purpose=DO_NOT_CONTACT, person=person, organization=organization
    )
    if not allowed:
        refuse(actor, "view_person", target=target)
    subject = {"person": person} if person is not None else {"organization": organization}
    with transaction.atomic():
        # One record of opt-outs, with who and when, whichever page set it (people.OptOut).
        if value:
            opt_out_set(
                kind=OptOutKind.DO_NOT_CONTACT, actor=actor, channel=OptOutChannel.STAFF, **subject
            )
        else:
            # Only what staff set: what the person asked for themselves is lifted by their own
            # request (the portal, or a case), never from the console's switch.
            opt_out_lift(
                kind=OptOutKind.DO_NOT_CONTACT, actor=actor, channel=OptOutChannel.STAFF, **subject
            )
        audit_record(
            actor=actor,
            action="do_not_contact.set" if value else "do_not_contact.cleared",
            target=target,
            reason=reason,
        )
