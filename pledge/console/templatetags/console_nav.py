"""The console's navigation: four groups of links, each shown only with a link the reader may use.

One table says which page belongs to which group and which permission shows its link (the
same tests the links had one by one: the pages themselves check again), so the row of group
menus in ``console/base.html`` stays one line at 1366 px whatever a role can reach. A page's
own sub-pages (a lead, a case) mark their group as the current one.
"""

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    # Any one of these permissions shows the link (an empty tuple: every staff member).
    permissions: tuple[str, ...]
    # Pages reached from this one that count as it for "you are here".
    also: tuple[str, ...] = ()


GROUPS = (
    (
        "sales",
        _("Sales"),
        (
            Link("leads", _("Leads"), ("work_own_leads", "view_all_leads"), ("lead",)),
            Link("expert", _("My availability"), ("work_own_leads",)),
            Link("experts", _("Experts"), ("view_all_leads",), ("expert_edit",)),
        ),
    ),
    (
        "privacy",
        _("Privacy"),
        (
            Link("people", _("People"), ("view_person",), ("person",)),
            Link("organizations", _("Organisations"), ("view_person",), ("organization",)),
            Link("consents", _("Consents"), ("view_person",)),
            Link("cases", _("Cases"), ("manage_cases",), ("case", "case_new", "case_export")),
            Link("notices", _("Notices"), ("manage_cases",), ("notice",)),
            Link("disclosures", _("Disclosures"), ("view_disclosures",)),
            Link("assessments", _("Impact assessments"), ("manage_assessments",), ("assessment",)),
        ),
    ),
    (
        "site",
        _("Site"),
        (
            Link("aggregates", _("Site usage"), ("view_aggregates",)),
            Link("identified", _("Organisations visiting"), ("view_aggregates",)),
            Link("forms", _("Forms"), ("view_aggregates",)),
            Link(
                "campaigns",
                _("Campaigns"),
                ("manage_lists",),
                ("campaign", "campaign_new", "campaign_preview"),
            ),
        ),
    ),
    (
        "admin",
        _("Admin"),
        (
            Link("inbox", _("Inbox"), ("read_mailbox", "manage_cases"), ("inbox_message",)),
            Link("outbox", _("Outbox"), ("read_mailbox",), ("outbox_message",)),
            Link("import", _("Import"), ("import_people",), ("import_batch",)),
            Link("staff", _("Staff"), ("manage_staff",), ("staff_new", "staff_edit")),
            Link("audit", _("Audit log"), ("view_audit_log",)),
        ),
    ),
)


def link_allowed(user, link: Link) -> bool:
    return not link.permissions or any(user.has_perm(f"vault.{p}") for p in link.permissions)


@register.simple_tag(takes_context=True)
def console_nav(context) -> list[dict]:
    """The groups the signed-in staff member has a link in, each with its links and whether it
    holds the page being shown."""
    request = context.get("request")
    user = context.get("user")
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match and match.namespace == "console" else ""
    groups = []
    for key, label, links in GROUPS:
        shown = [
            {
                "url": reverse(f"console:{link.url_name}"),
                "label": link.label,
                "current": here in (link.url_name, *link.also),
            }
            for link in links
            if link_allowed(user, link)
        ]
        if shown:
            groups.append(
                {
                    "key": key,
                    "label": label,
                    "links": shown,
                    "current": any(item["current"] for item in shown),
                }
            )
    return groups
