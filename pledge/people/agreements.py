"""Agreeing to a policy version that protects data collected earlier less (P23).

A material change that reduces the protection of data already held applies to the people
concerned only once they agree. ``protection_reduced(older, newer)`` is the one function that
decides what reduces protection, comparing two versions' declarations, and says it in words
people understand (declared names, the reader's language). The policy notice links the page
where a person agrees (``agreement_needed``); ``policy_agreement`` is what that page shows and
``policy_agree`` records it, as a ``policy:<number>`` consent with the exact words shown, after
which ``versions.person_version`` gives that version for them.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from pledge.inventory.text import LocalizedText
from pledge.inventory.vocabulary import LEGAL_BASIS_NAMES
from pledge.people.models import Consent, ConsentMethod, Person
from pledge.people.services import consent_record
from pledge.people.versions import (
    RECIPIENT_TABLES,
    person_version,
    policy_subject,
    recipient_abroad,
    recipient_declared,
    retention_periods,
    use_basis,
    version_inventories,
)


@dataclass(frozen=True)
class Reduction:
    """One way a newer version protects data collected under an older one less."""

    # "legal_basis", "use", "recipient", "category", "purpose", "abroad" or "retention"
    dimension: str
    key: str  # the declaration it is about (a use, a recipient, a retention period)
    words: str  # what it means for the person, in the language it was asked in


def _name(value, fallback: str = "") -> str:
    """A declared name in the active language (``{ zh-hans = ..., en = ... }`` as parsed)."""
    if isinstance(value, Mapping):
        return LocalizedText(value).get(translation.get_language() or settings.LANGUAGE_CODE)
    return str(value) if value else fallback


def _use_name(declarations: Mapping, use: str) -> str:
    return _name(((declarations.get("uses") or {}).get(use) or {}).get("name"), use)


def _names(declarations: Mapping, table: str, keys) -> str:
    declared = declarations.get(table) or {}
    # Translators: what separates the items of a list in a sentence ("、" in Chinese).
    separator = _(", ")
    return separator.join(_name((declared.get(key) or {}).get("name"), key) for key in keys)


def _period_name(declarations: Mapping, name: str) -> str:
    parts = name.split(".")
    if parts[0] in ("forms", "channels") and len(parts) == 4:
        form = (declarations.get(parts[0]) or {}).get(parts[1]) or {}
        field = (form.get("fields") or {}).get(parts[3]) or {}
        return _("“%(field)s” of “%(form)s”") % {
            "field": _name(field.get("label"), parts[3]),
            "form": _name(form.get("name"), parts[1]),
        }
    if name == "request_log":
        return _("the technical log of visits to the site")
    entry = (declarations.get("retention") or {}).get(parts[-1]) or {}
    for label in ("name", "records", "label"):
        if isinstance(entry.get(label), Mapping):
            return _name(entry[label])
    return _("one kind of record we keep")


def protection_reduced(older: Mapping | None, newer: Mapping | None) -> list[Reduction]:
    """Every way the ``newer`` declarations protect data collected under the ``older`` ones less
    (empty if none, or if either is None: no promise to compare), worded in the active language:

    - a use the older declared on consent now rests on a basis that does not ask for it;
    - a use the older did not declare, on a basis that does not ask for consent;
    - a recipient the older did not declare; for one it did, a data category or a purpose it
      did not declare for that recipient, or a transfer abroad where it was in the country;
    - a longer retention period for what the older declared.
    """
    if older is None or newer is None:
        return []
    found: list[Reduction] = []
    old_uses, new_uses = older.get("uses") or {}, newer.get("uses") or {}
    for use, declared in new_uses.items():
        basis = declared.get("legal_basis") or ""
        if basis == "consent":
            continue
        if use not in old_uses:
            found.append(
                Reduction(
                    "use",
                    use,
                    _("Your data could be used for a new purpose, “%(use)s”, without asking you.")
                    % {"use": _use_name(newer, use)},
                )
            )
        elif use_basis(older, use) == "consent":
            found.append(
                Reduction(
                    "legal_basis",
                    use,
                    _(
                        "“%(use)s” would no longer ask for your consent; its legal basis would "
                        "be: %(basis)s."
                    )
                    % {
                        "use": _use_name(newer, use),
                        "basis": LEGAL_BASIS_NAMES.get(basis, basis),
                    },
                )
            )
    for table in RECIPIENT_TABLES:
        for key, declared in (newer.get(table) or {}).items():
            name = _name(declared.get("name"), key)
            earlier = recipient_declared(older, key)
            if earlier is None:
                found.append(
                    Reduction(
                        "recipient",
                        key,
                        _("Your data could be shared with a new recipient: %(recipient)s.")
                        % {"recipient": name},
                    )
                )
                continue
            before = earlier[1]
            categories = [
                category
                for category in declared.get("categories") or ()
                if category not in (before.get("categories") or ())
            ]
            if categories:
                found.append(
                    Reduction(
                        "category",
                        key,
                        _("%(recipient)s could also receive: %(categories)s.")
                        % {
                            "recipient": name,
                            "categories": _names(newer, "data_categories", categories),
                        },
                    )
                )
            purposes = [
                use
                for use in declared.get("purposes") or ()
                if use not in (before.get("purposes") or ())
            ]
            if purposes:
                found.append(
                    Reduction(
                        "purpose",
                        key,
                        _("%(recipient)s could also use your data for: %(purposes)s.")
                        % {"recipient": name, "purposes": _names(newer, "uses", purposes)},
                    )
                )
            if recipient_abroad(newer, key) and not recipient_abroad(older, key):
                found.append(
                    Reduction(
                        "abroad",
                        key,
                        _("%(recipient)s would receive your data and process it abroad.")
                        % {"recipient": name},
                    )
                )
    old_periods = retention_periods(older)
    for name, days in retention_periods(newer).items():
        if name in old_periods and days > old_periods[name]:
            found.append(
                Reduction(
                    "retention",
                    name,
                    _("%(what)s would be kept %(new)s days instead of %(old)s.")
                    % {"what": _period_name(newer, name), "new": days, "old": old_periods[name]},
                )
            )
    return found


# --- Agreeing to a version that protects less (P23) ------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """What a person is asked before version ``number`` applies to data collected under
    ``held_under``: the changes that protect it less, and the words they agree with."""

    number: int
    held_under: int
    language: str
    intro: str
    changes: tuple[str, ...]
    statement: str

    @property
    def text(self) -> str:
        """The exact words shown, as recorded with the consent (P17)."""
        lines = [self.intro, *(f"- {change}" for change in self.changes), self.statement]
        return "\n".join(lines)


def policy_agreement(person: Person, number: int, language: str) -> Agreement | None:
    """What ``person`` would agree to by accepting version ``number``, in ``language``; None if
    there is nothing to agree to: no such version, their data already held under it or a later
    one, or nothing in it that protects their data less."""
    held_under = person_version(person)
    if held_under is None or held_under >= number:
        return None
    found = version_inventories([held_under, number])
    if number not in found or held_under not in found:
        return None
    with translation.override(language):
        changes = protection_reduced(found[held_under], found[number])
        if not changes:
            return None
        return Agreement(
            number=number,
            held_under=held_under,
            language=language,
            intro=_(
                "We hold your data under version %(old)s of our privacy policy. Version "
                "%(new)s would protect it less in these ways:"
            )
            % {"old": held_under, "new": number},
            changes=tuple(change.words for change in changes),
            statement=_(
                "I agree that version %(new)s of the privacy policy applies to my data, with "
                "these changes."
            )
            % {"new": number},
        )


def agreement_needed(person: Person, number: int) -> bool:
    """Whether version ``number`` protects ``person``'s data less than the version it is held
    under, so that it applies to them only if they agree (the notice then links the page)."""
    return policy_agreement(person, number, settings.LANGUAGE_CODE) is not None


def policy_agree(*, person: Person, number: int, language: str, actor) -> Consent | None:
    """Record that ``person`` agrees to version ``number`` (a ``policy:<number>`` consent with
    the exact words shown, in ``language``): from then on the gate treats their data as held
    under it (P23). None, and nothing recorded, when there is nothing to agree to."""
    agreement = policy_agreement(person, number, language)
    if agreement is None:
        return None
    return consent_record(
        person=person,
        subject=policy_subject(number),
        granted=True,
        text=agreement.text,
        language=language,
        method=ConsentMethod.DOUBLE_OPT_IN,
        actor=actor,
        policy_version=number,
    )
