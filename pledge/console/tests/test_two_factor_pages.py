"""The two-step pages people read: a throttled code says how long to wait, the key comes in
blocks of four, recovery codes download once from the moment they are shown (A1, A2)."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledge.vault.two_factor import totp_enrolment

pytestmark = pytest.mark.clock

PASSWORD = "a long pass phrase for staff"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="lin", password=PASSWORD, is_staff=True)


def code_for(device, offset=0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def enrolled(client, staff):
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    client.get("/en/console/login/enrol/")
    device = totp_enrolment(staff)
    page = client.post("/en/console/login/enrol/", {"otp_token": code_for(device)})
    return device, re.findall(r"<li><code>([^<]+)</code></li>", page.content.decode())


def throttle(device, failures: int):
    """``failures`` wrong codes just now: django-otp waits 2^(failures-1) seconds."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=failures, throttling_failure_timestamp=timezone.now()
    )


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)


@pytest.mark.parametrize(
    ("prefix", "failures", "expected"),
    [
        ("/en", 4, "Too many wrong codes: wait 8 seconds, then enter the newest code."),
        ("/en", 1, "Too many wrong codes: wait 1 second, then enter the newest code."),
        ("", 4, "错误次数过多：请等待 8 秒，再输入最新的验证码。"),
    ],
)
def test_a_throttled_code_says_how_long_to_wait(client, staff, frozen, prefix, failures, expected):
    device, _ = enrolled(client, staff)
    client.post(f"{prefix}/console/logout/")
    client.post(f"{prefix}/console/login/", {"username": "lin", "password": PASSWORD})
    throttle(device, failures)
    response = client.post(f"{prefix}/console/login/verify/", {"otp_token": code_for(device, 1)})
    page = response.content.decode()
    assert expected in page
    assert "not valid" not in page and "无效" not in page
    assert client.get(f"{prefix}/console/").status_code == 302  # still shut


def test_a_wrong_code_that_is_not_throttled_still_says_it_is_wrong(client, staff):
    device, _ = enrolled(client, staff)
    client.post("/en/console/logout/")
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    page = client.post("/en/console/login/verify/", {"otp_token": "000000"}).content.decode()
    assert "That code is not valid" in page and "wait" not in page


def test_once_the_wait_is_over_the_code_is_checked(client, staff, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device, _ = enrolled(client, staff)
    client.post("/en/console/logout/")
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    throttle(device, 3)
    time_machine.shift(timedelta(seconds=5))
    response = client.post("/en/console/login/verify/", {"otp_token": code_for(device, 1)})
    assert response.status_code == 302


def test_enrolment_says_how_long_to_wait_too(client, staff, frozen):
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    client.get("/en/console/login/enrol/")
    device = totp_enrolment(staff)
    throttle(device, 3)
    page = client.post("/en/console/login/enrol/", {"otp_token": code_for(device)})
    assert "wait 4 seconds" in page.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_the_key_is_shown_in_blocks_of_four(client, staff):
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    page = client.get("/en/console/login/enrol/").content.decode()
    key = page.split('<code class="secret">')[1].split("<")[0]
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key), key
    compact = key.replace(" ", "")
    assert b32decode(compact + "=" * (-len(compact) % 8)) == totp_enrolment(staff).bin_key


def test_recovery_codes_download_once_as_a_text_file(client, staff):
    _, codes = enrolled(client, staff)
    assert len(codes) == 10
    response = client.get("/en/console/account/recovery-codes.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert [line for line in text.splitlines() if line in codes] == codes
    assert "Recovery codes of lin" in text
    again = client.get("/en/console/account/recovery-codes.txt")
    assert again.status_code == 410 and again["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in again  # shown as a page, never saved as the file
    assert not any(code in again.content.decode() for code in codes)
    assert "only once" in again.content.decode()


def test_the_codes_wait_encrypted_and_go_at_the_next_page(client, staff):
    _, codes = enrolled(client, staff)
    raw = Session.objects.get(session_key=client.session.session_key).session_data
    decoded = str(client.session.load())
    assert not any(code in raw or code in decoded for code in codes)
    assert client.get("/en/console/").status_code == 200  # the next page
    response = client.get("/en/console/account/recovery-codes.txt")
    assert response["Content-Type"].startswith("text/html")


def test_new_codes_from_my_account_download_in_chinese(client, staff):
    enrolled(client, staff)
    client.get("/console/account/")
    page = client.post("/console/account/", {"password": PASSWORD, "action": "recovery_codes"})
    html = page.content.decode()
    codes = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert "复制恢复码" in html and "下载为文本文件" in html
    text = client.get("/console/account/recovery-codes.txt").content.decode()
    assert "lin 在" in text and "员工控制台的恢复码" in text
    assert all(code in text for code in codes)


def test_the_copy_button_is_hidden_until_its_script_runs(client, staff):
    client.post("/en/console/login/", {"username": "lin", "password": PASSWORD})
    client.get("/en/console/login/enrol/")
    device = totp_enrolment(staff)
    html = client.post("/en/console/login/enrol/", {"otp_token": code_for(device)}).content.decode()
    assert re.search(r'<button type="button"[^>]*data-copy="recovery-codes" hidden>', html)
    assert "/static/web/copy.js" in html
    assert "<script>" not in html  # no inline script (CSP)
