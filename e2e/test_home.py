"""The first journey: the home page in zh-Hans, the switch to English, nothing from elsewhere."""

import time
from urllib.parse import urlsplit

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


HOME_VIEWS = [
    # (path, viewport width, h1, screenshot name)
    ("/", 1366, "与您共同打造的企业软件", "home-zh"),
    ("/en/", 1366, "Business software, built with you", "home-en"),
    ("/", 390, "与您共同打造的企业软件", "home-390"),
    ("/en/", 390, "Business software, built with you", "home-390-en"),
]


def images_loaded(page, seconds: float = 15) -> None:
    """Wait until every picture of the page has loaded (polled from here: the page's CSP
    refuses the evaluated strings wait_for_function polls with)."""
    deadline = time.monotonic() + seconds
    script = "Array.from(document.images).every(image => image.complete && image.naturalWidth > 0)"
    while not page.evaluate(script):
        assert time.monotonic() < deadline, "a picture did not load"
        time.sleep(0.1)


@pytest.mark.parametrize(("path", "width", "heading", "name"), HOME_VIEWS)
def test_the_home_page_shows_the_offer_at_desktop_and_phone_width_from_the_site_alone(
    server, context_of, screenshot, path, width, heading, name
):
    page = context_of(viewport={"width": width, "height": 900})
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    page.goto(server.url + path)
    assert page.locator("h1").inner_text() == heading
    cards = page.locator("#offer article.offer-card")
    assert cards.count() == 5
    # Every picture loads (the cards' lazily, once scrolled to), from the site itself.
    pictures = page.locator("main img")
    for index in range(pictures.count()):
        pictures.nth(index).scroll_into_view_if_needed()
    images_loaded(page)
    # Nothing wider than the screen: no sideways scrolling at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("footer").is_visible()
    screenshot(page, name)
    assert set(hosts) == {server.host}, hosts


def test_a_visitor_goes_from_an_offer_card_to_its_page_and_the_stories(server, page):
    page.goto(server.url + "/en/")
    page.locator("#offer").get_by_role("link", name="Service desk").click()
    page.wait_for_url(server.url + "/en/products/service-desk/")
    assert page.locator("h1").inner_text() == "Service desk"
    assert page.get_by_role("img", name="Illustration: three requests in one queue").is_visible()
    page.get_by_role("link", name="Read the customer stories").click()
    page.wait_for_url(server.url + "/en/customers/")
    assert page.locator("h1").inner_text() == "Customer stories"
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url(server.url + "/customers/")
    assert page.locator("h1").inner_text() == "客户故事"
    page.locator("footer").get_by_role("link", name="关于我们").click()
    page.wait_for_url(server.url + "/about/")
    assert page.locator("h1").inner_text() == "关于 Gonex"
