"""The console's words for stored codes, as template filters: each calls the one place that
names its code (the inventory's ``labels``, mail's ``kinds``, the vault's ``actions``), so a
template never prints a key."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from pledge.cases import kinds
from pledge.inventory import labels
from pledge.mail.kinds import message_kind_name
from pledge.vault.actions import action_name, target_name

register = template.Library()

# The console page that opens an audited record, by model label.
TARGET_PAGES = {
    "people.Person": "console:person",
    "people.Organization": "console:organization",
    "meetings.Lead": "console:lead",
    "cases.Case": "console:case",
    "mail.Message": "console:outbox_message",
    "mail.Campaign": "console:campaign",
    "inbox.InboundMessage": "console:inbox_message",
    "intake.ImportBatch": "console:import_batch",
}


@register.filter
def form_name(key: str) -> str:
    return labels.form_name(key)


@register.filter
def language_name(code: str) -> str:
    return labels.language_name(code)


@register.filter
def basis_name(key: str) -> str:
    return labels.basis_name(key)


@register.filter
def source_name(key: str) -> str:
    return labels.source_name(key)


@register.filter
def use_name(key: str) -> str:
    return labels.use_name(key)


@register.filter
def category_name(key: str) -> str:
    return labels.category_name(key)


@register.filter
def subject_name(key: str) -> str:
    return labels.subject_name(key)


@register.filter
def words(items) -> str:
    """A list joined as words in the active language."""
    return labels.words_join(items or []) or "—"


@register.filter
def mail_kind(kind: str) -> str:
    return message_kind_name(kind)


@register.filter
def audit_action(action: str) -> str:
    return action_name(action)


@register.filter
def audit_target(object_type: str) -> str:
    return target_name(object_type) if object_type else "—"


@register.simple_tag
def audit_target_url(object_type: str, object_id: str) -> str:
    """The console page of an audited record, or "" when it has none."""
    name = TARGET_PAGES.get(object_type)
    if not (name and object_id):
        return ""
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return ""


@register.filter
def audit_actor(label: str) -> str:
    """Who acted, in words: ``staff:alice``, ``system:leads.assign``, ``visitor:form``."""
    kind, _colon, name = (label or "").partition(":")
    spaced = name.replace(".", " ").replace("_", " ")
    if kind == "staff":
        return _("Staff: %(name)s") % {"name": name}
    if kind == "system":
        return _("System task: %(job)s") % {"job": spaced}
    if kind == "visitor":
        return _("A visitor: %(action)s") % {"action": spaced}
    if kind in ("person", "guardian"):
        return (
            _("The person, by their emailed link")
            if kind == "person"
            else _("A guardian, by their emailed link")
        )
    return label or "—"


@register.filter
def case_kind(kind: str) -> str:
    return kinds.kind_name(kind)


@register.filter
def category_names(keys) -> str:
    """Data categories as their declared names, joined as words."""
    return labels.words_join(labels.category_name(key) for key in keys or []) or "—"
