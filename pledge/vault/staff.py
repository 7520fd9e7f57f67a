"""Staff accounts: created with roles and a one-time password, changed, deactivated."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pledge.vault.access import ROLE_PERMISSIONS, access_require
from pledge.vault.audit import audit_record


def check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - set(ROLE_PERMISSIONS))
    if unknown:
        raise ValidationError(
            _("Unknown role: %(roles)s. Choose from: %(known)s.")
            % {"roles": ", ".join(unknown), "known": ", ".join(ROLE_PERMISSIONS)}
        )


def staff_create(*, username: str, email: str, roles: list[str], actor):
    """A new staff account with ``roles`` and a temporary password, returned once.

    The account must enrol an authenticator at its first login before the console opens.
    """
    access_require(actor, "manage_staff")  # outside the transaction: a refusal stays audited
    check_roles(roles)
    users = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError(_("Enter a username."))
    if users.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("A staff account named %(name)s exists already.") % {"name": username}
        )
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user = users.objects.create_user(
            username=username, email=email.strip(), password=password, is_staff=True
        )
        user.groups.set(Group.objects.filter(name__in=roles))
        audit_record(
            actor=actor, action="staff.created", target=user, details={"roles": sorted(roles)}
        )
    return user, password


def staff_update(*, user, roles: list[str], active: bool, actor) -> None:
    """Give ``user`` exactly ``roles`` and set whether the account may log in.

    Deactivating ends the account's sessions at their next request (A6).
    """
    access_require(actor, "manage_staff", target=user)
    check_roles(roles)
    if user.pk == actor.user_id and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    with transaction.atomic():
        user.groups.set(Group.objects.filter(name__in=roles))
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="staff.updated",
            target=user,
            details={"roles": sorted(roles), "active": active},
        )


def staff_list(*, actor):
    access_require(actor, "manage_staff")
    return (
        get_user_model()
        .objects.filter(is_staff=True)
        .prefetch_related("groups")
        .order_by("username")
    )
