"""Readable, never raw: every console page, portal page, email and export README, with data
seeded through the real services and forms, in both languages.

A page fails on an internal code (a dotted key such as ``essential.service.operations.support``
or ``mail.queued``, a snake_case key of the inventory such as ``weekday_morning``, a stored
value such as ``contact`` standing alone in a cell, a language code, ``<Model uuid>``), on a
Python value (``['``, ``{'``, ``None``, ``True``/``False``) and, in Chinese, on a code left in
English (``online``, ``cancelled``). Console pages are read from the URL resolver, as the
matrix test does, so a new page is walked the day it is added.
"""

import html
import io
import re
import zipfile
from pprint import pformat

import pytest
from django.urls import URLPattern, get_resolver

from pledge.cases.archive import archive_build
from pledge.cases.models import Case
from pledge.cases.portal import link_create
from pledge.cases.rights.see import sections_of
from pledge.cases.tests.seeding import seed_everything
from pledge.conftest import make_staff
from pledge.inbox.models import InboundMessage
from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.models import ImportBatch, Submission
from pledge.inventory.loader import current_inventory
from pledge.mail.campaigns import notice_acquisition
from pledge.mail.models import Campaign, Message
from pledge.mail.services import message_shown
from pledge.meetings.models import Expert, Lead, LeadNote, LeadStatus, Meeting
from pledge.meetings.tests.conftest import make_expert
from pledge.meetings.tests.test_leads import request_demo
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

LANGUAGES = {"zh-hans": "", "en": "/en"}

PYTHON = re.compile(r"\[\s*'|\{\s*'|\bNone\b|\bTrue\b|\bFalse\b")
MODEL_REFERENCE = re.compile(r"\b[a-z_]+\.[A-Z][A-Za-z]+\b|<[A-Z][A-Za-z]+ [0-9a-f-]{8,}>")
DOTTED = re.compile(r"(?<![\w./@-])[a-z][a-z_]*(?:\.[a-z][a-z_]*)+(?![\w/@-])")
SNAKE = re.compile(r"(?<![\w./@:-])[a-z]+(?:_[a-z]+)+(?![\w/@-])")
URL_OR_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|(?<!\w)/[\w./%~:-]*")
# What a dotted word may be without being a code: a host, a file.
HARMLESS_ENDINGS = (
    "e.g",
    "i.e",
    ".cn",
    ".com",
    ".net",
    ".org",
    ".json",
    ".csv",
    ".txt",
    ".pdf",
    ".ics",
)
# Who acted, as the audit log stores it ("system:test", "staff:alice"): the console names them.
ACTOR_LABEL = re.compile(r"(?<![\w/])(?:staff|system|visitor|person|guardian):[\w.@-]+")
LANGUAGE_CODES = re.compile(r"(?<![\w/-])(zh-hans|zh-Hans)(?![\w/-])")


def stored_codes() -> set[str]:
    """Single-word values the database stores that a reader must never see bare."""
    inventory = current_inventory()
    codes = set(inventory.forms) | {"lead", "meeting", "online", "cancelled", "booked"}
    codes |= set(LeadStatus.values)
    for form in inventory.forms.values():
        for field in form.field_list:
            codes |= {choice.value for choice in field.choices}
    return {code for code in codes if re.fullmatch(r"[a-z]+", code)}


def cookie_names() -> set[str]:
    """Cookies are named as the browser shows them: a name, not a code."""
    return {cookie.name for cookie in current_inventory().cookies.values()}


def people_typed() -> set[str]:
    """What people typed in the seeded data: a campaign's name, an email sent to the mailbox, an
    answer in a form's free-text field, a note. These are a person's own words, shown as typed
    ("ada newsletter", "When is the next event?"), never a code, so they are taken out of a page
    before it is read; a code a page prints beside them is still found."""
    typed = {campaign.name for campaign in Campaign.objects.all()}
    for message in InboundMessage.objects.all():
        typed |= {message.subject, *message.text.splitlines()}
    typed |= {note.text for note in LeadNote.objects.all()}
    inventory = current_inventory()
    for submission in Submission.objects.all():
        form = inventory.forms.get(submission.form)
        for key, value in submission.answers.items():
            declared = form.fields.get(key) if form is not None else None
            if isinstance(value, str) and not (declared and declared.choices):
                typed.add(value)
    # Only sentences: a single word could be a code standing alone.
    return {text.strip() for text in typed if " " in text.strip()}


def typed_removed(text: str, typed: set[str]) -> str:
    for words in sorted(typed, key=len, reverse=True):
        text = text.replace(words, " ")
    return text


def other_languages_removed(page: str, language: str) -> str:
    """The page without what it marks as written in another language (``lang="en"`` on an
    English email's subject or text shown in the Chinese console, as a screen reader needs):
    words in English are right there, so only the Chinese check skips them; every other check
    still reads them."""
    return re.sub(
        r'(?s)<(\w+)\b[^>]*\blang="(?!(?i:' + re.escape(language) + r')")[^"]*"[^>]*>.*?</\1>',
        " ",
        page,
    )


def visible_text(page: str) -> str:
    """What a reader sees: tags, scripts and attribute values gone, entities decoded."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<(select|textarea)\b.*?</\1>", " ", page)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page)


def cells(page: str) -> list[str]:
    """The text of each table cell, definition, list item and heading, on its own."""
    found = re.findall(r"(?s)<(td|dd|li|h1|h2|p)\b[^>]*>(.*?)</\1>", page)
    return [html.unescape(re.sub(r"<[^>]+>", "", inner)).strip() for _tag, inner in found]


def raw_found(
    text: str, *, language: str, codes: set[str], page: str = "", native: str | None = None
) -> list[str]:
    """Every raw key, Python value or untranslated code in ``text`` (what a reader sees);
    ``native`` is the part of it written in the page's own language (all of it by default)."""
    problems = [match[0] for match in PYTHON.finditer(text)]
    problems += [match[0] for match in MODEL_REFERENCE.finditer(text)]
    problems += [match[0] for match in LANGUAGE_CODES.finditer(text)]
    problems += [match[0] for match in ACTOR_LABEL.finditer(text)]
    plain = URL_OR_ADDRESS.sub(" ", text)
    problems += [
        match[0] for match in DOTTED.finditer(plain) if not match[0].endswith(HARMLESS_ENDINGS)
    ]
    names = cookie_names()
    problems += [match[0] for match in SNAKE.finditer(plain) if match[0] not in names]
    # A code standing after a colon at a line's end ("A new lead for you: contact").
    problems += [
        match[1] for match in re.finditer(r"[:：]\s*([a-z]+)\s*$", plain, re.M) if match[1] in codes
    ]
    if language == "zh-hans":
        native = URL_OR_ADDRESS.sub(" ", text if native is None else native)
        problems += [
            word for word in re.findall(r"(?<![\w/.-])[a-z]+(?![\w/.-])", native) if word in codes
        ]
    if page:
        problems += [cell for cell in cells(page) if cell in codes]
    return problems


def page_found(page: str, *, language: str, codes: set[str], typed: set[str]) -> list[str]:
    """What a reader of the page would see raw (see ``raw_found``), people's own words apart."""
    return raw_found(
        typed_removed(visible_text(page), typed),
        language=language,
        codes=codes,
        page=page,
        native=typed_removed(visible_text(other_languages_removed(page, language)), typed),
    )


def console_patterns() -> list[URLPattern]:
    for prefix, namespace in get_resolver().namespace_dict.items():
        if prefix == "console":
            return list(namespace[1].url_patterns)
    raise AssertionError("no console namespace")


def post_form(client, prefix: str, form: str, data: dict):
    question = sum_issue()
    data = {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right), **data}
    response = client.post(f"{prefix}/{form}/", data)
    assert response.status_code == 200, response.content.decode()[:1500]


@pytest.fixture
def seeded(db, client):
    """A person in every table, and leads of every sales form sent through the real forms in
    both languages, with a booked demo and a cancelled one."""
    from pledge.inventory.services import policy_publish
    from pledge.meetings.tests.conftest import policy  # noqa: F401  (a published policy)

    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    expert = make_expert("sam")
    everything = seed_everything("ada")
    for language, prefix in LANGUAGES.items():
        request_demo(
            client,
            f"demo-{language}@example-co.cn",
            language_prefix=prefix,
            sales_follow_up="on",
            share_group="on",
            future_communications="on",
            preferred_times=["weekday_morning", "weekday_evening"],
        )
        post_form(
            client,
            prefix,
            "contact",
            {
                "name": "Lin Qing",
                "email": f"contact-{language}@example-co.cn",
                "company": "Example Co",
                "inquiry_type": "distributor",
                "subject": "Pricing",
                "message": "How much is it?",
                "sales_follow_up": "on",
            },
        )
        post_form(
            client,
            prefix,
            "interest",
            {
                "name": "Wu Lei",
                "email": f"interest-{language}@example-co.cn",
                "employer": "Example Co",
                "topic": "support",
                "heard_about": "event",
                "business_need": "A service desk",
                "campaign_insights": "on",
            },
        )
    demo = Lead.objects.filter(form="demo").first()
    meeting = Meeting.objects.filter(lead__person=everything.person).first()
    Meeting.objects.create(
        lead=demo,
        expert=expert,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        mode="in_person",
        status="cancelled",
        location="Gonex office",
    )
    Lead.objects.filter(pk=demo.pk).update(status=LeadStatus.CONTACTED)
    notice_acquisition(
        acquirer="Example Holdings",
        summary={
            "zh-hans": "您的数据将由新公司保管。",
            "en": "Your data will be kept by the new company.",
        },
        actor=Actor.system("test"),
    )
    return everything


def test_every_console_page_reads_as_words(seeded, client_for):
    administrator = make_staff("root", superuser=True)
    client = client_for(administrator)
    person = seeded.person
    lead = Lead.objects.filter(form="demo").first()
    samples = {
        "people/<uuid:public_id>": f"people/{lead.person.public_id}",
        "cases/<uuid:public_id>": f"cases/{Case.objects.filter(person=person).first().public_id}",
        "outbox/<uuid:public_id>": f"outbox/{Message.objects.filter(kind='lead_assigned').first().public_id}",
        "leads/<uuid:public_id>": f"leads/{lead.public_id}",
        "organizations/<uuid:public_id>": f"organizations/{person.organization.public_id}",
        "import/<uuid:public_id>": f"import/{ImportBatch.objects.first().public_id}",
        "campaigns/<uuid:public_id>": f"campaigns/{Campaign.objects.filter(kind='list').first().public_id}",
        "notices/<uuid:public_id>": f"notices/{Campaign.objects.exclude(kind='list').first().public_id}",
        "inbox/<uuid:public_id>": f"inbox/{InboundMessage.objects.first().public_id}",
        "<str:language>": "en",
        "<path:processing>": "organisation_identification",
        "<int:expert_id>": Expert.objects.first().pk,
        "<int:user_id>": administrator.pk,
        "<int:index>": 0,
    }
    extra = [f"people/{person.public_id}/", "audit/?action=", "leads/?status=contacted"]
    codes = stored_codes()
    typed = people_typed()
    failures = {}
    for language, prefix in LANGUAGES.items():
        routes = []
        for pattern in console_patterns():
            if pattern.name in {"login", "verify", "enrol", "logout", "case_export"}:
                continue
            route = str(pattern.pattern)
            for converter, value in samples.items():
                route = route.replace(converter, str(value))
            routes.append(route)
        for route in routes + extra:
            url = f"{prefix}/console/{route}"
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            page = response.content.decode()
            found = page_found(page, language=language, codes=codes, typed=typed)
            if found:
                failures[url] = sorted(set(found))[:12]
    assert not failures, "\n" + pformat(failures, width=100)


def test_the_portal_reads_as_words(seeded, client):
    codes = stored_codes()
    typed = people_typed()
    failures = {}
    for language, prefix in LANGUAGES.items():
        lead = Lead.objects.filter(form="demo", language=language).first()
        _link, token = link_create(
            email=lead.person.email,
            language=language,
            actor=Actor.system("test"),
            person=lead.person,
        )
        for path in ("", "correct/", "erase/", "ask/", "never-contact/"):
            url = f"{prefix}/privacy/my-data/{token}/{path}"
            response = client.get(url)
            if response.status_code != 200:
                continue
            page = response.content.decode()
            found = page_found(page, language=language, codes=codes, typed=typed)
            if found:
                failures[url] = sorted(set(found))[:12]
    assert not failures, "\n" + pformat(failures, width=100)


def test_every_email_reads_as_words(seeded):
    codes = stored_codes()
    failures = {}
    for message in Message.objects.all():
        text = f"{message.subject}\n{message_shown(message)}"
        found = raw_found(text, language=message.language, codes=codes)
        if found:
            failures[f"{message.kind} ({message.language})"] = sorted(set(found))[:12]
    assert not failures, "\n" + pformat(failures, width=100)


def test_the_export_readme_reads_as_words(seeded):
    codes = stored_codes()
    failures = {}
    for language in LANGUAGES:
        person = seeded.person
        content = archive_build(
            person=person, sections=sections_of(person), files=[], language=language
        )
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            readme = archive.read("README.txt").decode()
        readme = re.sub(r"csv/[\w.*-]+\.csv", " ", readme)
        found = raw_found(readme, language=language, codes=codes)
        found += re.findall(r"\(P\d\d\)", readme)
        if found:
            failures[language] = sorted(set(found))
    assert not failures, "\n" + pformat(failures, width=100)
