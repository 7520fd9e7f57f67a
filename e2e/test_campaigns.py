"""Marketing writes, tries and sends a campaign; a subscriber leaves from the email itself.

The demo signs up two newsletter subscribers through the real double opt-in (one reading
Chinese, one English). The campaign reaches both in their language through the real worker and
SMTP server; the email's one-click link (RFC 8058) and its preference page, opened with
JavaScript off, each take a subscriber off the list.
"""

import re
import urllib.request

import pytest

pytestmark = pytest.mark.browser

ENGLISH_READER = "amy.lee@example-retail.com"
CHINESE_READER = "wang.fang@example-logistics.cn"


def unsubscribe_url(message) -> str:
    header = str(message["List-Unsubscribe"])
    return re.search(r"<(https?://[^>]+)>", header).group(1)


def test_marketing_composes_tries_and_sends_a_campaign(server, page, inbox, staff_login):
    staff_login(page, username="lin.xiao")
    page.goto(server.url + "/en/console/campaigns/new/")
    page.get_by_label("Mailing list").select_option(label="Gonex newsletter")
    page.get_by_label("Name (for staff only)").fill("December news")
    page.get_by_label("Subject (简体中文)").fill("十二月新闻")
    page.get_by_label("Text (简体中文), in Markdown").fill("# 新产品\n\n**工单系统**已发布。")
    page.get_by_label("Subject (English)").fill("December news")
    page.get_by_label("Text (English), in Markdown").fill(
        "# New product\n\nOur **ticketing** is out. [Read more](https://letsgonex.cn/news)"
    )
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("heading", name="December news").wait_for()

    # Before sending: who it will reach (masked), and what each language reads like.
    assert "2 people, if sent now." in page.content()
    assert "a***@example-retail.com" in page.content()
    assert ENGLISH_READER not in page.content()
    assert "Our **ticketing** is out" in page.locator("pre.mail-body").last.inner_text()

    page.get_by_role("button", name="Send a test in each language").click()
    test_copy = inbox.wait_for("lin.xiao@letsgonex.com", subject="[TEST] December news")
    assert "<strong>ticketing</strong>" in test_copy.get_body(("html",)).get_content()

    page.get_by_role("button", name="Send to 2 people now").click()
    page.get_by_role("heading", name="Report").wait_for()

    english = inbox.wait_for(ENGLISH_READER, subject="December news")
    chinese = inbox.wait_for(CHINESE_READER, subject="十二月新闻")
    for message in (english, chinese):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "mailto:" in str(message["List-Unsubscribe"])
        html = message.get_body(("html",)).get_content()
        assert "<img" not in html  # no tracking image
    # Links go straight where they say: no redirect through the site.
    assert 'href="https://letsgonex.cn/news"' in english.get_body(("html",)).get_content()

    # RFC 8058: a POST to the header's link unsubscribes, with no page, login or token.
    one_click = urllib.request.Request(
        unsubscribe_url(english), data=b"List-Unsubscribe=One-Click", method="POST"
    )
    with urllib.request.urlopen(one_click, timeout=10) as answer:
        assert answer.status == 200

    page.reload()
    report = page.locator("table").first.inner_text()
    assert "Unsubscribed" in report


def test_the_preference_page_works_without_javascript(
    server, page_without_javascript, inbox, staff_login
):
    chinese = inbox.wait_for(CHINESE_READER, subject="十二月新闻", timeout=60)
    text = chinese.get_body(("plain",)).get_content()
    preferences = re.search(r"https?://\S+/mail/preferences/\S+/", text).group(0)

    page = page_without_javascript
    page.goto(preferences)
    newsletter = page.get_by_label("Gonex 新闻简报")
    assert newsletter.is_checked()
    newsletter.uncheck()
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    page.goto(preferences)
    assert not page.get_by_label("Gonex 新闻简报").is_checked()
