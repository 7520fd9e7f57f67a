"""The disclosure log: personal data that leaves the organisation, and only as the inventory allows it.

- A share with a declared processor (P12) or affiliate (P14) is a CSV holding only the columns
  the recipient's declared categories allow, of the people the gate lets it receive
  (``gate.share_audience``: the purpose gate for one of its declared purposes, the P14 opt-out,
  the separate consents to another handler and to a recipient abroad, and P23: for data
  collected under an earlier version, the recipient and each category must have been declared
  then too). A person whose version allowed fewer of the file's columns gets those cells empty
  rather than being left out: what both versions allow still reaches the recipient, and
  nothing more. Every person in the file gets a ``Disclosure`` row naming the categories their
  row holds, one ``batch`` per file.
- Anything else leaves only on a legal basis (law, court order, rights, safety, liability:
  P12, P16), with the document it answers, one person at a time. "Sale" is not a basis.

Both need ``export_people`` (the privacy officer); the log needs ``view_disclosures``.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pledge.cases.models import LEGAL_BASES, Disclosure, DisclosureBasis
from pledge.cases.providers import recipient_named
from pledge.csvfiles import csv_text
from pledge.inventory.labels import category_name
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Recipient
from pledge.people import gate
from pledge.people.assessments import recipient_assessments_require
from pledge.people.models import Person
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


# Why a share left people out: the gate's codes (stored in the audit entry) as people read them.
LEFT_OUT_LABELS = {
    gate.OPTED_OUT: gettext_lazy("opted out of sharing with affiliates"),
    gate.RECIPIENT_NOT_DECLARED: gettext_lazy(
        "collected under a policy version that did not name this recipient"
    ),
    gate.NO_CATEGORIES: gettext_lazy(
        "collected under a policy version that allowed none of the file's columns for this "
        "recipient"
    ),
    gate.NO_SHARE_CONSENT: gettext_lazy("no separate consent to sharing with this affiliate"),
    gate.NO_ABROAD_CONSENT: gettext_lazy("no separate consent to this recipient abroad"),
    gate.PURPOSE_REFUSED: gettext_lazy("their data may not be used for the recipient's purposes"),
    gate.RECIPIENT_UNDECLARED: gettext_lazy("the recipient is no longer declared"),
}
# Chunks of people read for a file (a query per chunk, never per person).
READ_CHUNK = 2000


@dataclass
class Share:
    """A file for a recipient: which columns, for whom (and which of the columns for each, P23),
    and who was left out and why (``left_out``: the gate's codes and their counts)."""

    key: str
    recipient: Recipient
    basis: str
    categories: list[str]
    people: list[Person]
    person_categories: dict[int, tuple[str, ...]]
    left_out: dict[str, int]

    @property
    def columns(self) -> list[str]:
        return [COLUMNS[category][0] for category in self.categories]

    @property
    def opted_out(self) -> int:
        return self.left_out.get(gate.OPTED_OUT, 0)

    @property
    def not_allowed(self) -> int:
        """Left out for any reason other than the P14 opt-out."""
        return sum(self.left_out.values()) - self.opted_out

    def left_out_labels(self) -> dict[str, int]:
        """Who was left out, by reason as the reader reads it (the active language)."""
        return {
            str(LEFT_OUT_LABELS.get(code, code)): count
            for code, count in self.left_out.items()
            if count
        }

    def summary(self) -> str:
        """One sentence for the page and the command: how many, which columns, who was left
        out and why, in the active language."""
        sentence = ngettext(
            "%(count)s person, columns %(columns)s.",
            "%(count)s people, columns %(columns)s.",
            len(self.people),
        ) % {"count": len(self.people), "columns": ", ".join(self.columns)}
        reasons = self.left_out_labels()
        if reasons:
            sentence += " " + _("Left out: %(reasons)s.") % {
                "reasons": _("; ").join(f"{label}: {count}" for label, count in reasons.items())
            }
        return sentence

    def categories_of(self, person: Person) -> list[str]:
        """The file's categories this person's row holds: those declared for the recipient
        both now and in the policy version their data is held under (P23)."""
        allowed = self.person_categories.get(person.pk, ())
        return [category for category in self.categories if category in allowed]

    def csv(self) -> str:
        records = []
        for person in self.people:
            held = self.categories_of(person)
            records.append(
                {
                    COLUMNS[category][0]: COLUMNS[category][1](person) if category in held else ""
                    for category in self.categories
                }
            )
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
    recipient_assessments_require(kind=basis, key=key, actor=actor)  # PIPL Art. 55
    categories = [category for category in recipient.categories if category in COLUMNS]
    if not categories:
        raise ValidationError(
            _("None of the categories declared for “%(key)s” is a column Pledge can export.")
            % {"key": key}
        )
    people = Person.objects.select_related("organization").order_by("id")
    allowed, left_out = gate.share_audience(people, key)
    chosen = {
        pk: held
        for pk, held in sorted(allowed.items())
        if any(category in held for category in categories)
    }
    if len(chosen) < len(allowed):  # P23: nothing of the file was declared for it then
        left_out[gate.NO_CATEGORIES] = left_out.get(gate.NO_CATEGORIES, 0) + (
            len(allowed) - len(chosen)
        )
    ids = list(chosen)
    held_people = []
    for start in range(0, len(ids), READ_CHUNK):
        held_people += list(people.filter(pk__in=ids[start : start + READ_CHUNK]))
    return Share(
        key=key,
        recipient=recipient,
        basis=basis,
        categories=categories,
        people=held_people,
        person_categories=chosen,
        left_out=left_out,
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
                categories=share.categories_of(person),
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
                "left_out": share.left_out,
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


LOG_FIELDS = (
    "public_id",
    "person",
    "recipient",
    "recipient_name",
    "basis",
    "categories",
    "actor_label",
    "created_at",
)


def disclosures_log(*, actor, limit: int = 200) -> list[Disclosure]:
    """The latest disclosures, newest first, for the privacy officer; each with ``shown_to``,
    the recipient as the policy names it, and ``categories_named``, its categories'
    names."""
    access_require(actor, "view_disclosures")
    # The log links each person by public id: their encrypted values are not read (decrypting
    # three per row cost more than the page), nor the reference it does not show.
    latest = list(
        Disclosure.objects.select_related("person")
        .only(*LOG_FIELDS, "person__public_id")
        .order_by("-created_at", "-id")[:limit]
    )
    inventory = current_inventory()  # once: reading it checks the site's files
    declared = inventory.processors | inventory.affiliates
    for disclosure in latest:
        disclosure.shown_to = recipient_named(disclosure, declared=declared)
        disclosure.categories_named = [
            category_name(key, inventory=inventory) for key in disclosure.categories
        ]
    return latest
