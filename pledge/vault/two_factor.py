"""Staff two-factor authentication: TOTP enrolment, recovery codes, verification (A1, A2).

django-otp keeps the devices; this module holds the rules around them: an account enrols one
authenticator, confirms it with a code, and receives ten single-use recovery codes, shown once.
"""

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledge.vault.access import access_require
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

RECOVERY_CODES = 10


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment(user) -> TOTPDevice:
    """The account's unconfirmed authenticator, created on first call and kept until confirmed.

    Keeping it means a reload of the enrolment page shows the same QR code, so a code from an
    app that already scanned it still works.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG markup (no image request, no inline script)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR")


@transaction.atomic
def totp_enrol_confirm(*, user, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; returns fresh recovery codes.

    Returns None when the code is wrong (the device stays pending). On success any other
    authenticator of the account is removed, so one account has exactly one.
    """
    device = totp_enrolment(user)
    if not device.verify_token(token.strip()):
        audit_record(actor=Actor.staff(user), action="staff.2fa_enrol_failed", target=user)
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=user)
    audit_record(actor=Actor.staff(user), action="staff.2fa_enrolled", target=user)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Replace the account's recovery codes with ten new single-use ones."""
    static, _ = StaticDevice.objects.get_or_create(user=user, name="recovery", confirmed=True)
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    audit_record(actor=Actor.staff(user), action="staff.recovery_codes_renewed", target=user)
    return codes


def second_factor_verify(*, user, token: str):
    """The device that accepts ``token`` (authenticator code or recovery code), or None.

    TOTP codes are single-use and throttled by django-otp (a code at or before the last one
    accepted is refused; each failure doubles the wait); a recovery code is deleted once used.
    """
    token = token.strip().replace(" ", "")
    for device in list(TOTPDevice.objects.filter(user=user, confirmed=True)) + list(
        StaticDevice.objects.filter(user=user, confirmed=True)
    ):
        if device.verify_token(token):
            audit_record(
                actor=Actor.staff(user),
                action="staff.2fa_verified",
                target=user,
                details={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"},
            )
            return device
    audit_record(actor=Actor.staff(user), action="staff.2fa_failed", target=user)
    return None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def authenticator_reset(*, user, actor) -> None:
    """Remove the account's authenticator and recovery codes; it enrols again at next login.

    A staff member may reset their own (after re-entering the password, A8); resetting
    someone else's (a lost phone) is the administrator's job.
    """
    if actor.user_id != user.pk:
        access_require(actor, "manage_staff", target=user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="staff.2fa_reset", target=user)
