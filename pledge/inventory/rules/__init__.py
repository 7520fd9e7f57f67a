"""The rules that relate the inventory's entries to each other and to fideslang's taxonomy.

``inventory_problems(inventory)`` returns every contradiction it finds, each naming the entry
and the fix; the loader adds the file and line. The shape of each entry (required keys, types)
is checked earlier by the pydantic models in ``schema.py``. The rules live in two modules:
``collection.py`` (what the site collects) and ``sharing.py`` (what happens to it).
"""

from pledge.inventory.problems import Problem
from pledge.inventory.rules.collection import CollectionRules
from pledge.inventory.rules.sharing import SharingRules
from pledge.inventory.schema import Inventory


class Checker(CollectionRules, SharingRules):
    """Every rule, run in one pass."""


def inventory_problems(inventory: Inventory) -> list[Problem]:
    """Every contradiction in ``inventory``; empty when the declarations hold together."""
    checker = Checker(inventory)
    checker.check_organization()
    checker.check_declared_keys()
    checker.check_collections()
    checker.check_cookies()
    checker.check_request_log()
    checker.check_recipients()
    checker.check_sources()
    checker.check_mailing_lists()
    checker.check_rights()
    checker.check_minors()
    checker.check_legal_holds()
    checker.check_retention()
    return checker.problems
