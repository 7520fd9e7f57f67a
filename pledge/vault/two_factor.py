"""Staff two-factor authentication: TOTP enrolment, recovery codes, verification (A1, A2).

django-otp keeps the devices; this module holds the rules around them: an account enrols one
authenticator, confirms it with a code, and receives ten single-use recovery codes, shown once.
Codes are throttled by django-otp (each failure doubles the wait before the next code is
checked); ``code_wait_seconds`` says how long, so the page can say so instead of "wrong code".
"""

import json
import math
import time
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledge.vault.access import access_require
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.keys import current_ring

RECOVERY_CODES = 10
# The fresh recovery codes wait in the session, encrypted, for one download: until it, the
# next console page, or this many seconds, whichever comes first.
RECOVERY_CODES_SESSION_KEY = "pledge_recovery_codes"
RECOVERY_CODES_HELD_SECONDS = 10 * 60


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment(user) -> TOTPDevice:
    """The account's unconfirmed authenticator, created on first call and kept until confirmed.

    Keeping it means a reload of the enrolment page shows the same QR code, so a code from an
    app that already scanned it still works.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_key(device: TOTPDevice) -> str:
    """The key to type into an app that cannot scan, in blocks of four (``ABCD EFGH ...``):
    the base32 secret of the QR code, spaces being ignored by every authenticator app."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_wait_seconds(device) -> int:
    """Seconds before ``device`` checks a code again after failures (0: it checks now).

    django-otp refuses a code unchecked while ``verify_is_allowed()`` says so, with the
    ``locked_until`` instant; the page tells the staff member to wait that long, rounded up.
    """
    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


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


@dataclass(frozen=True)
class Verification:
    """What a code typed at login did: the device that accepted it, or else how many seconds
    a throttled device asks to wait before it checks a code again (0: the code was wrong)."""

    device: object | None = None
    wait_seconds: int = 0


def second_factor_verify(*, user, token: str) -> Verification:
    """Try ``token`` on the account's authenticator, then its recovery codes.

    TOTP codes are single-use and throttled by django-otp (a code at or before the last one
    accepted is refused; each failure doubles the wait); a recovery code is deleted once used.
    A device that is throttled does not check the code at all: then the answer carries the
    wait, since "wrong code" would be untrue.
    """
    token = token.strip().replace(" ", "")
    waits = []
    for device in list(TOTPDevice.objects.filter(user=user, confirmed=True)) + list(
        StaticDevice.objects.filter(user=user, confirmed=True)
    ):
        waits.append(code_wait_seconds(device) if code_fits(device, token) else 0)
        if device.verify_token(token):
            audit_record(
                actor=Actor.staff(user),
                action="staff.2fa_verified",
                target=user,
                details={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"},
            )
            return Verification(device=device)
    wait = max(waits, default=0)
    audit_record(
        actor=Actor.staff(user),
        action="staff.2fa_failed",
        target=user,
        details={"throttled": True} if wait else {},
    )
    return Verification(wait_seconds=wait)


def code_fits(device, token: str) -> bool:
    """Whether ``token`` has the shape of ``device``'s codes: an authenticator's digits, or a
    recovery code (letters and digits). A throttled device only matters for its own codes."""
    if isinstance(device, TOTPDevice):
        return token.isdigit() and len(token) == device.digits
    return not token.isdigit()


def recovery_codes_hold(session, *, user, codes: list[str]) -> None:
    """Keep just-made recovery codes for their one download (``recovery_codes_take``),
    encrypted under the key ring and bound to the account, never in clear in the session."""
    session[RECOVERY_CODES_SESSION_KEY] = {
        "user": user.pk,
        "until": int(time.time()) + RECOVERY_CODES_HELD_SECONDS,
        "codes": current_ring().encrypt(json.dumps(codes), context=recovery_context(user)),
    }


def recovery_codes_take(session, *, user) -> list[str] | None:
    """The account's codes held for download, taken out of the session (one download), or
    None when they were taken, expired, or belong to another account."""
    held = session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if not held or held.get("user") != user.pk or held.get("until", 0) < time.time():
        return None
    return json.loads(current_ring().decrypt(held["codes"], context=recovery_context(user)))


def recovery_codes_forget(session) -> None:
    """Drop codes held for download (any console page after the one that showed them)."""
    if RECOVERY_CODES_SESSION_KEY in session:
        del session[RECOVERY_CODES_SESSION_KEY]


def recovery_context(user) -> str:
    return f"vault.recovery_codes.{user.pk}"


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
