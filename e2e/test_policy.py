"""A visitor reads the privacy and cookie policies in both languages, from the site alone."""

import pytest

pytestmark = pytest.mark.browser


def test_a_visitor_reads_both_policies_in_both_languages(server, page, requested_hosts):
    server.pledge("demo")  # publishes version 1 if no version is published yet
    page.goto(server.url + "/")
    page.get_by_role("link", name="隐私政策").click()
    page.wait_for_url(server.url + "/privacy/")
    assert page.locator("h1").inner_text() == "隐私政策"
    assert "第 1 版" in page.locator(".policy-version").inner_text()
    assert page.get_by_role("heading", name="预约免费演示").is_visible()

    page.get_by_role("link", name="English").click()
    page.wait_for_url(server.url + "/en/privacy/")
    assert page.locator("h1").inner_text() == "Privacy policy"
    assert page.get_by_role("heading", name="Book a free demo").is_visible()

    page.locator(".policy-links").get_by_role("link", name="Cookie policy").click()
    page.wait_for_url(server.url + "/en/cookies/")
    assert page.locator("h1").inner_text() == "Cookie policy"
    assert page.get_by_role("rowheader", name="pledge_consent").is_visible()

    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url(server.url + "/cookies/")
    assert page.locator("h1").inner_text() == "Cookie 政策"

    assert set(requested_hosts) == {server.host}
    assert page.context.cookies() == []


def test_the_policies_and_their_versions_read_without_javascript(server, page_without_javascript):
    page = page_without_javascript
    server.pledge("demo")
    page.goto(server.url + "/en/privacy/versions/")
    page.get_by_role("link", name="Privacy policy").first.click()
    page.wait_for_url(server.url + "/en/privacy/v/*/")
    assert "published" in page.locator(".policy-version").inner_text()
    assert page.get_by_role("heading", name="Your rights").is_visible()
