"""What a case can be about: the rights the inventory declares, plus ``other``.

The inventory (``[rights.requests.<key>]``) names each right, its channels and its deadline;
cases take their kinds and due dates from it, so the policy's table and the queue agree.
"""

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from pledge.inventory.loader import current_inventory
from pledge.people.models import OptOutKind

ACCESS = "access"
COPY = "copy"
CORRECTION = "correction"
DELETION = "deletion"
WITHDRAW_CONSENT = "withdraw_consent"
COMPLAINT = "complaint"
OTHER = "other"


def case_kinds() -> list[tuple[str, str]]:
    """(key, name) of every kind a case can have, in the inventory's order, then ``other``."""
    rights = current_inventory().rights.requests
    return [(key, str(right.name)) for key, right in rights.items()] + [(OTHER, str(_("Other")))]


def kind_name(kind: str) -> str:
    rights = current_inventory().rights.requests
    return str(rights[kind].name) if kind in rights else str(_("Other"))


# For emails: named in the reader's language when the message is rendered, not the sender's.
kind_name_lazy = lazy(kind_name, str)


def deadline_days(kind: str) -> int:
    """Days to answer, from the inventory: the right's own deadline, or the default."""
    rights = current_inventory().rights
    return rights.deadline_for(kind) if kind in rights.requests else rights.deadline_days


def opt_out_right(kind: str) -> str:
    """The inventory's right behind an opt-out kind (P01, P14, P15)."""
    inventory = current_inventory()
    if kind == OptOutKind.AFFILIATE_SHARING:
        rights = [a.opt_out_right for a in inventory.affiliates.values() if a.opt_out_right]
        return rights[0] if rights else OTHER
    if kind == OptOutKind.ORGANIZATION_IDENTIFICATION:
        return inventory.organization_identification.opt_out_right
    return "do_not_contact" if "do_not_contact" in inventory.rights.requests else OTHER


def opt_out_scopes(kind: str) -> tuple[str, ...]:
    """Who an opt-out may cover: the person, and the organisation where the right says so."""
    right = current_inventory().rights.requests.get(opt_out_right(kind))
    return right.scopes if right is not None else ("person",)


def opt_out_kinds() -> list[str]:
    """The opt-outs this site offers: do not contact always; the others when the site shares
    with affiliates or identifies organisations."""
    inventory = current_inventory()
    kinds = [OptOutKind.DO_NOT_CONTACT.value]
    if any(affiliate.opt_out_right for affiliate in inventory.affiliates.values()):
        kinds.append(OptOutKind.AFFILIATE_SHARING.value)
    if inventory.organization_identification.enabled:
        kinds.append(OptOutKind.ORGANIZATION_IDENTIFICATION.value)
    return kinds
