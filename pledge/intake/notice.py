"""The notice at collection (P12, P25): what a form collects, why, who receives it, how long.

Who receives it is decided from the inventory, field by field: a declared processor or affiliate
is named on a form only if some field of the form is of a category the recipient is declared to
receive (or lies under one) and is collected for a purpose the recipient is declared to serve.
So a CV, collected only to consider the application, never names the agencies that receive
contact details for sales, while the demo request, collected partly for sales, does.
"""

from dataclasses import dataclass

from django.utils.translation import gettext

from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection, Inventory, Recipient
from pledge.inventory.services import policy_in_force
from pledge.inventory.taxonomy import within


@dataclass(frozen=True)
class NoticeRecipient:
    """A recipient as a form's notice names it."""

    name: object  # LocalizedText: read in the page's language
    function: object
    affiliate: bool  # an affiliate receives nothing without its own box ticked (PIPL Art. 23)
    abroad: bool  # processed outside the organisation's country: its own box too (Art. 39)
    # The form's purposes, needing a consent the sending of the form does not give, that are
    # the recipient's only reason to receive it: nothing goes without their box ticked.
    only_with: str  # names of those uses, in the page's language; empty when it serves the
    # request itself

    @property
    def needs_consent(self) -> bool:
        return self.affiliate or self.abroad or bool(self.only_with)


@dataclass(frozen=True)
class Notice:
    fields: list  # (label, required) pairs, in the form's order
    purposes: list  # names of the data uses, in the page's language when printed
    recipients: list  # NoticeRecipient: processors that receive some of this form's fields
    affiliates: list  # NoticeRecipient: affiliates that may, with the visitor's separate consent
    longest_retention_days: int
    policy_version: object  # PolicyVersion or None
    submission_text: str  # the sentence kept as the proof of consent when the form is sent


def recipient_uses(recipient: Recipient, collection: Collection) -> tuple[str, ...]:
    """The form's purposes for which ``recipient`` receives one of its fields: a field of a
    category it is declared to receive, collected for a purpose it is declared to serve."""
    uses = []
    for declared in collection.field_list:
        if not within(declared.category, recipient.categories):
            continue
        uses += [use for use in declared.purposes if use in recipient.purposes]
    return tuple(dict.fromkeys(uses))


def notice_recipient(
    recipient: Recipient, uses: tuple[str, ...], *, affiliate: bool, collection, inventory
) -> NoticeRecipient:
    """How the notice names a recipient serving ``uses`` of the form."""
    consented_by_sending = set(collection.request_purposes)
    unasked = [
        use
        for use in uses
        if use not in consented_by_sending
        and use in inventory.uses
        and inventory.use(use).legal_basis == "consent"
    ]
    only_with = (
        gettext("; ").join(str(inventory.use(use).name) for use in unasked)
        if unasked == list(uses)
        else ""
    )
    return NoticeRecipient(
        name=recipient.name,
        function=recipient.function,
        affiliate=affiliate,
        abroad=recipient.country != inventory.organization.country,
        only_with=only_with,
    )


def collection_recipients(
    collection: Collection, inventory: Inventory
) -> tuple[list[NoticeRecipient], list[NoticeRecipient]]:
    """(processors, affiliates) that receive some of what ``collection`` collects."""
    found: dict[bool, list[NoticeRecipient]] = {False: [], True: []}
    for affiliate, recipients in ((False, inventory.processors), (True, inventory.affiliates)):
        for recipient in recipients.values():
            uses = recipient_uses(recipient, collection)
            if uses:
                found[affiliate].append(
                    notice_recipient(
                        recipient,
                        uses,
                        affiliate=affiliate,
                        collection=collection,
                        inventory=inventory,
                    )
                )
    return found[False], found[True]


def collection_notice(collection: Collection) -> Notice:
    from django.utils.translation import get_language

    from pledge.intake.services import submission_notice_text

    inventory = current_inventory()
    version = policy_in_force()
    purposes = [inventory.use(use).name for use in collection.purposes if use in inventory.uses]
    processors, affiliates = collection_recipients(collection, inventory)
    return Notice(
        fields=[(declared.label, declared.required) for declared in collection.field_list],
        purposes=purposes,
        recipients=processors,
        affiliates=affiliates,
        longest_retention_days=max(
            (declared.retention_days for declared in collection.field_list), default=0
        ),
        policy_version=version,
        submission_text=submission_notice_text(
            get_language(), version.number if version else None, collection
        ),
    )
