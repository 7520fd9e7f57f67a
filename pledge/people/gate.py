"""The purpose gate: the one place that decides whether a use of a person's data is allowed (P11).

``may(person, use)`` answers with a ``Decision`` that says why. Every outbound contact and every
use of personal data asks it; nothing else decides. It checks, in order:

1. the use is declared in the inventory in force (an undeclared purpose does not exist, and
   selling is never declared, P12);
2. do-not-contact, for the person or their whole organisation, stops every contact use (P01);
3. a use whose legal basis is consent needs the person's latest word on it to be a yes (P11,
   P17); submitting a form counts as consent to that form's declared purposes, recorded as such;
4. a use that the policy version the data was collected under did not declare is refused,
   unless the person consented to it under a later version (P23: never less protection for
   data collected earlier without the person's consent).
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.inventory.models import PolicyVersion
from pledge.people.models import Consent, Person

# Uses that reach out to the person: what do-not-contact stops (P01).
CONTACT_USES = frozenset(
    {
        "sales",
        "marketing.communications.email",
        "marketing.communications",
        "marketing",
        "essential.service.notifications.email",
    }
)
NOTICE_USE = "essential.service.notifications.email"


@dataclass(frozen=True)
class Mailing:
    """What a kind of mailing is, and so what may stop it. The one place that says which mail
    is marketing and which is a notice the law requires (P01, P13, P14, P17, P23)."""

    use: str
    # Sent only to the people on the list it goes to (their confirmed subscription).
    needs_subscription: bool
    # A notice the law requires (a policy change, P23; an acquisition, P14) reaches everyone
    # whose data is held: do-not-contact and email preferences do not stop it (P17).
    required_by_law: bool


MAILINGS = {
    # A campaign to a marketing list (newsletter, promotions): consent on the list, P13.
    "marketing": Mailing("marketing.communications.email", True, False),
    # A campaign to the service-notices list: product and terms updates (P17), which
    # do-not-contact stops like any other contact (P01).
    "service": Mailing(NOTICE_USE, True, False),
    "policy_notice": Mailing(NOTICE_USE, False, True),
    "acquisition_notice": Mailing(NOTICE_USE, False, True),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def declared_in(version_number: int | None, use: str) -> bool:
    """Whether policy version ``version_number`` declared ``use`` (True if none was in force)."""
    if version_number is None:
        return True
    version = PolicyVersion.objects.filter(number=version_number).only("inventory").first()
    return version is None or use in (version.inventory.get("uses") or {})


def may(
    person: Person, use: str, *, required_by_law: bool = False, consent_subject: str = ""
) -> Decision:
    """``required_by_law``: a notice the law requires (``MAILINGS``), which reaches everyone
    whose data is held: neither do-not-contact nor an email preference stops it (P14, P17, P23).
    ``consent_subject``: the consent that allows the use, when it is not the use itself (a
    mailing list's ``list:<key>``, P13). ``audience`` answers the same for a whole list."""
    inventory = current_inventory()
    if use not in inventory.uses:
        return Decision(
            False, _("“%(use)s” is not a purpose declared in the inventory") % {"use": use}
        )
    if required_by_law:
        return Decision(True, _("a notice the law requires (P14, P23)"))
    is_contact = (use in CONTACT_USES or use.startswith("marketing.")) and not required_by_law
    if is_contact and person.do_not_contact:
        return Decision(False, _("the person asked not to be contacted (P01)"))
    if is_contact and person.organization_id and person.organization.do_not_contact:
        return Decision(False, _("the person's organisation asked not to be contacted (P01)"))
    subject = consent_subject or use
    latest = person.consents.filter(subject=subject).order_by("-created_at", "-id").first()
    if inventory.use(use).legal_basis == "consent":
        if latest is None or not latest.granted:
            return Decision(False, _("no consent to “%(use)s” (P11, P17)") % {"use": use})
        if not declared_in(latest.policy_version, use):
            return Decision(
                False, _("“%(use)s” was not declared when consent was given (P23)") % {"use": use}
            )
        return Decision(
            True, _("consented under policy version %(number)s") % {"number": latest.policy_version}
        )
    if latest is not None and not latest.granted:
        return Decision(False, _("the person withdrew “%(use)s”") % {"use": use})
    if not declared_in(person.policy_version, use):
        newer_consent = latest is not None and latest.granted
        if not newer_consent:
            return Decision(
                False,
                _(
                    "“%(use)s” was not declared in policy version %(number)s, under which the "
                    "data was collected, and the person has not agreed to it since (P23)"
                )
                % {"use": use, "number": person.policy_version},
            )
    return Decision(True, _("legal basis: %(basis)s") % {"basis": inventory.use(use).legal_basis})


# Why ``audience`` left a person out: stable codes (a campaign stores them; pages translate).
DO_NOT_CONTACT = "do_not_contact"
ORGANIZATION_DO_NOT_CONTACT = "organization_do_not_contact"
NO_CONSENT = "no_consent"
WITHDRAWN = "withdrawn"
NOT_DECLARED = "not_declared"  # P23: the policy version in question did not declare the use
USE_UNDECLARED = "use_undeclared"  # the use itself is not in the inventory in force


def versions_declaring(use: str) -> set[int]:
    """The numbers of the published policy versions that declared ``use`` (a handful of rows)."""
    return {
        number
        for number, inventory in PolicyVersion.objects.values_list("number", "inventory")
        if use in ((inventory or {}).get("uses") or {})
    }


def audience(
    people: QuerySet, mailing: Mailing, consent_subject: str = ""
) -> tuple[list[int], dict[str, int]]:
    """``may`` for a whole list at once: the ids of the ``people`` that ``mailing`` may reach,
    and how many were left out per reason (the codes above, only those above zero).

    Set-based, for lists of 100,000: one query for the people with their organisation's flag,
    one for their consents on the subject, one for the policy versions; person by person it
    answers exactly as ``may(person, mailing.use, required_by_law=..., consent_subject=...)``
    (``people/tests/test_gate_bulk.py`` holds it to that).
    """
    inventory = current_inventory()
    rows = list(
        people.order_by().values_list(
            "pk", "do_not_contact", "organization__do_not_contact", "policy_version"
        )
    )
    excluded: dict[str, int] = {}

    def leave_out(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    use = mailing.use
    if use not in inventory.uses:
        return [], {USE_UNDECLARED: len(rows)} if rows else {}
    if mailing.required_by_law:
        return [row[0] for row in rows], {}
    is_contact = use in CONTACT_USES or use.startswith("marketing.")
    by_consent = inventory.use(use).legal_basis == "consent"
    subject = consent_subject or use
    # The latest word per person: rows in order, each later one replacing the earlier.
    latest: dict[int, tuple[bool, int | None]] = {}
    consents = (
        Consent.objects.filter(subject=subject, person__in=people.order_by().values("pk"))
        .order_by("person_id", "created_at", "id")
        .values_list("person_id", "granted", "policy_version")
    )
    for person_id, granted, version in consents.iterator(chunk_size=5000):
        latest[person_id] = (granted, version)
    declaring = versions_declaring(use)
    published = set(PolicyVersion.objects.values_list("number", flat=True))

    def declared(number: int | None) -> bool:  # declared_in, without a query per person
        return number is None or number not in published or number in declaring

    allowed = []
    for person_id, do_not_contact, organization_do_not_contact, person_version in rows:
        if is_contact and do_not_contact:
            leave_out(DO_NOT_CONTACT)
            continue
        if is_contact and organization_do_not_contact:
            leave_out(ORGANIZATION_DO_NOT_CONTACT)
            continue
        word = latest.get(person_id)
        if by_consent:
            if word is None:
                leave_out(NO_CONSENT)
            elif not word[0]:
                leave_out(WITHDRAWN)
            elif not declared(word[1]):
                leave_out(NOT_DECLARED)
            else:
                allowed.append(person_id)
            continue
        if word is not None and not word[0]:
            leave_out(WITHDRAWN)
        elif not declared(person_version) and word is None:
            leave_out(NOT_DECLARED)
        else:
            allowed.append(person_id)
    return allowed, excluded
