"""The shared part of the inventory's rules: reporting a problem, fideslang keys, purposes."""

from pledge.inventory.problems import Problem
from pledge.inventory.schema import Inventory
from pledge.inventory.taxonomy import closest, default_keys, replacement

# P12: "we do not sell, trade or rent personal data": no purpose may say so.
FORBIDDEN_USE_WORDS = {"sale", "sell", "selling", "sold", "trade", "trading", "rent", "rental"}


class BaseRules:
    """Collects problems while walking the inventory once; the checks every rule uses."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.problems: list[Problem] = []
        self.default_categories = default_keys("data_category")
        self.default_uses = default_keys("data_use")
        self.default_subjects = default_keys("data_subject")

    def add(self, code, entry, message, fix, attribute=""):
        self.problems.append(Problem(code, entry, message, fix, attribute=attribute))

    # --- Taxonomy -------------------------------------------------------------------------

    def check_declared_keys(self):
        self._check_tree(
            "data_categories",
            self.inventory.data_categories,
            self.default_categories,
            "data_category",
            code="E010",
            noun="data category",
        )
        self._check_tree(
            "uses", self.inventory.uses, self.default_uses, "data_use", code="E011", noun="data use"
        )
        for key in self.inventory.uses:
            self.check_not_sale(f'uses."{key}"', key, attribute="")

    def _check_tree(self, table, declared, defaults, kind, *, code, noun):
        for key, entry in declared.items():
            name = f'{table}."{key}"'
            if entry.extension:
                parent = key.rpartition(".")[0]
                if key in defaults:
                    self.add(
                        "E013",
                        name,
                        f"'{key}' is already a fideslang {noun}, not an extension.",
                        "remove `extension = true`.",
                        "extension",
                    )
                elif not parent or (parent not in defaults and parent not in declared):
                    self.add(
                        "E013",
                        name,
                        f"the extension '{key}' has no parent: '{parent or key}' is neither a "
                        f"fideslang {noun} nor declared here.",
                        f"name it under an existing {noun}, "
                        f"e.g. 'user.behavior.{key.split('.')[-1]}'.",
                    )
                continue
            replaced_by = replacement(kind, key)
            if replaced_by is not None:
                self.add(
                    code,
                    name,
                    f"'{key}' is a deprecated fideslang {noun}.",
                    f"use '{replaced_by}' instead." if replaced_by else "choose a current one.",
                )
            elif key not in defaults:
                self.add(code, name, *self._unknown(key, defaults, noun))

    def _unknown(self, key, defaults, noun):
        guess = closest(key, defaults)
        hint = f"did you mean '{guess}'? " if guess else ""
        return (
            f"'{key}' is not a fideslang {noun}.",
            f"{hint}Use a key from https://ethyca.github.io/fideslang/, or declare a new one "
            "with `extension = true` under an existing parent.",
        )

    def check_not_sale(self, entry, use, attribute="purposes"):
        if FORBIDDEN_USE_WORDS & set(use.lower().split(".")):
            self.add(
                "E015",
                entry,
                f"the purpose '{use}' would sell, trade or rent personal data, which this "
                "policy promises never to do (P12).",
                "remove it; share data only with declared processors or affiliates.",
                attribute,
            )
            return False
        return True

    def check_uses(self, entry, uses, attribute="purposes"):
        if not uses:
            self.add(
                "E020",
                entry,
                "it has no purpose: nothing may be collected without one (P04).",
                'add `purposes = ["..."]` with the data uses it serves, e.g. ["sales"], each '
                "declared under [uses].",
                attribute,
            )
        for use in uses:
            if not self.check_not_sale(entry, use, attribute):
                continue
            if use in self.inventory.uses:
                continue
            if use in self.default_uses:
                self.add(
                    "E014",
                    entry,
                    f"the purpose '{use}' is not declared under [uses], so it has no legal basis "
                    "and no name in the policy.",
                    f'add a table [uses."{use}"] with its name and legal_basis.',
                    attribute,
                )
            else:
                self.add(
                    "E011", entry, *self._unknown(use, self.default_uses, "data use"), attribute
                )

    def check_category(self, entry, category, attribute="category"):
        if category in self.inventory.data_categories:
            return
        if category in self.default_categories:
            self.add(
                "E016",
                entry,
                f"the data category '{category}' is not declared under [data_categories], so "
                "the policy cannot name it.",
                f'add a table [data_categories."{category}"] with its name in every language.',
                attribute,
            )
        else:
            self.add(
                "E010",
                entry,
                *self._unknown(category, self.default_categories, "data category"),
                attribute,
            )

    def check_positive(self, entry, value, attribute, what):
        if value is not None and value <= 0:
            self.add(
                "E021",
                entry,
                f"{attribute} is {value}: {what} must be a whole number above 0.",
                f"set {attribute} to how long it really is, e.g. {attribute} = 30.",
                attribute,
            )
