"""What a valid inventory leaves empty that the law asks the policy to say: warnings, not errors.

The site starts without them (a deployer may not know them yet, and Pledge must not invent
them), but ``pledge inventory check`` says which is missing and why the law asks for it:

- W001: the legal entity's registered name (``[organisation].legal_name``): PIPL Art. 17 asks
  the notice to name the personal information handler;
- W002: its postal address (``postal_address``): Art. 17 asks for the handler's contact
  details, and written requests and complaints need somewhere to go;
- W003: the personal information protection officer's contact
  (``[organisation.protection_officer].contact``): Art. 52 asks a handler processing personal
  information in the quantities the regulator sets to appoint one and publish how to reach them.
"""

from pledge.inventory.problems import Problem
from pledge.inventory.schema import Inventory

WARNINGS = {
    "W001": "the legal entity's name is not declared",
    "W002": "the postal address is not declared",
    "W003": "the personal information protection officer's contact is not declared",
}


def inventory_gaps(inventory: Inventory) -> list[Problem]:
    """One warning per empty declaration the policy needs (its code is a W, not an E)."""
    organization = inventory.organization
    gaps = []
    if organization.legal_name is None:
        gaps.append(
            Problem(
                "W001",
                "organisation",
                "the legal entity's registered name is empty, so the policy cannot say who is "
                "responsible for the personal information (PIPL Art. 17).",
                'add legal_name = { zh-hans = "…", en = "…" } under [organisation], as the '
                "business licence writes it.",
            )
        )
    if organization.postal_address is None:
        gaps.append(
            Problem(
                "W002",
                "organisation",
                "the postal address is empty, so the policy gives no address for written "
                "requests and complaints (PIPL Art. 17: the handler's contact details).",
                'add postal_address = { zh-hans = "…", en = "…" } under [organisation].',
            )
        )
    if organization.protection_officer is None:
        gaps.append(
            Problem(
                "W003",
                "organisation",
                "no personal information protection officer's contact is declared, so the "
                "policy cannot say how to reach them (PIPL Art. 52: a handler processing "
                "personal information in the quantities the regulator sets appoints one and "
                "publishes their contact).",
                "add [organisation.protection_officer] with contact = "
                '"officer@example.com" and, if you wish, name = { zh-hans = "…", en = "…" }.',
            )
        )
    return gaps
