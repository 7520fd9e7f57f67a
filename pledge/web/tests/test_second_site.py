"""A second site, end to end: nothing Pledge renders names Gonex unless the site folder does.

PLEDGE_SITE points at sites/example/ (Northwind Analytics, a fictional company) for every test
here. Every public page in both languages, the policies and their versions, the emails a visitor
sets off (a form, a subscription, a demo booked, moved and cancelled with its .ics invites, a
privacy portal link), every mail template and the delivered messages' headers must carry the
second site's name and never "gonex" nor "letsgonex".
"""

import re
import shutil
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail as django_mail
from django.utils import translation

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.inventory.loader import current_site, site_cache_clear, site_load
from pledge.inventory.services import policy_publish
from pledge.mail.models import Message
from pledge.mail.services import render_message
from pledge.meetings.models import Availability, Expert
from pledge.tracking import declarations
from pledge.vault.access import Role

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

EXAMPLE = Path(django_settings.BASE_DIR) / "sites" / "example"
NAMES = {"en": "Northwind Analytics", "zh-hans": "北风分析"}
PREFIXES = {"en": "/en", "zh-hans": ""}
FORBIDDEN = re.compile("gonex", re.IGNORECASE)  # also catches letsgonex

# Every page of web/urls.py that needs no private token (those are reached through the emails).
PUBLIC_PAGES = (
    "/",
    "/cookie-settings/",
    "/privacy/",
    "/privacy/versions/",
    "/privacy/v/1/",
    "/privacy/v/2/",
    "/privacy/diff/1/2/",
    "/privacy/my-data/",
    "/privacy/my-data/guardian/",
    "/cookies/",
    "/cookies/v/1/",
    "/demo/",
    "/interest/",
    "/contact/",
    "/feedback/",
    "/careers/",
    "/careers/apply/",
    "/newsletter/",
    "/account/register/",
    "/account/login/",
    "/no-such-page/",  # the 404 page
)


def assert_clean(text: str, where: str) -> None:
    match = FORBIDDEN.search(text)
    assert match is None, (
        f"{where} names Gonex: …{text[max(0, match.start() - 80) : match.end() + 80]}…"
    )


def human() -> dict:
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


@pytest.fixture(autouse=True)
def northwind(settings, tmp_path):
    """Serve sites/example/ with two published policy versions (the second from an edited copy)."""
    settings.SITE_DIR = EXAMPLE
    site_cache_clear()
    declarations.declarations_cache_clear()
    policy_publish(summary={"en": "First version"}, material=True, published_by="test")
    copy = tmp_path / "example-v2"
    shutil.copytree(EXAMPLE, copy)
    inventory = copy / "inventory.toml"
    inventory.write_text(
        inventory.read_text(encoding="utf-8").replace(
            "retention_days = 730", "retention_days = 700", 1
        ),
        encoding="utf-8",
    )
    policy_publish(
        summary={"en": "Shorter retention", "zh-hans": "缩短保存期限。"},
        material=False,
        published_by="test",
        site=site_load(copy),
    )
    yield current_site()
    site_cache_clear()
    declarations.declarations_cache_clear()


@pytest.fixture
def analyst(db):
    """A sales expert of Northwind's own (the suite's personas have Gonex addresses)."""
    user = get_user_model().objects.create_user(
        username="ana",
        email="ana@northwind.example",
        password="ana has a long pass phrase",
        is_staff=True,
    )
    user.groups.set(Group.objects.filter(name=Role.SALES_EXPERT))
    expert = Expert.objects.create(
        user=user,
        display_name="Ana",
        languages=["zh-hans", "en"],
        forms=["demo", "interest", "contact"],
        meeting_link="https://meet.northwind.example/ana",
        office_address="Northwind Analytics, 1 Example Road, Shanghai",
    )
    for weekday in range(7):
        Availability.objects.create(expert=expert, weekday=weekday, start=time(9), end=time(18))
    return expert


def test_the_example_site_loads_with_its_own_words(northwind):
    assert str(northwind.name.get("en")) == "Northwind Analytics"
    # No sender declared: the name in the site's default language and the service mailbox.
    assert northwind.sender == "北风分析 <privacy@northwind.example>"
    assert northwind.sender == django_settings.DEFAULT_FROM_EMAIL
    assert django_settings.OTP_TOTP_ISSUER() == "Northwind Analytics"
    for path in (EXAMPLE / "site.toml", EXAMPLE / "inventory.toml", *EXAMPLE.rglob("*.html")):
        assert_clean(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_public_page_names_the_second_site_and_never_gonex(client, language):
    prefix = PREFIXES[language]
    for path in PUBLIC_PAGES:
        response = client.get(prefix + path)
        expected = 404 if path == "/no-such-page/" else 200
        assert response.status_code == expected, (path, response.status_code)
        text = response.content.decode()
        assert_clean(text, prefix + path)
        assert NAMES[language] in text, f"{prefix + path} does not name the site"
        if path in ("/", "/careers/"):
            assert "northwind.example" in text  # the footer's domain and mailbox
    proof = client.get(prefix + "/cookie-settings/proof.json")
    assert proof.status_code == 200
    assert_clean(proof.content.decode(), "proof.json")


def test_the_pages_say_the_sites_own_words(client):
    home = client.get("/en/").content.decode()
    assert "Data you can read" in home and "One page a week" in home
    assert "Northwind Analytics (Shanghai) Ltd." in home  # the legal entity in the footer
    assert 'href="mailto:privacy@northwind.example"' in home
    assert "/static/site/site.css" in home and "/static/site/logo.svg" in home
    assert "看得懂的数据" in client.get("/").content.decode()
    careers = client.get("/careers/").content.decode()
    assert "加入 北风分析" in careers and "数据分析师" in careers
    policy = client.get("/en/privacy/").content.decode()
    assert "privacy@northwind.example" in policy


def test_the_downloads_are_the_sites_own(client):
    client.post(
        "/en/account/register/",
        {
            "name": "Reader",
            "email": "reader@customer.example",
            "password": "a long enough pass phrase 42",
            "age_band": "18_and_over",
            **human(),
        },
    )
    page = client.get("/en/account/")
    if page.status_code != 200:  # registration signs in where the form allows; else log in
        client.post(
            "/en/account/login/",
            {"email": "reader@customer.example", "password": "a long enough pass phrase 42"},
        )
        page = client.get("/en/account/")
    text = page.content.decode()
    assert page.status_code == 200 and "Data sheet" in text
    assert_clean(text, "/en/account/")
    download = client.get("/en/account/downloads/northwind-data-sheet.pdf")
    assert download.status_code == 200
    assert b"Northwind" in b"".join(download.streaming_content)
    assert client.get("/en/account/downloads/gonex-product-overview.pdf").status_code == 404


def stored_mail_is_clean(messages) -> None:
    for message in messages:
        where = f"{message.kind} ({message.language})"
        for text in (message.subject, message.body_text, message.body_html):
            assert_clean(text, where)
        assert_clean(repr(message.headers), where)
        for attachment in message.attachments:
            assert_clean(attachment["content"], f"{where}: {attachment['filename']}")


def delivered_mail_is_clean() -> None:
    assert django_mail.outbox
    for delivered in django_mail.outbox:
        raw = delivered.message().as_string()
        assert "privacy@northwind.example" in delivered.from_email
        assert_clean(raw, f"delivered {delivered.subject}")
        for alternative, _mimetype in getattr(delivered, "alternatives", []):
            assert_clean(str(alternative), f"delivered {delivered.subject} (html)")
        for attachment in delivered.attachments:
            assert_clean(str(attachment), f"delivered {delivered.subject} (attachment)")


def delivered_link(pattern: str) -> str:
    """The private link of the delivered copy (the stored one holds a placeholder)."""
    for delivered in reversed(django_mail.outbox):
        match = re.search(pattern, delivered.body)
        if match:
            return match[1]
    raise AssertionError(f"no delivered message has {pattern}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_emails_and_invites_of_a_visitors_journey_name_only_the_second_site(
    client, analyst, language, django_capture_on_commit_callbacks
):
    prefix = PREFIXES[language]
    with django_capture_on_commit_callbacks(execute=True):
        # A demo request: the visitor's confirmation, the staff note, the lead's assignment and
        # the booking invitation.
        response = client.post(
            f"{prefix}/demo/",
            {
                "name": "Vic Tor",
                "email": "vic@customer.example",
                "company": "Customer Co",
                "meeting_mode": "online",
                "preferred_times": ["weekday_morning"],
                **human(),
            },
        )
        assert response.status_code == 200, response.content.decode()[:1500]
        assert_clean(response.content.decode(), "the demo form's answer")
        # A contact message and a newsletter subscription (double opt-in).
        client.post(
            f"{prefix}/contact/",
            {
                "name": "Vic Tor",
                "email": "vic@customer.example",
                "inquiry_type": "general",
                "subject": "A question",
                "message": "Do you report weekly?",
                **human(),
            },
        )
        client.post(
            f"{prefix}/newsletter/",
            {"email": "reader@customer.example", "lists": ["newsletter"]} | human(),
        )
        # A privacy portal link.
        client.post(f"{prefix}/privacy/my-data/", {"email": "vic@customer.example", **human()})

    booking = delivered_link(r"(/(?:en/)?demo/booking/[^/\s]+/)")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(booking).content.decode()
        assert_clean(page, "the booking page")
        first, second = re.findall(r'name="slot" value="(\w+)"', page)[:2]
        for path, data in (
            (booking, {"action": "book", "slot": first}),
            (booking, {"action": "book", "slot": second}),  # rescheduled
            (booking + "cancel/", {"reason": "A clash"}),
        ):
            answer = client.post(path, data)
            assert answer.status_code == 200
            assert_clean(answer.content.decode(), f"the booking page after {path} {data}")

    kinds = set(Message.objects.values_list("kind", flat=True))
    assert {
        "submission_received",
        "staff_submission",
        "booking_invitation",
        "meeting_confirmed",
        "meeting_rescheduled",
        "meeting_cancelled",
        "subscription_confirm",
        "portal_link",
    } <= kinds, kinds
    messages = list(Message.objects.all())
    stored_mail_is_clean(messages)
    visitor_mail = [m for m in messages if m.to == "vic@customer.example"]
    for message in visitor_mail:
        assert NAMES[language] in message.subject + message.body_text, message.kind
    invites = [a["content"] for m in messages for a in m.attachments]
    assert invites and all("PRODID:-//Pledge//Northwind Analytics" in ics for ics in invites)
    assert all("mailto:privacy@northwind.example" in ics for ics in invites)
    delivered_mail_is_clean()

    # The portal, opened from its emailed link.
    portal = delivered_link(r"(/(?:en/)?privacy/my-data/[^/\s]+/)")
    for path in ("", "correct/", "erase/", "ask/"):
        response = client.get(portal + path)
        assert response.status_code == 200, (portal + path, response.status_code)
        assert_clean(response.content.decode(), portal + path)


MAIL_KINDS = sorted(
    {
        path.name.removesuffix("-subject.txt")
        for root in Path(django_settings.BASE_DIR, "pledge").glob("*/templates/mail")
        for path in root.glob("*-subject.txt")
    }
)


# Whatever a template prints; the counters of its plurals must be numbers.
CONTEXT = {"site_url": "https://x.test", "days": 30, "days_left": 3, "hours": 2, "count": 1}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_mail_template_names_gonex(language):
    """Every template trio, whatever its context: the site's words come from the folder."""
    assert "submission_received" in MAIL_KINDS and "meeting_erased" in MAIL_KINDS
    with translation.override(language):
        for kind in MAIL_KINDS:
            subject, text, html = render_message(kind, language, CONTEXT)
            for rendered in (subject, text, html):
                assert_clean(rendered, f"mail/{kind} ({language})")


def test_a_site_folder_missing_its_page_texts_or_files_does_not_load(site_copy):
    (site_copy.directory / "downloads" / "gonex-product-overview.pdf").unlink()
    (site_copy.directory / "static" / "logo.svg").unlink()
    assert {problem.code for problem in site_copy.problems()} == {"E051", "E052"}
    (site_copy.directory / "site.toml").unlink()
    assert [problem.code for problem in site_copy.problems()] == ["E050"]


def test_the_sender_is_a_header_mail_servers_read_whatever_the_name(site_copy):
    """A name with a comma or brackets is quoted, not cut; a sender that is not one address
    stops loading with the line to fix."""
    site_copy.edit(
        'name = { zh-hans = "Gonex", en = "Gonex" }',
        'name = { zh-hans = "Gonex, Inc. (China)", en = "Gonex, Inc. (China)" }',
    )
    site_copy.edit('sender = "', '# sender = "', file="site.toml")
    assert site_copy.load().sender == '"Gonex, Inc. (China)" <service@letsgonex.com>'
    site_copy.edit(
        '# sender = "', 'sender = "two@example.com, senders@example.com" # "', file="site.toml"
    )
    (problem,) = site_copy.problems()
    assert problem.code == "E005" and "site.toml, line 10: sender is" in str(problem)
