"""The notice at collection (P12, P25): what a form collects, why, who receives it, how long."""

from dataclasses import dataclass

from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection
from pledge.inventory.services import policy_in_force


@dataclass(frozen=True)
class Notice:
    fields: list  # (label, required) pairs, in the form's order
    purposes: list  # names of the data uses, in the page's language when printed
    recipients: list  # processors that may receive any of this form's categories
    longest_retention_days: int
    policy_version: object  # PolicyVersion or None
    submission_text: str  # the sentence kept as the proof of consent when the form is sent


def collection_notice(collection: Collection) -> Notice:
    from django.utils.translation import get_language

    from pledge.intake.services import submission_notice_text

    inventory = current_inventory()
    version = policy_in_force()
    categories = {declared.category for declared in collection.field_list}
    purposes = [inventory.use(use).name for use in collection.purposes if use in inventory.uses]
    recipients = [
        processor
        for processor in inventory.processors.values()
        if categories & set(processor.categories)
    ]
    return Notice(
        fields=[(declared.label, declared.required) for declared in collection.field_list],
        purposes=purposes,
        recipients=recipients,
        longest_retention_days=max(
            (declared.retention_days for declared in collection.field_list), default=0
        ),
        policy_version=version,
        submission_text=submission_notice_text(
            get_language(), version.number if version else None, collection
        ),
    )
