"""Staff roles with least privilege, and the one check every service makes (P22).

A role is a Django group holding exactly the permissions listed here; ``roles_sync`` (run after
every migrate) makes the groups match this table, so a role is changed in code review, not by
hand. Services call ``access_require(actor, "view_person")`` before they act: a view that
forgets its own check still cannot reach data through the service.
"""

import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

log = logging.getLogger(__name__)

APP = "vault"


class Role:
    ADMINISTRATOR = "administrator"
    PRIVACY_OFFICER = "privacy_officer"
    SALES_EXPERT = "sales_expert"
    MARKETING = "marketing"
    SUPPORT = "support"


# What each role may do; nothing else. The administrator runs the console and the staff, but
# reads no individual's data without also holding the privacy officer's role.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.ADMINISTRATOR: {
        "manage_staff",
        "view_all_leads",
        "view_aggregates",
        "view_audit_log",
        "import_people",
        "manage_assessments",  # about processings, not people (PIPL Art. 55)
    },
    Role.PRIVACY_OFFICER: {
        "view_person",
        "manage_cases",
        "view_disclosures",
        "view_audit_log",
        "export_people",
        "manage_assessments",
    },
    Role.SALES_EXPERT: {"work_own_leads"},
    Role.MARKETING: {"view_aggregates", "manage_lists"},
    Role.SUPPORT: {"read_feedback", "read_mailbox"},
}

ROLE_NAMES = {
    Role.ADMINISTRATOR: _("Administrator"),
    Role.PRIVACY_OFFICER: _("Privacy officer"),
    Role.SALES_EXPERT: _("Sales expert"),
    Role.MARKETING: _("Marketing"),
    Role.SUPPORT: _("Support"),
}


def roles_sync(**kwargs) -> None:
    """Make each role's group hold exactly its permissions (idempotent; runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    permissions = {
        permission.codename: permission
        for permission in Permission.objects.filter(content_type__app_label=APP)
    }
    if not permissions:  # the vault's migrations have not run yet
        return
    with transaction.atomic():
        for role, codenames in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role)
            # A permission a later migration adds is given once that migration has run.
            group.permissions.set(
                [permissions[codename] for codename in codenames if codename in permissions]
            )


def has_access(actor, permission: str) -> bool:
    """The system may do anything; a staff member what their roles hold; nobody else anything.

    Commands and tasks run on the server act as ``Actor.system(job)``: whoever can run them
    already holds the machine. Anything that is not an ``Actor`` holds nothing.
    """
    if not isinstance(actor, Actor) or not (actor.is_system or actor.is_staff):
        return False
    if actor.is_system:
        return True
    user = actor.user
    return bool(user.is_active and user.is_staff and user.has_perm(f"{APP}.{permission}"))


def access_require(actor, permission: str, *, target=None) -> None:
    """Refuse (PermissionDenied) unless ``actor`` holds ``permission``; refusals are audited (Z5).

    Call it before opening the service's transaction, or the refusal's entry rolls back with it.
    """
    if has_access(actor, permission):
        return
    refuse(actor, permission, target=target)


def refuse(actor, permission: str, *, target=None) -> None:
    actor = Actor.unknown(actor)
    log.warning("refused %s to %s", permission, actor.label)
    audit_record(
        actor=actor,
        action="access.refused",
        target=target,
        details={"permission": permission},
    )
    raise PermissionDenied(permission)


def roles_of(user) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLE_PERMISSIONS).values_list("name", flat=True))


# --- The console's network allow-list: the policy's "firewall" (P22) ------------------------


def console_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(network, strict=False) for network in settings.PLEDGE_CONSOLE_NETWORKS
    ]


def network_allowed(ip: str) -> bool:
    """True when no allow-list is set, or the address is inside one of its networks."""
    networks = console_networks()
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the proxy's view of it when one is trusted (I9).

    Behind ``PLEDGE_PROXY_COUNT`` trusted proxies, the address is the entry that many places
    from the right of X-Forwarded-For; anything further left was written by the client and is
    ignored, so a forged header changes neither rate-limit keys nor logged addresses.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PLEDGE_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
