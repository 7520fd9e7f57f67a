"""Staff login past a second factor (SECURITY.md A1, A2, A5, A6, A7, H7, I6, I9)."""

import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledge.vault.models import AuditEntry
from pledge.vault.two_factor import totp_enrolment

pytestmark = pytest.mark.clock

PASSWORD = "a long pass phrase for staff"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="lin", password=PASSWORD, is_staff=True)


def code_for(device, offset=0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def log_in_with_password(client, username="lin"):
    return client.post("/en/console/login/", {"username": username, "password": PASSWORD})


def enrol(client, staff):
    log_in_with_password(client)
    client.get("/en/console/login/enrol/")
    device = totp_enrolment(staff)
    response = client.post("/en/console/login/enrol/", {"otp_token": code_for(device)})
    return device, response


def test_first_login_shows_a_qr_code_and_the_key(client, staff):
    log_in_with_password(client)
    page = client.get("/en/console/login/enrol/").content.decode()
    assert "<svg" in page
    device = totp_enrolment(staff)
    secret = page.split('<code class="secret">')[1].split("<")[0].replace(" ", "")
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key


def test_enrolment_with_the_right_code_opens_the_console_and_shows_recovery_codes(client, staff):
    device, response = enrol(client, staff)
    assert response.status_code == 200
    assert response.content.decode().count("<li><code>") == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/en/console/").status_code == 200


def test_enrolment_with_a_wrong_code_explains_and_keeps_the_console_shut(client, staff):
    log_in_with_password(client)
    response = client.post("/en/console/login/enrol/", {"otp_token": "000000"})
    assert "That code does not match" in response.content.decode()
    assert client.get("/en/console/").status_code == 302


def test_next_login_asks_for_a_code_and_accepts_it_once_a2(client, staff):
    device, _ = enrol(client, staff)
    client.post("/en/console/logout/")
    # Same 30-second step: the code just used must not open a second session.
    used = code_for(device)
    response = log_in_with_password(client)
    assert response["Location"].startswith("/en/console/login/verify/")
    response = client.post("/en/console/login/verify/", {"otp_token": used})
    assert "That code is not valid" in response.content.decode()
    assert client.get("/en/console/").status_code == 302


def test_a_code_from_the_next_step_logs_in(client, staff):
    device, _ = enrol(client, staff)
    client.post("/en/console/logout/")
    log_in_with_password(client)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    response = client.post("/en/console/login/verify/", {"otp_token": code_for(device, offset=1)})
    assert response.status_code == 302
    assert client.get("/en/console/").status_code == 200


def test_a_recovery_code_works_once(client, staff):
    _, response = enrol(client, staff)
    recovery = response.content.decode().split("<li><code>")[1].split("<")[0]
    client.post("/en/console/logout/")
    log_in_with_password(client)
    assert client.post("/en/console/login/verify/", {"otp_token": recovery}).status_code == 302
    client.post("/en/console/logout/")
    log_in_with_password(client)
    response = client.post("/en/console/login/verify/", {"otp_token": recovery})
    assert response.status_code == 200 and "That code is not valid" in response.content.decode()


def test_session_key_changes_at_login_and_after_the_second_factor_a6(client, staff):
    client.get("/en/console/login/")
    log_in_with_password(client)
    after_password = client.session.session_key
    enrol(client, staff)
    assert client.session.session_key != after_password


def test_five_wrong_passwords_lock_the_account_with_a_clear_message_a5(client, staff):
    for _ in range(5):
        client.post("/en/console/login/", {"username": "lin", "password": "wrong"})
    response = client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    assert response.status_code == 429
    assert "it is locked here for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    chinese = client.post("/console/login/", {"username": "lin", "password": PASSWORD})
    assert chinese.status_code == 429 and "在此处被锁定 15 分钟" in chinese.content.decode()


def attempt(username, password, address):
    """One login from its own browser at ``address``; the response to the password."""
    return Client().post(
        "/en/console/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failures_lock_the_account_at_that_address_and_nowhere_else_a5(staff, time_machine):
    """A5 on the pair (username, address): a stranger cannot keep lin out from elsewhere."""
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(5):
        attempt("lin", "wrong", "198.51.100.1")
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 429
    assert attempt("lin", PASSWORD, "203.0.113.9").status_code == 302
    time_machine.move_to(timezone.now() + timedelta(minutes=15, seconds=1), tick=False)
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 302


def test_failures_from_five_addresses_do_not_keep_the_owner_out_a5(client, staff):
    """Five failures for lin from five addresses; lin logs in, second factor included, from a
    sixth address."""
    device, _ = enrol(client, staff)
    client.post("/en/console/logout/")
    for host in range(1, 6):
        assert attempt("lin", "wrong", f"198.51.100.{host}").status_code == 200
    response = client.post(
        "/en/console/login/", {"username": "lin", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response["Location"].startswith("/en/console/login/verify/")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    response = client.post(
        "/en/console/login/verify/",
        {"otp_token": code_for(device, offset=1)},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    assert client.get("/en/console/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_an_account_attacked_from_many_addresses_is_slowed_not_locked_a5(staff, time_machine):
    """Ten failures from ten addresses: each address then gets one try per 15 minutes, and the
    owner at an address that has not failed still gets in at once."""
    time_machine.move_to(timezone.now(), tick=False)
    for host in range(1, 11):
        attempt("lin", "wrong", f"198.51.100.{host}")
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 429
    assert attempt("lin", "wrong", "198.51.100.11").status_code == 429  # one failure is enough
    assert attempt("lin", PASSWORD, "203.0.113.9").status_code == 302
    time_machine.move_to(timezone.now() + timedelta(minutes=15, seconds=1), tick=False)
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 302


def test_an_address_walking_many_accounts_is_slowed_too_a5(staff, time_machine):
    """Thirty failures from one address over thirty usernames: each account then gets one
    failure from it per 15 minutes, so lin's second guess is never checked, even if right."""
    time_machine.move_to(timezone.now(), tick=False)
    for number in range(30):
        attempt(f"user{number}", "wrong", "198.51.100.1")
    assert attempt("lin", "wrong", "198.51.100.1").status_code == 429  # one failure is enough
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 429
    assert attempt("lin", PASSWORD, "203.0.113.9").status_code == 302  # elsewhere: at once


def test_an_ipv6_network_counts_as_one_address_a5(staff, time_machine):
    """One host holds a whole /64: its addresses share one count, so five failures from five
    of them lock lin there, and an address of another network still lets lin in."""
    time_machine.move_to(timezone.now(), tick=False)
    for host in range(1, 6):
        attempt("lin", "wrong", f"2001:db8:1:2::{host:x}")
    assert attempt("lin", PASSWORD, "2001:db8:1:2::99").status_code == 429
    assert attempt("lin", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_one_address_gets_far_fewer_than_a_hundred_guesses_an_hour_a5(staff, time_machine):
    """A guess every three minutes for an hour: after the first five, none is even checked,
    so the right password as the 21st guess still fails."""
    start = timezone.now()
    for guess in range(20):
        time_machine.move_to(start + timedelta(minutes=3 * guess), tick=False)
        attempt("lin", "wrong", "198.51.100.1")
    time_machine.move_to(start + timedelta(minutes=59), tick=False)
    assert attempt("lin", PASSWORD, "198.51.100.1").status_code == 429


def test_idle_staff_session_ends_after_thirty_minutes_a7(client, staff, settings):
    enrol(client, staff)
    session = client.session
    session["staff_last_seen"] = int(time.time()) - settings.PLEDGE_STAFF_IDLE_SECONDS - 5
    session.save()
    response = client.get("/en/console/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your session ended after a period without activity" in page


def test_staff_session_ends_after_twelve_hours_however_active_a7(client, staff, settings):
    enrol(client, staff)
    session = client.session
    session["staff_signed_in_at"] = int(time.time()) - settings.PLEDGE_STAFF_SESSION_SECONDS - 5
    session.save()
    assert client.get("/en/console/").status_code == 302


def test_console_pages_are_never_cached_h7(outsider, client_for):
    response = client_for(outsider).get("/console/")
    assert "no-store" in response["Cache-Control"]
    assert "no-store" in client_for(outsider).get("/console/login/")["Cache-Control"]


def test_login_redirects_only_to_this_site_i6(client, staff):
    device, _ = enrol(client, staff)
    client.post("/en/console/logout/")
    client.post(
        "/en/console/login/?next=https://evil.example/",
        {"username": "lin", "password": PASSWORD, "next": "https://evil.example/"},
    )
    device.refresh_from_db()
    response = client.post(
        "/en/console/login/verify/",
        {"otp_token": code_for(device, offset=1), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/en/console/"


def test_the_console_opens_only_from_allowed_networks(outsider, client_for, settings):
    settings.PLEDGE_CONSOLE_NETWORKS = ["10.0.0.0/8"]
    client = client_for(outsider)
    response = client.get("/en/console/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert "opens only from Gonex's own networks" in response.content.decode()
    assert client.get("/en/console/login/", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/en/console/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_a_forged_forwarded_header_does_not_change_the_client_address_i9(
    outsider, client_for, settings
):
    settings.PLEDGE_CONSOLE_NETWORKS = ["10.0.0.0/8"]
    client = client_for(outsider)
    response = client.get(
        "/en/console/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.2.3"
    )
    assert response.status_code == 403
    # Behind one trusted proxy, only the entry that proxy appended counts.
    settings.PLEDGE_PROXY_COUNT = 1
    response = client.get(
        "/en/console/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="10.1.2.3, 203.0.113.9"
    )
    assert response.status_code == 403


def test_logins_are_in_the_audit_log(client, staff):
    enrol(client, staff)
    actions = list(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert actions == [
        "staff.password_accepted",
        "staff.recovery_codes_renewed",
        "staff.2fa_enrolled",
    ]
