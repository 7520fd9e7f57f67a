"""The public layout: both languages at stable addresses, strict headers, nothing from elsewhere."""

import re

import pytest


@pytest.mark.django_db
def test_home_is_in_simplified_chinese_at_the_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "预约免费演示" in page
    assert "我们会联系您，安排专家与您面对面或线上沟通。" in page


@pytest.mark.django_db
def test_home_is_in_english_under_en(client):
    page = client.get("/en/").content.decode()
    assert '<html lang="en">' in page
    assert "Book a free demo" in page
    assert "预约免费演示" not in page


@pytest.mark.django_db
def test_language_switcher_links_the_same_page_in_the_other_language(client):
    page = client.get("/").content.decode()
    assert re.search(r'<a href="/en/" hreflang="en"', page)
    page = client.get("/en/").content.decode()
    assert re.search(r'<a href="/" hreflang="zh-hans"', page)


@pytest.mark.django_db
def test_switching_language_sets_no_cookie(client):
    response = client.get("/en/")
    assert not response.cookies


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_h4(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    for forbidden in ("unsafe-inline", "unsafe-eval", "data:", "*"):
        assert forbidden not in directives["script-src"]


@pytest.mark.django_db
def test_pages_carry_the_other_security_headers_h5(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.django_db
def test_pages_load_nothing_from_another_host_p21(client, settings):
    for url in ("/", "/en/", "/console/login/"):
        page = client.get(url).content.decode()
        # What search engines read names the site's own absolute address; nothing loads it.
        for address in re.findall(r'<link rel="(?:canonical|alternate)"[^>]* href="([^"]+)"', page):
            assert address.startswith(settings.PLEDGE_SITE_URL + "/"), (url, address)
        page = re.sub(r'<link rel="(?:canonical|alternate)"[^>]*>', "", page)
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not re.match(r"^(https?:)?//", attribute), (url, attribute)


@pytest.mark.django_db
def test_unknown_page_is_a_plain_404_h8(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content
