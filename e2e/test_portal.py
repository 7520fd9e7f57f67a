"""The privacy portal in a real browser: ask for the link, open it, download everything,
withdraw a consent, erase, and receive the certificate (P18, P17, P21; SECURITY.md H7)."""

import io
import json
import re
import zipfile

import pytest

pytestmark = pytest.mark.browser

SEED = """
from pledge.people.services import consent_record, person_upsert
from pledge.vault.actors import Actor
person, _ = person_upsert(
    actor=Actor.system("e2e.seed"), source="web_form", email={email!r}, name={name!r}, language="en"
)
consent_record(
    person=person, subject="list:newsletter", granted=True, text="Send me the newsletter",
    language="en", method="form", actor=Actor.system("e2e.seed"), form="newsletter",
)
"""


def seed(server, email: str, name: str) -> None:
    server.pledge("shell", "-c", SEED.format(email=email, name=name))


def portal_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/privacy/my-data/\S+/", body).group(0)


def answer_the_sum(page):
    label = page.locator(".human-sum label").inner_text()
    left, right = map(int, re.findall(r"(\d+)\s*\+\s*(\d+)", label)[0])
    page.locator(".human-sum input[type=text]").fill(str(left + right))


def test_see_download_withdraw_and_erase_with_javascript(server, page, requested_hosts, inbox):
    email = "lin.yue@e2e-portal.cn"
    seed(server, email, "Lin Yue")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(server.url + "/en/privacy/my-data/")
    page.get_by_label("Your email address").fill(email)
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)  # proof of work done
    page.get_by_role("button", name="Email me the link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    link = portal_link(inbox.wait_for(email, subject="Your link"))
    assert "@" not in link  # C4
    response = page.goto(link)
    assert "no-store" in response.headers["cache-control"]  # H7
    page.get_by_role("heading", name="What we hold about you").wait_for()
    assert "Lin Yue" in page.content() and "Send me the newsletter" in page.content()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download everything").click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert {"README.txt", "data.json"} <= set(archive.namelist())
        data = json.loads(archive.read("data.json"))
        assert data["sections"]["people.person"]["records"][0]["name"] == "Lin Yue"

    page.get_by_role("button", name="Withdraw: Gonex newsletter").click()
    page.locator("#portal-done").wait_for()
    assert "Your consent is withdrawn." in page.locator("#portal-done").inner_text()
    assert not page.get_by_role("button", name="Withdraw: Gonex newsletter").count()

    page.get_by_role("link", name="Erase everything").click()
    page.get_by_label("Yes, erase everything").check()
    page.get_by_role("button", name="Erase everything now").click()
    page.get_by_role("heading", name="Erased").wait_for()

    certificate = inbox.wait_for(email, subject="Certificate of erasure")
    text = certificate.get_body(("plain",)).get_content()
    assert "Your details: 1 record" in text and "Cybersecurity Law" in text
    assert not errors, errors  # no CSP violation, no script error
    assert page.goto(link).status == 404  # the link died with the data
    assert set(requested_hosts) == {server.host}  # P21


def test_ask_for_the_link_without_javascript_in_chinese(server, page_without_javascript, inbox):
    page = page_without_javascript
    email = "zhou.xin@e2e-portal.cn"
    seed(server, email, "周欣")
    page.goto(server.url + "/privacy/my-data/")
    page.get_by_label("您的电子邮件地址").fill(email)
    answer_the_sum(page)
    page.get_by_role("button", name="给我发送链接").click()
    page.get_by_role("heading", name="请查看您的收件箱").wait_for()
    link = portal_link(inbox.wait_for(email))
    page.goto(link.replace("/en/", "/"))
    page.get_by_role("heading", name="我们持有的关于您的信息").wait_for()
    assert "周欣" in page.content()
