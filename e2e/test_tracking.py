"""Consent, cookies and the beacon in a real Chromium against the real server (P09, P21).

SECURITY.md P1: no cookie beyond the strictly necessary ones before consent, on every public
page, in a fresh profile each; the cookie jar after each choice holds only declared cookies.
"""

import secrets
import time
import urllib.error
import urllib.request

import pytest
from django.urls import URLPattern, get_resolver

from pledge.tracking import declarations

pytestmark = pytest.mark.browser


def public_pages() -> list[str]:
    """Every public page without parameters, in both languages, read from the URL resolver."""
    patterns = []
    for prefix, (_, resolver) in get_resolver().namespace_dict.items():
        if prefix == "web":
            patterns = [p for p in resolver.url_patterns if isinstance(p, URLPattern)]
    routes = [str(p.pattern) for p in patterns if "<" not in str(p.pattern)]
    routes = [route for route in routes if route not in {"consent/"} and ".json" not in route]
    return [f"{language}{route}" for language in ("/", "/en/") for route in routes]


def answers(url: str) -> bool:
    """A page a visitor can open with GET (POST-only addresses such as logout are left out)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def necessary_names() -> set[str]:
    return {cookie.name for cookie in declarations.cookies() if not cookie.needs_consent}


def declared_categories() -> dict[str, str]:
    return {cookie.name: cookie.category for cookie in declarations.cookies()}


def count_views(server, **filters) -> int:
    code = (
        "from pledge.tracking.models import PageView; "
        f"print(PageView.objects.filter(**{filters!r}).count())"
    )
    return int(server.pledge("shell", "-v0", "-c", code).strip().splitlines()[-1])


def wait_for(condition, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.timeout(300, func_only=True)  # some forty pages, each in a fresh profile
def test_no_cookie_but_necessary_ones_before_consent_on_every_public_page(server, context_of):
    pages = [path for path in public_pages() if answers(server.url + path)]
    assert "/en/cookie-settings/" in pages and "/en/cookies/" in pages
    for path in pages:
        page = context_of()  # a fresh profile for each page
        context = page.context
        hosts = []
        page.on("request", lambda request, hosts=hosts: hosts.append(request.url.split("/")[2]))
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        names = {cookie["name"] for cookie in context.cookies()}
        assert names <= necessary_names(), (path, names)
        assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
        assert set(hosts) == {server.host}, (path, hosts)  # P21
        context.close()


def test_accepting_all_sets_only_declared_cookies_listed_on_the_cookie_page(server, page):
    campaign = f"e2e-{secrets.token_hex(4)}"
    page.goto(f"{server.url}/en/?utm_source=partner&utm_campaign={campaign}&ref=AFF42")
    banner = page.locator("#consent-banner")
    assert banner.is_visible()
    accept = banner.get_by_role("button", name="Accept all")
    reject = banner.get_by_role("button", name="Reject all")
    assert accept.get_attribute("class") == reject.get_attribute("class")  # equal weight
    accept.click()
    page.wait_for_load_state("networkidle")
    assert not banner.is_visible()
    jar = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert set(jar) == {"pledge_consent", "pledge_visitor", "pledge_arrival"}
    categories = declared_categories()
    assert all(name in categories for name in jar)
    assert all(cookie["sameSite"] == "Lax" and cookie["httpOnly"] for cookie in jar.values())
    assert jar["pledge_arrival"]["expires"] == -1  # a browser-session cookie
    # A page with a form adds only its declared necessary cookie.
    page.goto(server.url + "/en/console/login/")
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert names <= set(categories)
    # The cookie policy (rendered from the inventory) lists each one in its category.
    page.goto(server.url + "/en/cookies/")
    for name in names:
        section = page.locator(f"#cookies-{categories[name]}")
        assert section.locator("code", has_text=name).count() == 1, name
    # The beacon recognised the consenting visitor by the visitor cookie.
    assert wait_for(lambda: count_views(server, utm_campaign=campaign, visitor_hash="") >= 1)


def test_rejecting_all_leaves_the_site_working_and_counts_anonymously(server, page):
    campaign = f"e2e-{secrets.token_hex(4)}"
    page.goto(f"{server.url}/en/?utm_campaign={campaign}")
    page.locator("#consent-banner").get_by_role("button", name="Reject all").click()
    page.wait_for_load_state("networkidle")
    assert {cookie["name"] for cookie in page.context.cookies()} == {"pledge_consent"}
    page.get_by_role("link", name="简体中文").click()
    assert page.locator("h1").inner_text() == "与您共同打造的企业软件"
    assert wait_for(lambda: count_views(server, utm_campaign=campaign, visitor_key="") >= 1)


def test_time_on_page_is_reported_when_the_page_is_left(server, page):
    campaign = f"e2e-{secrets.token_hex(4)}"
    page.goto(f"{server.url}/en/?utm_campaign={campaign}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1200)
    page.goto(server.url + "/en/cookie-settings/")
    assert wait_for(lambda: count_views(server, utm_campaign=campaign, seconds__isnull=False) == 1)


def test_the_banner_works_without_javascript(server, page_without_javascript):
    page = page_without_javascript
    campaign = f"e2e-{secrets.token_hex(4)}"
    page.goto(f"{server.url}/?utm_campaign={campaign}")
    banner = page.locator("#consent-banner")
    banner.get_by_role("button", name="全部拒绝").click()
    assert not banner.is_visible()
    assert {cookie["name"] for cookie in page.context.cookies()} == {"pledge_consent"}
    # The footer link opens the settings page, where the choice can be changed.
    page.get_by_role("link", name="Cookie 设置").click()
    page.get_by_role("button", name="全部接受").click()
    assert "pledge_visitor" in {cookie["name"] for cookie in page.context.cookies()}
    # The no-script pixel counted the first page.
    assert wait_for(lambda: count_views(server, utm_campaign=campaign) >= 1)


def test_the_footer_link_reopens_the_banner_to_withdraw(server, page):
    page.goto(server.url + "/en/")
    page.locator("#consent-banner").get_by_role("button", name="Accept all").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Cookie settings").click()
    banner = page.locator("#consent-banner")
    assert banner.is_visible()
    banner.get_by_role("button", name="Reject all").click()
    page.wait_for_load_state("networkidle")
    assert {cookie["name"] for cookie in page.context.cookies()} == {"pledge_consent"}


def test_global_privacy_control_is_honoured(server, context_of):
    page = context_of(extra_http_headers={"Sec-GPC": "1"})
    page.goto(server.url + "/en/")
    assert not page.locator("#consent-banner").is_visible()  # nothing left to ask
    page.goto(server.url + "/en/cookie-settings/")
    assert "Global Privacy Control" in page.content()
    page.get_by_role("button", name="Accept all").click()
    assert {cookie["name"] for cookie in page.context.cookies()} == {"pledge_consent"}
