"""The first journey: the home page in zh-Hans, the switch to English, nothing from elsewhere."""

import pytest

pytestmark = pytest.mark.browser


def test_home_loads_in_chinese_then_english_from_the_site_alone(server, page, requested_hosts):
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "与您共同打造的企业软件"

    page.get_by_role("link", name="English").click()
    page.wait_for_url(server.url + "/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Business software, built with you"

    assert requested_hosts, "the page made no request at all"
    assert set(requested_hosts) == {server.host}


def test_home_works_without_javascript(server, page_without_javascript):
    page = page_without_javascript
    page.goto(server.url + "/en/")
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url(server.url + "/")
    assert page.locator("h1").inner_text() == "与您共同打造的企业软件"


def totp_now(secret_base32: str) -> str:
    from base64 import b32decode

    from django_otp.oath import totp

    key = b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    return f"{totp(key):06d}"


def test_staff_logs_in_with_a_second_factor_through_the_real_server(server, page):
    output = server.pledge("demo")
    password = output.split("Password:")[1].split()[0]
    page.goto(server.url + "/en/console/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    # First login: enrol an authenticator from the QR code's key, then keep the recovery codes.
    page.wait_for_url("**/en/console/login/enrol/**")
    assert page.locator("figure.qr svg").count() == 1
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code").fill(totp_now(secret))
    page.get_by_role("button", name="Confirm").click()
    assert page.locator("ul.codes li").count() == 10
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(server.url + "/en/console/")
    assert "Signed in as admin." in page.content()
