"""The processings that need a personal information protection impact assessment (PIPL Art. 55).

Derived from the inventory in force, here and nowhere else, so the policy (which lists them,
``rendering.py``) and the assessments that must exist before each one runs
(``pledge.people.assessments``) read the same list. Art. 55 asks for one before:

- providing personal information to another handler or entrusting its processing: each declared
  affiliate (``affiliate:<key>``, P14) and each declared processor (``processor:<key>``, P12);
- providing it abroad: any recipient whose ``country`` is not the organisation's
  (``abroad:<key>``, Art. 38-40), in addition to the sharing itself;
- automated decision-making (``automated_decision:<key>``): Pledge makes none and the inventory
  declares none, but the kind is named so the list of what Art. 55 covers is complete;
- processing with a major effect on people: identifying visitors' organisations from their
  networks (``organisation_identification``, P15), when the inventory enables it.

Each processing has a stable key and a fingerprint of what it was declared as (the recipient's
purposes, categories and country; identification's methods, purposes and categories): an
assessment made under another fingerprint no longer covers it.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy, override

from pledge.inventory.schema import Inventory, Recipient
from pledge.inventory.text import LocalizedText, site_languages

AFFILIATE = "affiliate"
PROCESSOR = "processor"
ABROAD = "abroad"
ORGANISATION_IDENTIFICATION = "organisation_identification"
AUTOMATED_DECISION = "automated_decision"

# Every kind of processing Art. 55 covers that this site can declare, as staff read it.
KIND_NAMES = {
    AFFILIATE: gettext_lazy("Sharing with an affiliate"),
    PROCESSOR: gettext_lazy("Entrusting a processor"),
    ABROAD: gettext_lazy("Transfer abroad"),
    ORGANISATION_IDENTIFICATION: gettext_lazy("Organisation identification"),
    AUTOMATED_DECISION: gettext_lazy("Automated decision-making"),
}


@dataclass(frozen=True, eq=False)
class Processing:
    """One processing that needs an impact assessment before it runs."""

    key: str  # "affiliate:group", "processor:lead_generation", "organisation_identification"
    kind: str  # one of KIND_NAMES
    recipient: LocalizedText | None = None  # who receives the data, if anyone
    declaration: dict = field(default_factory=dict)  # what the fingerprint covers

    @property
    def name(self) -> str:
        """What the processing is, in the active language."""
        if self.kind == AFFILIATE:
            return gettext("Sharing with %(recipient)s") % {"recipient": self.recipient}
        if self.kind == PROCESSOR:
            return gettext("Entrusting processing to %(recipient)s") % {"recipient": self.recipient}
        if self.kind == ABROAD:
            return gettext("Transfer abroad to %(recipient)s") % {"recipient": self.recipient}
        if self.kind == ORGANISATION_IDENTIFICATION:
            return gettext("Identifying visitors' organisations from their networks")
        return str(KIND_NAMES[self.kind])

    def names(self) -> dict[str, str]:
        """The name in every language of the site (kept with an assessment, so a processing
        that has ended can still be named)."""
        names = {}
        for language in site_languages():
            with override(language):
                names[language] = self.name
        return names

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the declaration: it changes when what was assessed changes."""
        canonical = json.dumps(
            self.declaration, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def __str__(self) -> str:
        return self.name


def recipient_declaration(recipient: Recipient) -> dict:
    return {
        "purposes": sorted(recipient.purposes),
        "categories": sorted(recipient.categories),
        "country": recipient.country,
    }


def is_abroad(inventory: Inventory, recipient: Recipient) -> bool:
    return recipient.country.upper() != inventory.organization.country.upper()


def processings_needing_assessment(inventory: Inventory) -> tuple[Processing, ...]:
    """Every processing the inventory declares that needs an impact assessment, in the order
    the console and the policy list them."""
    found = []
    abroad = []
    for kind, recipients in ((AFFILIATE, inventory.affiliates), (PROCESSOR, inventory.processors)):
        for key, recipient in recipients.items():
            declaration = recipient_declaration(recipient)
            found.append(Processing(f"{kind}:{key}", kind, recipient.name, declaration))
            if is_abroad(inventory, recipient):
                abroad.append(Processing(f"{ABROAD}:{key}", ABROAD, recipient.name, declaration))
    identification = inventory.organization_identification
    if identification.enabled:
        found.append(
            Processing(
                ORGANISATION_IDENTIFICATION,
                ORGANISATION_IDENTIFICATION,
                declaration={
                    "methods": sorted(identification.methods),
                    "purposes": sorted(identification.purposes),
                    "categories": sorted(identification.categories),
                },
            )
        )
    # Automated decisions: none can be declared (Pledge makes none), so none is listed.
    return (*found, *abroad)


def recipient_processing_keys(inventory: Inventory, *, kind: str, key: str) -> tuple[str, ...]:
    """The processings a share with the declared recipient ``key`` runs: its own sharing and,
    for a recipient abroad, the transfer abroad. ``kind`` is "affiliate" or "processor"."""
    kind = AFFILIATE if kind == AFFILIATE else PROCESSOR
    recipient = (inventory.affiliates if kind == AFFILIATE else inventory.processors)[key]
    keys = (f"{kind}:{key}",)
    if is_abroad(inventory, recipient):
        keys += (f"{ABROAD}:{key}",)
    return keys
