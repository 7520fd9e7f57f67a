"""The console's words for stored codes, as template filters: each calls the one place that
names its code (the inventory's ``labels``, mail's ``kinds``, the vault's ``actions``), so a template never
prints a key. The site's pages load it too, to join a list as words. A time zone is named by
``zone_label`` and ``zone_at`` of the ``site`` library (inventory), which the emails load."""

from zoneinfo import ZoneInfo

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pledge.cases import kinds
from pledge.dates import zone_label
from pledge.inventory import labels
from pledge.mail.kinds import message_kind_name
from pledge.vault.actions import action_name, actor_name, target_name

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


# A stored code as the name the inventory declares for it: {{ lead.form|form_name }}.
register.filter("form_name", labels.form_name)
register.filter("language_name", labels.language_name)
register.filter("basis_name", labels.basis_name)
register.filter("source_name", labels.source_name)
register.filter("use_name", labels.use_name)
register.filter("category_name", labels.category_name)
register.filter("subject_name", labels.subject_name)


@register.filter
def words(items) -> str:
    """A list joined as words in the active language."""
    return labels.words_join(items or []) or "—"


@register.filter
def start_times(slots, format_string: str) -> list[str]:
    """Each slot's (or meeting's) start in the reader's zone, as ``|date:format_string`` writes
    it: ``{{ slots|start_times:"D m-d H:i"|words }}``."""
    return [date_filter(timezone.localtime(slot.starts_at), format_string) for slot in slots]


@register.filter
def hour_spans(windows) -> list[str]:
    """Weekly hours as "09:00-12:00" (an en dash), one a window:
    ``{{ windows|hour_spans|words }}``."""
    return [f"{window.start:%H:%M}\u2013{window.end:%H:%M}" for window in windows]


@register.filter
def offering_links(cards) -> str:
    """Offering cards (``web.views.offering_cards``) as their links, joined as ``|words``
    joins (which would escape the links)."""
    links = [
        format_html('<a href="{}">{}</a>', card["url"], card["offering"].title) for card in cards
    ]
    return mark_safe(labels.words_join(links))  # noqa: S308 (each link escaped; "、" or ", ")


register.filter("mail_kind", message_kind_name)
register.filter("audit_action", action_name)
register.filter("audit_actor", actor_name)
register.filter("case_kind", kinds.kind_name)


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


@register.simple_tag
def visitor_time(meeting) -> str:
    """When a meeting starts for the visitor, when they chose it in a zone not the reader's:
    "20:00 for the visitor (New York UTC\u221204:00)", with their date when it is not the
    reader's, and their zone's offset on that day."""
    zone = meeting.visitor_timezone
    if not zone or zone == timezone.get_current_timezone_name():
        return ""
    theirs = timezone.localtime(meeting.starts_at, ZoneInfo(zone))
    same_day = theirs.date() == timezone.localtime(meeting.starts_at).date()
    shown = theirs.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return _("%(time)s for the visitor (%(zone)s)") % {
        "time": shown,
        "zone": zone_label(zone, meeting.starts_at),
    }


@register.filter
def category_names(keys) -> str:
    """Data categories as their declared names, joined as words."""
    return labels.words_join(labels.category_name(key) for key in keys or []) or "—"
