"""The forms in a real browser, JavaScript on and off, both languages (P05, P13, P17, P19, P21)."""

import re

import pytest

pytestmark = pytest.mark.browser


def answer_the_sum(page):
    """Without JavaScript the form asks a small sum; read it off the label and answer it."""
    label = page.locator(".human-sum label").inner_text()
    left, right = map(int, re.findall(r"(\d+)\s*\+\s*(\d+)", label)[0])
    page.locator(".human-sum input[type=text]").fill(str(left + right))


def test_demo_request_with_javascript_in_english(server, page, requested_hosts, inbox):
    page.goto(server.url + "/en/demo/")
    assert not page.locator("input[type=checkbox]:checked").count()  # P17
    page.get_by_label("Name", exact=True).fill("Ada Chen")
    page.get_by_label("Email address", exact=True).fill("ada.chen@e2e-demo.cn")
    page.get_by_label("Company", exact=True).fill("E2E Robotics")
    page.get_by_label("Online").check()
    page.get_by_label("Weekday mornings (9:00\u201312:00)").check()
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)  # proof of work done
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    confirmation = inbox.wait_for("ada.chen@e2e-demo.cn")
    assert "free demo" in confirmation.get_body(("plain",)).get_content()
    assert set(requested_hosts) == {server.host}  # P21


def test_contact_form_without_javascript_in_chinese(server, page_without_javascript, inbox):
    page = page_without_javascript
    page.goto(server.url + "/contact/")
    page.get_by_label("姓名", exact=True).fill("李雷")
    page.get_by_label("电子邮件地址", exact=True).fill("li.lei@e2e-contact.cn")
    page.get_by_label("主题", exact=True).fill("经销合作")
    page.get_by_label("消息", exact=True).fill("我们希望成为分销商。")
    page.get_by_label("分销商").check()
    answer_the_sum(page)
    page.get_by_role("button", name="提交").click()
    page.get_by_role("heading", name="谢谢").wait_for()
    confirmation = inbox.wait_for("li.lei@e2e-contact.cn")
    assert "感谢您的来信" in confirmation.get_body(("plain",)).get_content()


def test_a_wrong_answer_keeps_what_was_typed(server, page_without_javascript):
    page = page_without_javascript
    page.goto(server.url + "/en/feedback/")
    page.get_by_label("Comments on the website").fill("Clear pages.")
    page.locator(".human-sum input[type=text]").fill("999")
    page.get_by_role("button", name="Send").click()
    assert "small sum" in page.locator("#form-message").inner_text()
    assert page.get_by_label("Comments on the website").input_value() == "Clear pages."


def test_newsletter_is_double_opt_in(server, page_without_javascript, inbox):
    page = page_without_javascript
    page.goto(server.url + "/en/newsletter/")
    page.get_by_label("Email address", exact=True).fill("reader@e2e-news.cn")
    page.locator("input[name=lists]").first.check()
    answer_the_sum(page)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    body = inbox.wait_for("reader@e2e-news.cn").get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/newsletter/confirm/\S+/", body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()


def test_job_application_with_a_cv_in_chinese(server, page, tmp_path, inbox):
    cv = tmp_path / "简历.pdf"
    cv.write_bytes(b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    page.goto(server.url + "/careers/apply/")
    page.get_by_label("姓名", exact=True).fill("韩梅梅")
    page.get_by_label("电子邮件地址", exact=True).fill("hanmeimei@e2e-jobs.cn")
    page.get_by_label("电话号码").fill("13800138000")
    page.get_by_label("申请职位").select_option(label="软件工程师")
    page.locator("input[type=file]").set_input_files(str(cv))
    page.get_by_label("18 周岁及以上").check()
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name="提交").click()
    page.get_by_role("heading", name="谢谢").wait_for()
    inbox.wait_for("hanmeimei@e2e-jobs.cn")


def test_the_person_appears_for_staff(server, page, staff_login, inbox):
    page.goto(server.url + "/en/interest/")
    page.get_by_label("Name", exact=True).fill("Grace Wu")
    page.get_by_label("Email address", exact=True).fill("grace.wu@e2e-interest.cn")
    page.get_by_label("Employer", exact=True).fill("Wu Logistics")
    page.locator("input[name=topic]").first.check()
    page.get_by_label("Your business need, briefly").fill("We need a service desk.")
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    staff_login(page)
    page.goto(server.url + "/en/console/people/?q=GRACE.WU@e2e-interest.cn")
    page.get_by_role("link", name="Grace Wu").click()
    assert "grace.wu@e2e-interest.cn" in page.content()


def session_cookies(page) -> list:
    return [c["value"] for c in page.context.cookies() if c["name"] == "sessionid"]


def test_an_account_signs_its_creator_in_and_only_then_a_session_cookie_exists(server, page):
    page.goto(server.url + "/en/account/register/")
    assert not session_cookies(page)  # P09
    page.get_by_label("Name", exact=True).fill("Zhou Yun")
    page.get_by_label("Email address", exact=True).fill("zhou.yun@e2e-account.cn")
    page.get_by_label("Password").fill("a long and unusual pass phrase")
    page.get_by_label("18 or over").check()
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Downloads").wait_for()  # signed in, on the account page
    assert "you are signed in" in page.locator("[role=status]").inner_text()
    assert page.url.endswith("/en/account/")
    assert session_cookies(page)
    page.get_by_role("button", name="Log out").click()
    page.goto(server.url + "/en/account/login/")
    page.get_by_label("Email address", exact=True).fill("Zhou.Yun@e2e-account.cn")
    page.get_by_label("Password").fill("a long and unusual pass phrase")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Downloads").wait_for()
    assert [c for c in page.context.cookies() if c["name"] == "sessionid"]


def test_the_separate_consent_boxes_work_without_javascript(
    server, page_without_javascript, page, staff_login, inbox
):
    """PIPL Art. 14: each purpose beyond the request has its own unticked box; only the ticked
    one is recorded, with the words shown, and the request is answered all the same."""
    form = page_without_javascript
    form.goto(server.url + "/en/demo/")
    choices = form.locator("fieldset.consent-boxes")
    assert choices.locator("input[type=checkbox]").count() == 3  # news, sales, affiliates
    assert not form.locator("input[type=checkbox]:checked").count()  # P17
    sales_words = choices.locator("label", has=form.locator("input[name=sales_follow_up]"))
    sales_text = sales_words.inner_text().strip()
    assert sales_text.startswith("Beyond answering this request, I agree")
    form.get_by_label("Name", exact=True).fill("Kai Sun")
    form.get_by_label("Email address", exact=True).fill("kai.sun@e2e-consent.cn")
    form.get_by_label("Company", exact=True).fill("Sun Tools")
    form.get_by_label("Online").check()
    form.locator("input[name=sales_follow_up]").check()
    answer_the_sum(form)
    form.get_by_role("button", name="Send").click()
    form.get_by_role("heading", name="Thank you").wait_for()
    inbox.wait_for("kai.sun@e2e-consent.cn")
    staff_login(page)
    page.goto(server.url + "/en/console/people/?q=kai.sun@e2e-consent.cn")
    page.get_by_role("link", name="Kai Sun").click()
    shown = page.content()
    # The words ticked are the words kept (the timeline shows their first 200 characters).
    assert sales_text[:150] in shown.replace("&#x27;", "'")
    assert "subsidiaries and other affiliates" not in shown  # the unticked box: nothing


# --- Issue 16: a mistake keeps the CV, the error summary takes the focus --------------------

CV = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
WRONG_FIELD = {
    "en": {
        "prefix": "/en",
        "position": "Software engineer",
        "apply": "Apply for Software engineer",
        "name": "Name",
        "email": "Email address",
        "phone": "Phone number",
        "adult": "18 or over",
        "send": "Send",
        "attached": ("cv.pdf (", ") attached."),
        "remove": "Remove cv.pdf",
        "thanks": "Thank you",
    },
    "zh-hans": {
        "prefix": "",
        "position": "软件工程师",
        "apply": "申请软件工程师",
        "name": "姓名",
        "email": "电子邮件地址",
        "phone": "电话号码",
        "adult": "18 周岁及以上",
        "send": "提交",
        "attached": ("已附上 cv.pdf（", "）。"),
        "remove": "移除 cv.pdf",
        "thanks": "谢谢",
    },
}


def held_says(page, words) -> bool:
    """The held file's sentence: its name, its size (which Django words itself), attached."""
    text = page.locator(".held-name").inner_text()
    return text.startswith(words[0]) and text.endswith(words[1])


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def application_with_a_wrong_email(page, server, words, cv, address):
    """From the careers page to an application with a wrong email address and a CV."""
    page.goto(server.url + words["prefix"] + "/careers/")
    page.get_by_role("link", name=words["apply"]).click()
    page.get_by_label(words["name"], exact=True).fill("Ma Lin")
    page.get_by_label(words["email"], exact=True).fill(address.replace("@", " at "))
    page.get_by_label(words["phone"]).fill("13800138000")
    page.locator("input[type=file]").set_input_files(str(cv))
    page.get_by_label(words["adult"]).check()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_wrong_field_keeps_the_cv_and_focuses_the_error_summary(
    server, page, tmp_path, inbox, screenshot, language
):
    words = WRONG_FIELD[language]
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(CV)
    address = f"ma.lin.{language}@e2e-held.cn"
    application_with_a_wrong_email(page, server, words, cv, address)
    selected = page.locator("select[name=position] option:checked").inner_text()
    assert selected == words["position"]  # the careers page's link chose it
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name=words["send"]).click()
    summary = page.locator("#form-message")
    summary.wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'form-message'")
    assert held_says(page, words["attached"])
    assert page.get_by_label(words["remove"]).is_visible()
    screenshot(page, f"form-held-cv-{language}")
    summary.get_by_role("link").first.click()  # leads to the field, focused
    assert focused_id(page) == "id_email"
    page.get_by_label(words["email"], exact=True).fill(address)
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name=words["send"]).click()  # no file chosen again
    page.get_by_role("heading", name=words["thanks"]).wait_for()
    inbox.wait_for(address)


def test_without_javascript_the_error_summary_comes_first_and_has_the_focus(
    server, page_without_javascript, tmp_path, inbox
):
    page = page_without_javascript
    words = WRONG_FIELD["en"]
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(CV)
    address = "ma.lin.nojs@e2e-held.cn"
    application_with_a_wrong_email(page, server, words, cv, address)
    answer_the_sum(page)
    page.get_by_role("button", name="Send").click()
    page.locator("#form-message").wait_for()
    assert focused_id(page) == "form-message"  # autofocus: no script needed
    assert page.locator("#form-message a").first.get_attribute("href") == "#id_email"
    assert held_says(page, words["attached"])
    page.get_by_label("Email address", exact=True).fill(address)
    answer_the_sum(page)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    inbox.wait_for(address)
