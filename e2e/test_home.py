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


def test_staff_logs_in_with_a_second_factor_through_the_real_server(server, page, staff_login):
    staff_login(page)
    assert "Signed in as admin." in page.content()
