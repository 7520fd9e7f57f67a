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

from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.inventory.models import PolicyVersion
from pledge.people.models import Person

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


def may(person: Person, use: str, *, required_by_law: bool = False) -> Decision:
    """``required_by_law``: a notice the law requires (``MAILINGS``), which do-not-contact
    does not stop."""
    inventory = current_inventory()
    if use not in inventory.uses:
        return Decision(
            False, _("“%(use)s” is not a purpose declared in the inventory") % {"use": use}
        )
    is_contact = (use in CONTACT_USES or use.startswith("marketing.")) and not required_by_law
    if is_contact and person.do_not_contact:
        return Decision(False, _("the person asked not to be contacted (P01)"))
    if is_contact and person.organization_id and person.organization.do_not_contact:
        return Decision(False, _("the person's organisation asked not to be contacted (P01)"))
    latest = person.consents.filter(subject=use).order_by("-created_at", "-id").first()
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
