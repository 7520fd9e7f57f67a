"""The privacy and cookie policy pages: both languages, versions kept, changes shown."""

import re

import pytest

from pledge.inventory.loader import site_cache_clear
from pledge.inventory.services import policy_publish

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def publish(summary="A change"):
    return policy_publish(
        summary={"zh-hans": "变更", "en": summary}, material=False, published_by="alice"
    )


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_privacy_policy_is_in_chinese_at_privacy(client):
    response = client.get("/privacy/")
    assert response["Content-Language"] == "zh-hans"
    text = response.content.decode()
    assert "<h1>隐私政策</h1>" in text
    assert "我们不会出售、交易或出租您的个人信息" in text


def test_the_privacy_policy_is_in_english_under_en(client):
    text = page(client, "/en/privacy/")
    assert "<h1>Privacy policy</h1>" in text
    assert "We do not sell, trade or rent your personal information" in text
    assert "我们不会出售" not in text


def test_the_cookie_policy_lists_the_cookies_in_both_languages(client):
    chinese, english = page(client, "/cookies/"), page(client, "/en/cookies/")
    for text in (chinese, english):
        for name in (
            "sessionid",
            "csrftoken",
            "pledge_consent",
            "pledge_visitor",
            "pledge_arrival",
        ):
            assert f"<code>{name}</code>" in text
    assert "365 天" in chinese and "365 days" in english
    assert "直至您关闭浏览器" in chinese and "until you close the browser" in english


def test_the_cookie_policy_shows_the_production_cookie_names_in_production(client, settings):
    settings.SESSION_COOKIE_NAME = "__Host-session"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    site_cache_clear()
    text = page(client, "/en/cookies/")
    site_cache_clear()
    assert "<code>__Host-session</code>" in text
    assert "<code>__Host-csrftoken</code>" in text
    assert "<code>sessionid</code>" not in text


def test_before_the_first_publication_the_page_says_so(client):
    assert "has not yet been published as a numbered version" in page(client, "/en/privacy/")


def test_the_page_shows_the_version_in_force_and_its_date(client):
    version = publish()
    text = page(client, "/privacy/")
    assert f"第 {version.number} 版，自" in text
    assert re.search(r"自 \d{4}年\d{1,2}月\d{1,2}日 起生效", text)
    assert "Version 1, in force since" in page(client, "/en/cookies/")


def test_a_change_to_a_declaration_shows_in_both_languages(client, use_site):
    use_site.edit_in("cookies.visitor", "lifetime_days = 365", "lifetime_days = 30")
    chinese, english = page(client, "/cookies/"), page(client, "/en/cookies/")
    visitor_row = re.compile(r"<code>pledge_visitor</code>.*?</tr>", re.S)
    assert "30 天" in visitor_row.search(chinese).group()
    assert "30 days" in visitor_row.search(english).group()


def test_a_new_form_field_shows_in_both_languages(client, use_site):
    use_site.edit(
        "[forms.demo.fields.interests]",
        '[forms.demo.fields.job_title]\nlabel = { zh-hans = "职位名称", en = "Job title" }\n'
        'category = "user.workplace"\nrequired = false\npurposes = ["sales"]\n'
        'retention_days = 400\nwidget = "text"\n\n[forms.demo.fields.interests]',
    )
    chinese, english = page(client, "/privacy/"), page(client, "/en/privacy/")
    assert re.search(r"职位名称.*?选填.*?400 天", chinese, re.S)
    assert re.search(r"Job title.*?Optional.*?400 days", english, re.S)


def test_unpublished_changes_are_announced_on_the_page(client, use_site):
    publish()
    assert "has changed since version" not in page(client, "/en/privacy/")
    use_site.edit("retention_days = 90", "retention_days = 60")
    assert "has changed since version 1" in page(client, "/en/privacy/")


def test_an_old_version_is_still_served_at_its_own_address(client, use_site):
    publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    publish("Shorter")
    old = page(client, "/en/privacy/v/1/")
    assert "Version 1, published" in old
    assert "no longer in force; version 2 replaced it" in old
    assert "deleted after 90 days" in old
    assert "deleted after 60 days" in page(client, "/en/privacy/v/2/")
    assert "deleted after 60 days" in page(client, "/en/privacy/")
    assert "<code>pledge_visitor</code>" in page(client, "/cookies/v/1/")


def test_the_diff_page_shows_what_changed_between_two_versions(client, use_site):
    publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    publish()
    text = page(client, "/en/privacy/diff/1/2/")
    assert "Changes from version 1 to version 2" in text
    assert re.search(r'class="diff-removed"><del>.*?90 days', text)
    assert re.search(r'class="diff-added"><ins>.*?60 days', text)
    assert "forms.feedback.fields.reply_email.retention_days" in text
    assert "从第 1 版到第 2 版的变化" in page(client, "/privacy/diff/1/2/")


def test_the_versions_page_lists_every_version(client, use_site):
    publish("First")
    use_site.edit("retention_days = 90", "retention_days = 60")
    publish("Second")
    text = page(client, "/en/privacy/versions/")
    assert text.index("Second") < text.index("First")
    assert 'href="/en/privacy/v/1/"' in text and 'href="/en/privacy/diff/1/2/"' in text


@pytest.mark.parametrize("url", ["/privacy/v/7/", "/en/cookies/v/7/", "/privacy/diff/1/7/"])
def test_an_unknown_version_is_a_404(client, url):
    publish()
    assert client.get(url).status_code == 404


def test_every_page_links_the_policies_from_its_footer(client):
    footer = page(client, "/en/").split('<footer class="site-footer">')[1]
    assert '<a href="/en/privacy/">Privacy policy</a>' in footer
    assert '<a href="/en/cookies/">Cookie policy</a>' in footer
    footer = page(client, "/").split('<footer class="site-footer">')[1]
    assert '<a href="/privacy/">隐私政策</a>' in footer


def test_the_language_switcher_keeps_the_version_page(client):
    publish()
    assert re.search(r'<a href="/en/privacy/v/1/" hreflang="en"', page(client, "/privacy/v/1/"))


def test_policy_pages_set_no_cookie_p09(client):
    publish()
    for url in ("/privacy/", "/en/cookies/", "/privacy/v/1/", "/privacy/versions/"):
        assert not client.get(url).cookies, url


def test_policy_pages_load_nothing_from_another_host_p21(client, use_site):
    publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    publish()
    for url in ("/privacy/", "/en/cookies/", "/privacy/v/1/", "/en/privacy/diff/1/2/"):
        # Leaving out what search engines read: the site's own address, which nothing loads.
        shown = re.sub(r'<link rel="(?:canonical|alternate)"[^>]*>', "", page(client, url))
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', shown):
            assert not re.match(r"^(https?:)?//", attribute), (url, attribute)
        html = page(client, url)
        # Only the site's own scripts (consent banner, beacon), never inline ones (CSP).
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert all(re.search(r'src="/static/', tag) and not body for tag, body in scripts)
        assert "style=" not in html


def test_a_material_change_is_announced_on_the_policy_page_p23(client, use_site):
    publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    policy_publish(
        summary={"zh-hans": "回复地址保存 60 天", "en": "Reply addresses are kept 60 days"},
        material=True,
        published_by="alice",
    )
    assert "Material change:</strong> Reply addresses are kept 60 days" in page(
        client, "/en/privacy/"
    )
    assert "实质性变更：</strong>回复地址保存 60 天" in page(client, "/privacy/")
