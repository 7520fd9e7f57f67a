"""The disclosure log: personal data that leaves the organisation, and only as the inventory allows it.

- A share with a declared processor (P12) or affiliate (P14) is a CSV holding only the columns
  the recipient's declared categories allow, of the people the purpose gate lets it use for one
  of its declared purposes; people who opted out of affiliate sharing are never in an
  affiliate's file. Every person in the file gets a ``Disclosure`` row, one ``batch`` per file.
- Anything else leaves only on a legal basis (law, court order, rights, safety, liability:
  P12, P16), with the document it answers, one person at a time. "Sale" is not a basis.

Both need ``export_people`` (the privacy officer); the log needs ``view_disclosures``.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pledge.cases.models import LEGAL_BASES, Disclosure, DisclosureBasis
from pledge.cases.providers import recipient_named
from pledge.csvfiles import csv_text
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Recipient
from pledge.people.gate import may
from pledge.people.models import OptOutKind, Person
from pledge.people.optouts import people_not_opted_out
from pledge.people.values import phone_valid
from pledge.vault.access import access_require
from pledge.vault.audit import actor_label, audit_record

# What a category puts in a share's file: the column and how a person's value is read.
COLUMNS = {
    "user.name": ("name", lambda person: person.name),
    "user.contact.email": ("email", lambda person: person.email),
    "user.contact.phone_number": ("phone", lambda person: person.phone),
    "user.workplace": (
        "organisation",
        lambda person: person.organization.name if person.organization_id else "",
    ),
}
# The phone column keeps a phone number's leading + (pledge.csvfiles); any other cell that a
# spreadsheet would run, a name like =HYPERLINK(...) among them, starts with a quote.
TYPED_COLUMNS = {"phone": phone_valid}


@dataclass
class Share:
    """A file for a recipient: which columns, for whom, and who was left out and why."""

    key: str
    recipient: Recipient
    basis: str
    categories: list[str]
    people: list[Person]
    opted_out: int
    not_allowed: int

    @property
    def columns(self) -> list[str]:
        return [COLUMNS[category][0] for category in self.categories]

    def csv(self) -> str:
        records = [
            {COLUMNS[category][0]: COLUMNS[category][1](person) for category in self.categories}
            for person in self.people
        ]
        return csv_text(records, columns=self.columns, typed=TYPED_COLUMNS)


def recipients() -> list[tuple[str, Recipient, str]]:
    """Every declared recipient: its key, declaration and basis (processor or affiliate)."""
    inventory = current_inventory()
    return [(key, r, DisclosureBasis.PROCESSOR) for key, r in inventory.processors.items()] + [
        (key, r, DisclosureBasis.AFFILIATE) for key, r in inventory.affiliates.items()
    ]


def share_plan(*, key: str, actor) -> Share:
    """Who and what a share with the recipient ``key`` would hold; nothing is logged yet."""
    access_require(actor, "export_people")
    found = {k: (recipient, basis) for k, recipient, basis in recipients()}
    if key not in found:
        raise ValidationError(
            _("No processor or affiliate is declared as “%(key)s”. Declared: %(keys)s.")
            % {"key": key, "keys": ", ".join(sorted(found))}
        )
    recipient, basis = found[key]
    categories = [category for category in recipient.categories if category in COLUMNS]
    if not categories:
        raise ValidationError(
            _("None of the categories declared for “%(key)s” is a column Pledge can export.")
            % {"key": key}
        )
    people = Person.objects.select_related("organization").order_by("id")
    everyone = people.count()
    if basis == DisclosureBasis.AFFILIATE:
        people = people_not_opted_out(people, OptOutKind.AFFILIATE_SHARING)
    candidates = list(people)
    allowed = [p for p in candidates if any(may(p, use) for use in recipient.purposes)]
    return Share(
        key=key,
        recipient=recipient,
        basis=basis,
        categories=categories,
        people=allowed,
        opted_out=everyone - len(candidates),
        not_allowed=len(candidates) - len(allowed),
    )


def share_export(*, key: str, actor) -> Share:
    """Make the file for the recipient ``key`` and log a disclosure for each person in it."""
    share = share_plan(key=key, actor=actor)
    batch = uuid.uuid4()
    label = actor_label(actor)
    with transaction.atomic():
        Disclosure.objects.bulk_create(
            Disclosure(
                person=person,
                recipient=key,
                basis=share.basis,
                categories=share.categories,
                reference=share.recipient.contract,
                batch=batch,
                actor_label=label,
            )
            for person in share.people
        )
        audit_record(
            actor=actor,
            action="disclosure.shared",
            object_type="disclosure_batch",
            object_id=str(batch),
            details={
                "recipient": key,
                "people": len(share.people),
                "categories": share.categories,
                "opted_out": share.opted_out,
            },
        )
    return share


def disclosure_record(
    *,
    person: Person,
    recipient_name: str,
    basis: str,
    categories: list[str],
    reference: str,
    actor,
) -> Disclosure:
    """A disclosure to someone not declared as a recipient: only on a legal basis, naming the
    document it answers (P12, P16)."""
    access_require(actor, "export_people", target=person)
    if basis not in LEGAL_BASES:
        raise ValidationError(
            _("Outside the declared processors and affiliates, data leaves only on a legal basis.")
        )
    if not reference.strip() or not recipient_name.strip():
        raise ValidationError(
            _("Name who received the data and the order or request it answers (P16).")
        )
    declared = current_inventory().data_categories
    unknown = [category for category in categories if category not in declared]
    if not categories or unknown:
        raise ValidationError(
            _("Choose the categories disclosed from those the inventory declares.")
        )
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            person=person,
            recipient="authority",
            recipient_name=recipient_name.strip(),
            basis=basis,
            categories=sorted(categories),
            reference=reference.strip(),
            actor_label=actor_label(actor),
        )
        audit_record(
            actor=actor,
            action="disclosure.recorded",
            target=disclosure,
            details={"basis": basis, "categories": sorted(categories)},
        )
    return disclosure


def disclosures_log(*, actor, limit: int = 200) -> list[Disclosure]:
    """The latest disclosures, newest first, for the privacy officer; each with ``shown_to``,
    the recipient as the policy names it."""
    access_require(actor, "view_disclosures")
    latest = list(
        Disclosure.objects.select_related("person").order_by("-created_at", "-id")[:limit]
    )
    for disclosure in latest:
        disclosure.shown_to = recipient_named(disclosure)
    return latest
