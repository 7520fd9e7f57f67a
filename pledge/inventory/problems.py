"""What can be wrong with an inventory, said so that the person editing it can fix it.

Every problem names the file, the line when it can be found, the entry (a dotted name such as
``forms.demo.fields.email``), what is wrong and the fix. The system check (``checks.py``) and
``pledge inventory check`` print them; ``InventoryError`` carries them out of the loader.
"""

from dataclasses import dataclass
from pathlib import Path

# Each code is one kind of mistake; pledge/inventory/tests/test_validation.py tests each.
CODES = {
    "E001": "the inventory file or its policy folder cannot be read",
    "E002": "the file is not valid TOML",
    "E003": "a required entry is missing",
    "E004": "an entry is not part of the inventory format",
    "E005": "a value has the wrong kind",
    "E006": "a text is missing in one of the site's languages",
    "E010": "an unknown fideslang data category",
    "E011": "an unknown fideslang data use",
    "E012": "an unknown fideslang data subject",
    "E013": "a declared extension is not a valid extension",
    "E014": "a purpose is not declared under [uses]",
    "E015": "a purpose that sells, trades or rents personal data",
    "E016": "a data category is not declared under [data_categories]",
    "E020": "a field with no purpose",
    "E021": "a retention or lifetime that is not above zero",
    "E022": "a cookie whose category does not fit its purpose",
    "E023": "a recipient allowed a category it has no use for",
    "E024": "a consent field declared so that consent would not be free",
    "E025": "a choice field without choices, or with repeated choices",
    "E026": "a file field without file types or size limit",
    "E027": "the age thresholds for minors are incomplete",
    "E028": "a reference to an entry that is not declared",
    "E029": "an entry the site relies on is missing",
    "E030": "a form not linked to a person keeps an identifier with its answers",
    "E031": "a form field without a widget",
    "E032": "a cookie's name or lifetime is declared twice or not at all",
    "E033": "two cookies share a name",
    "E034": "a mailing list whose kind does not fit its purpose",
    "E040": "a policy text is missing for one of the site's languages",
    "E041": "a policy text cannot be rendered",
}


@dataclass(frozen=True)
class Problem:
    """One mistake in the inventory, with where it is and how to fix it."""

    code: str
    entry: str  # dotted name, e.g. "forms.demo.fields.email"; "" for the whole file
    message: str  # what is wrong, in plain words
    fix: str  # what to do about it
    path: Path | None = None
    line: int | None = None
    attribute: str = ""  # the key inside the entry, used to find the line (e.g. "purposes")

    @property
    def location(self) -> str:
        """``sites/gonex/inventory.toml, line 57, forms.demo.fields.email``."""
        parts = []
        if self.path is not None:
            parts.append(display_path(self.path))
        if self.line:
            parts.append(f"line {self.line}")
        if self.entry:
            parts.append(self.entry)
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message} Fix: {self.fix}"


class InventoryError(Exception):
    """The inventory cannot be used; ``problems`` says why, each with its fix."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def display_path(path: Path) -> str:
    """The path relative to the project when it is inside it, else as given."""
    from django.conf import settings

    try:
        return str(Path(path).resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)
