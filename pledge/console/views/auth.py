"""Staff login: password, then a second factor; enrolment of an authenticator on first login."""

from axes.helpers import get_cool_off
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from pledge.console.decorators import console_door, staff_view
from pledge.console.forms import CodeForm, PasswordConfirmForm, StaffLoginForm
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.two_factor import (
    authenticator_reset,
    code_wait_seconds,
    has_second_factor,
    recovery_codes_hold,
    recovery_codes_left,
    recovery_codes_renew,
    recovery_codes_take,
    second_factor_verify,
    totp_enrol_confirm,
    totp_enrolment,
    totp_key,
    totp_qr_svg,
)


def safe_next(request, default="console:home") -> str:
    """Where to go after login: the ``next`` address if it stays on this site (I6)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def with_next(request, step: str) -> str:
    return f"{reverse(step)}?next={safe_next(request)}"


@console_door
def login(request):
    if request.user.is_authenticated and request.user.is_staff:
        if request.user.is_verified():
            return redirect(safe_next(request))
        return redirect(with_next(request, "console:verify"))
    expired = request.session.pop("staff_session_expired", False)
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)  # a new session key (A6)
        audit_record(actor=Actor.staff(user), action="staff.password_accepted", target=user)
        step = "console:verify" if has_second_factor(user) else "console:enrol"
        return redirect(with_next(request, step))
    return render(
        request,
        "console/login.html",
        {"form": form, "next": safe_next(request), "expired": expired},
    )


def locked_out(request, response=None, credentials=None):
    """What django-axes shows when an account is locked at this address after too many
    failures (A5). Only the staff login reaches it: visitors are counted apart."""
    form = StaffLoginForm(request)
    return render(
        request,
        "console/login.html",
        {
            "form": form,
            "next": safe_next(request),
            "locked_out": True,
            "cooloff_minutes": int(get_cool_off(request).total_seconds() // 60),
        },
        status=429,
    )


def pending_staff(request):
    """The password-authenticated staff account waiting for its second factor, if any."""
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return user
    return None


def wait_message(seconds: int) -> str:
    """What a throttled code says: how long to wait, not that the code was wrong."""
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second, then enter the newest code.",
        "Too many wrong codes: wait %(seconds)d seconds, then enter the newest code.",
        seconds,
    ) % {"seconds": seconds}


def recovery_codes_page(request, codes: list[str], next_url: str):
    """The codes, shown once, with a copy button and a download of this moment's codes (held
    encrypted in the session until that download or the next console page)."""
    recovery_codes_hold(request.session, user=request.user, codes=codes)
    return render(request, "console/recovery_codes.html", {"codes": codes, "next": next_url})


def finish_login(request, device):
    otp_login(request, device)
    request.session.cycle_key()  # a new session key once the second factor is in (A6)
    return redirect(safe_next(request))


@console_door
def verify(request):
    user = pending_staff(request)
    if user is None:
        return redirect(with_next(request, "console:login"))
    if not has_second_factor(user):
        return redirect(with_next(request, "console:enrol"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verification = second_factor_verify(user=user, token=form.cleaned_data["otp_token"])
        if verification.device is not None:
            return finish_login(request, verification.device)
        form.add_error(
            "otp_token",
            wait_message(verification.wait_seconds)
            if verification.wait_seconds
            else _("That code is not valid. Codes change every 30 seconds; enter the newest one."),
        )
    return render(request, "console/verify.html", {"form": form, "next": safe_next(request)})


@console_door
def enrol(request):
    user = pending_staff(request)
    if user is None:
        return redirect(with_next(request, "console:login"))
    if has_second_factor(user) and not user.is_verified():
        return redirect(with_next(request, "console:verify"))
    device = totp_enrolment(user)
    form = CodeForm(request.POST or None)
    wait = code_wait_seconds(device) if request.method == "POST" else 0
    if request.method == "POST" and form.is_valid() and wait:
        form.add_error("otp_token", wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        codes = totp_enrol_confirm(user=user, token=form.cleaned_data["otp_token"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.cycle_key()
            return recovery_codes_page(request, codes, safe_next(request))
        form.add_error(
            "otp_token",
            _("That code does not match. Scan the code again and enter the 6 digits it shows."),
        )
    return render(
        request,
        "console/enrol.html",
        {
            "form": form,
            "qr": totp_qr_svg(device),
            "secret": totp_key(device),
            "next": safe_next(request),
        },
    )


@staff_view()
def account(request):
    """The staff member's own security page: recovery codes and authenticator."""
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid():
        if action == "recovery_codes":
            codes = recovery_codes_renew(user=request.user)
            return recovery_codes_page(request, codes, reverse("console:account"))
        if action == "reset_authenticator":
            authenticator_reset(user=request.user, actor=request.actor)
            auth_logout(request)
            return redirect(reverse("console:login"))
    return render(
        request,
        "console/account.html",
        {"form": form, "codes_left": recovery_codes_left(request.user)},
    )


def keeps_recovery_codes(view):
    """Marks the one console view before which ``staff_view`` keeps held recovery codes."""
    view.keeps_recovery_codes = True
    return view


@staff_view()
@keeps_recovery_codes
def recovery_codes_download(request):
    """The recovery codes just shown, as a text file: only in the session that made them,
    once, before any other console page. Afterwards the page says to make new ones."""
    codes = recovery_codes_take(request.session, user=request.user)
    if codes is None:
        return render(request, "console/recovery_codes_gone.html", status=410)
    text = render_to_string(
        "console/recovery_codes.txt", {"codes": codes, "user": request.user}, request=request
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


@require_POST
def logout(request):
    if request.user.is_authenticated:
        audit_record(actor=Actor.staff(request.user), action="staff.logout", target=request.user)
    auth_logout(request)
    return redirect(reverse("console:login"))
