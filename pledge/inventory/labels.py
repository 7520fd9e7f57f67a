"""The words for every code the inventory declares, in the active language: the one place the
console, the portal, the emails and the timeline turn a stored key into what a person reads.

A form is stored as ``demo``, a purpose as ``essential.service.operations.support``, an answer
as ``["weekday_morning"]``; staff and visitors read "Book a free demo", the purpose's declared
name and "Weekday mornings (9:00-12:00)". Each function answers in the active language
(``translation.override`` for another reader) and falls back to the code itself only for a key
the inventory does not declare (an older version's), so nothing is ever hidden.
"""

from django.conf import settings
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.inventory.vocabulary import LEGAL_BASIS_TERMS

LANGUAGE_NAMES = {
    "zh-hans": gettext_lazy("Chinese (Simplified)"),
    "en": gettext_lazy("English"),
}


def words_join(items) -> str:
    """A list read as words in the active language: 、 between Chinese items, ", " in English."""
    separator = "、" if (get_language() or settings.LANGUAGE_CODE).startswith("zh") else ", "
    return separator.join(str(item) for item in items if str(item))


def language_name(code: str) -> str:
    """``zh-hans`` as "简体中文" to a Chinese reader, "Chinese (Simplified)" to an English one."""
    return str(LANGUAGE_NAMES.get((code or "").lower(), code or "—"))


def basis_name(key: str) -> str:
    """A legal basis (``legitimate_interests``) by the law's short name, for staff."""
    return str(LEGAL_BASIS_TERMS.get(key, key))


def source_name(key: str) -> str:
    """Where imported data comes from: a declared other source's name (``third_parties``)."""
    source = current_inventory().other_sources.get(key)
    return str(source.name) if source is not None else key


def form_name(key: str) -> str:
    """A form's (or another collection point's) declared title."""
    inventory = current_inventory()
    if key in inventory.forms:
        return str(inventory.form(key).name)
    channels = getattr(inventory, "channels", {}) or {}
    if key in channels:
        return str(channels[key].name)
    return key


def use_name(key: str) -> str:
    """A purpose (a fideslang data use) as the policy names it."""
    inventory = current_inventory()
    return str(inventory.use(key).name) if key in inventory.uses else key


def category_name(key: str, *, inventory=None) -> str:
    """A data category as the policy names it (``inventory``: the one in force, when the caller
    names many)."""
    inventory = inventory or current_inventory()
    return str(inventory.category(key).name) if key in inventory.data_categories else key


def subject_name(subject: str) -> str:
    """What a consent is to: a mailing list's or a use's declared name, a sharing with an
    affiliate, a recipient abroad, a sensitive category, a policy version; else its key."""
    inventory = current_inventory()
    if subject.startswith("list:") and subject[5:] in inventory.mailing_lists:
        return str(inventory.mailing_list(subject[5:]).name)
    if subject in inventory.uses:
        return str(inventory.use(subject).name)
    # The separate consents of the forms' boxes (PIPL Art. 23, 29, 39).
    kind, _colon, key = subject.partition(":")
    recipient = inventory.affiliates.get(key) if kind == "share" else None
    if recipient is not None:
        return _("Sharing with %(recipient)s") % {"recipient": recipient.name}
    if kind == "abroad":
        recipient = inventory.processors.get(key) or inventory.affiliates.get(key)
        if recipient is not None:
            return _("Sending to %(recipient)s, abroad") % {"recipient": recipient.name}
    if kind == "sensitive" and key in inventory.data_categories:
        return _("Sensitive information: %(category)s") % {"category": inventory.category(key).name}
    if kind == "policy" and key.isdigit():
        return _("Version %(number)s of the privacy policy, for the data held about you") % {
            "number": int(key)
        }
    return subject


def field_label(form_key: str, field_key: str) -> str:
    """A form field's declared label; a key no version of the form declares reads as words."""
    form = current_inventory().forms.get(form_key)
    if form is not None and field_key in form.fields:
        return str(form.field(field_key).label)
    return field_key.replace("_", " ").capitalize()


def answer_text(form_key: str, field_key: str, value) -> str:
    """One stored answer as words: a choice's label, a list joined, a box as Yes/No."""
    form = current_inventory().forms.get(form_key)
    declared = form.fields.get(field_key) if form is not None else None
    choices = {choice.value: str(choice.label) for choice in declared.choices} if declared else {}
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return words_join(choices.get(str(item), str(item)) for item in value) or "—"
    if isinstance(value, dict):
        return words_join(f"{key}: {item}" for key, item in value.items()) or "—"
    return choices.get(str(value), str(value))


def answers_shown(form_key: str, answers: dict) -> list[tuple[str, str]]:
    """A submission's answers as (label, words), in the order the form asks them."""
    form = current_inventory().forms.get(form_key)
    order = list(form.fields) if form is not None else []
    keys = sorted(answers, key=lambda key: (order.index(key) if key in order else len(order), key))
    return [(field_label(form_key, key), answer_text(form_key, key, answers[key])) for key in keys]


def answers_line(form_key: str, answers: dict) -> str:
    """The answers on one line ("Label: words; ..."), for a timeline or an export."""
    separator = "；" if (get_language() or settings.LANGUAGE_CODE).startswith("zh") else "; "
    colon = "：" if (get_language() or settings.LANGUAGE_CODE).startswith("zh") else ": "
    return separator.join(
        f"{label}{colon}{text}" for label, text in answers_shown(form_key, answers)
    )
