"""Organisation identification (P15): which organisations' networks visited the site.

Anonymous data identifies an organisation, never a person. The request log keeps each visit's
network truncated (the inventory's ``request_log.ip_mode = "truncated"``, a /24 for IPv4), and
an organisation whose declared public networks contain that network is counted as a visitor.
A declared network narrower than the kept one cannot be told apart from its neighbours, so it
matches nothing. An organisation that opted out is never identified (P15); the contacts counted
for the others leave out whoever opted out of identification or may not be contacted for the
declared purposes (the purpose gate: do-not-contact, consent, P23). Nothing is listed while
identification has no current impact assessment (PIPL Art. 55, ``pledge.people.assessments``).
"""

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from pledge.dates import site_days_start, site_zone
from pledge.inventory.loader import current_inventory
from pledge.inventory.processings import ORGANISATION_IDENTIFICATION
from pledge.people.assessments import assessment_require
from pledge.people.gate import may
from pledge.people.models import OptOut, OptOutKind, Organization
from pledge.people.optouts import opted_out, standing
from pledge.tracking.models import RequestLogEntry
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record

IDENTIFICATION = OptOutKind.ORGANIZATION_IDENTIFICATION


@dataclass
class Identified:
    """One organisation seen in the request log of the period."""

    organization: Organization
    requests: int = 0
    last_seen: datetime | None = None
    networks: set[str] = field(default_factory=set)
    days: int = 0
    pages: list[tuple[str, int]] = field(default_factory=list)
    contacts: int = 0


def networks_parse(text: str) -> list[str]:
    """Networks written one per line or separated by commas or spaces, normalised."""
    parsed = set()
    for value in text.replace(",", " ").split():
        try:
            parsed.add(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a network: write it as 203.0.113.0/24 or 2001:db8::/32.")
                % {"value": value[:60]}
            ) from None
    return sorted(parsed)


def organization_networks_set(*, organization: Organization, networks: str, actor) -> list[str]:
    """Declare an organisation's public networks (from public registries); audited."""
    access_require(actor, "view_person", target=organization)
    parsed = networks_parse(networks)
    with transaction.atomic():
        organization.networks = parsed
        organization.save(update_fields=["networks"])
        audit_record(
            actor=actor,
            action="organization.networks_set",
            target=organization,
            details={"networks": len(parsed)},
        )
    return parsed


def identification_unavailable() -> str:
    """Why identification cannot run as the inventory declares it, or ""."""
    inventory = current_inventory()
    if not inventory.organization_identification.enabled:
        return _("The inventory switches organisation identification off.")
    if "declared_ip_ranges" not in inventory.organization_identification.methods:
        return _("The inventory does not declare identification by IP ranges.")
    if inventory.request_log.ip_mode != "truncated":
        return _("The request log keeps no network to match: its ip_mode is not “truncated”.")
    return ""


def organizations_identified(*, actor, days: int = 30) -> list[Identified]:
    """The organisations whose networks visited in the last ``days`` days, busiest first."""
    access_require(actor, "view_aggregates")
    if identification_unavailable():
        return []
    # PIPL Art. 55: refused (AssessmentRequired, saying why) without a current assessment.
    assessment_require(ORGANISATION_IDENTIFICATION, actor=actor)
    opted = standing(OptOut.objects.filter(organization=OuterRef("pk"), kind=IDENTIFICATION))
    declared = [
        (organization, [ipaddress.ip_network(n) for n in organization.networks])
        for organization in Organization.objects.exclude(networks=[]).exclude(Exists(opted))
    ]
    since = site_days_start(days)
    visits = RequestLogEntry.objects.filter(at__gte=since, is_bot=False).exclude(ip_address="")
    seen: dict[int, Identified] = {}
    for row in visits.values("ip_address").annotate(requests=Count("id"), last=Max("at")):
        try:
            network = ipaddress.ip_network(row["ip_address"])
        except ValueError:  # a hashed or encrypted address, from another ip_mode
            continue
        for organization, networks in declared:
            if any(network.version == own.version and network.subnet_of(own) for own in networks):
                found = seen.setdefault(organization.pk, Identified(organization))
                found.requests += row["requests"]
                found.last_seen = max(filter(None, (found.last_seen, row["last"])))
                found.networks.add(row["ip_address"])
    purposes = current_inventory().organization_identification.purposes
    for found in seen.values():
        theirs = visits.filter(ip_address__in=found.networks)
        found.days = (
            theirs.annotate(day=TruncDate("at", tzinfo=site_zone()))
            .order_by()
            .values("day")
            .distinct()
            .count()
        )
        found.pages = list(
            theirs.values_list("path").annotate(n=Count("id")).order_by("-n", "path")[:5]
        )
        found.contacts = sum(
            1
            for person in found.organization.people.all()
            if not opted_out(person, IDENTIFICATION) and any(may(person, u) for u in purposes)
        )
    return sorted(seen.values(), key=lambda found: (-found.requests, found.organization.name))
