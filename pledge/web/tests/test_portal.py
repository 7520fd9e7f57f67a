"""The privacy portal through the real pages (P01, P14, P15, P18, P19; SECURITY.md H7, C4).

Links arrive over a real SMTP server on loopback, as a person would receive them.
"""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pledge.cases.models import Case, CaseChannel, CaseStatus, Identity, PortalLink
from pledge.cases.portal import link_create, link_open
from pledge.cases.rights import NotYours, rights_erase
from pledge.cases.services import case_identity_set, case_link_send
from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.imports import import_file
from pledge.mail.models import Message, Subscription, SubscriptionStatus
from pledge.people.gate import may
from pledge.people.models import Consent, OptOut, Person
from pledge.people.optouts import contact_suppressed, opted_out
from pledge.people.services import consent_record, person_find_by_email, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

EMAIL = "mei.han@acme-robots.cn"


def human() -> dict:
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


@pytest.fixture
def mei():
    person, _ = person_upsert(
        actor=Actor.system("test"),
        source="web_form",
        email=EMAIL,
        name="Han Mei",
        phone="+86 138 0013 8000",
        company="Acme Robots",
        language="en",
    )
    consent_record(
        person=person,
        subject="list:newsletter",
        granted=True,
        text="Send me the Gonex newsletter",
        language="en",
        method="form",
        actor=Actor.system("test"),
        form="newsletter",
    )
    Subscription.objects.create(
        person=person, list_key="newsletter", status="active", confirmed_at=timezone.now()
    )
    return person


def link_from(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/\S+/privacy/my-data/\S+/|/privacy/my-data/\S+/)", body)[1]


def ask_for_link(client, email, django_capture_on_commit_callbacks, prefix="/en"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"{prefix}/privacy/my-data/", {"email": email, **human()})


@pytest.fixture
def portal_url(mei, client, smtp_server, django_capture_on_commit_callbacks):
    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks)
    return link_from(smtp_server.messages[-1])


# --- Asking for the link: no hint whether the address is known -------------------------------


def test_known_and_unknown_addresses_get_the_same_page_and_the_same_work(
    mei, client, smtp_server, django_capture_on_commit_callbacks
):
    ask_for_link(client, "warm-up@nowhere-known.cn", django_capture_on_commit_callbacks)
    smtp_server.messages.clear()
    pages, queries = [], []
    for email in (EMAIL, "stranger@nowhere-known.cn"):
        with CaptureQueriesContext(connection) as captured:
            response = ask_for_link(client, email, django_capture_on_commit_callbacks)
        assert response.status_code == 200
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text))
        queries.append(len(captured))
    assert pages[0] == pages[1]
    assert queries[0] == queries[1]
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert len(subjects) == 2 and subjects[0] == subjects[1]


def test_the_link_holds_no_address_and_works_once_emailed(portal_url):
    """C4: neither the address nor any part of it travels in the link, plain, percent-encoded
    or base64-encoded (as a signed value would carry it). A random token may hold three
    letters of a name by chance, so what is looked for is long enough never to."""
    import base64

    url = portal_url.lower()
    assert "@" not in url and "%40" not in url
    assert "mei.han" not in url and "acme-robots" not in url
    for part in (EMAIL, "mei.han", "acme-robots.cn"):
        encoded = base64.urlsafe_b64encode(part.encode()).decode().rstrip("=")
        assert encoded[:8].lower() not in url


def test_the_request_form_is_screened_like_every_form(mei, client):
    response = client.post("/en/privacy/my-data/", {"email": EMAIL, "website": "spam", **human()})
    assert response.status_code == 429
    response = client.post("/en/privacy/my-data/", {"email": EMAIL})  # no sum, no proof of work
    assert response.status_code == 429
    assert not PortalLink.objects.exists() and not Message.objects.exists()


# --- Seeing everything --------------------------------------------------------------------


def test_the_link_opens_everything_held_in_the_persons_language(mei, client, portal_url):
    response = client.get(portal_url)
    assert response.status_code == 200
    page = response.text
    for value in ("Han Mei", EMAIL, "+86 138 0013 8000", "Acme Robots", "Gonex newsletter"):
        assert value in page
    assert "Send me the Gonex newsletter" in page  # the consent with its exact words
    chinese = client.get(portal_url.removeprefix("/en"))
    assert "我们持有的关于您的信息" in chinese.text
    # Opening it answered an access request: a case, done, verified by the link.
    case = Case.objects.get(kind="access")
    assert case.status == CaseStatus.DONE and case.identity == Identity.VERIFIED_EMAIL


def test_every_portal_page_is_no_store_and_sends_no_referrer_to_other_sites(
    mei, client, portal_url
):
    """SECURITY.md H7 on every portal page, and the token never leaves in a Referer."""
    responses = [
        client.get("/en/privacy/my-data/"),
        client.get("/en/privacy/my-data/guardian/"),
        client.get(portal_url),
        client.get(portal_url + "correct/"),
        client.get(portal_url + "erase/"),
        client.get(portal_url + "ask/"),
        client.post(portal_url + "download/"),
        client.get("/en/privacy/my-data/not-a-token/"),
    ]
    for response in responses:
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert response["Referrer-Policy"] == "same-origin"


def test_no_address_in_any_link_or_form_of_the_portal(mei, client, portal_url):
    page = client.get(portal_url).text
    for target in re.findall(r'(?:href|action)="([^"]+)"', page):
        assert target.startswith("mailto:service@") or "@" not in target, target


def test_a_forged_or_expired_link_opens_nothing(mei, client, portal_url):
    assert client.get(portal_url.replace("/my-data/", "/my-data/x")).status_code == 404
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(portal_url)
    assert response.status_code == 404 and "Han Mei" not in response.text


def test_a_link_opens_only_its_own_persons_data(mei, client):
    """SECURITY.md Z2: a link grants one person's data, whatever a service is handed."""
    person_upsert(actor=Actor.system("test"), source="web_form", email="other@else-works.cn")
    _link, token = link_create(
        email="other@else-works.cn", language="en", actor=Actor.system("test")
    )
    page = client.get(f"/en/privacy/my-data/{token}/").text
    assert "Han Mei" not in page and "other@else-works.cn" in page
    with pytest.raises(NotYours):
        rights_erase(person=mei, actor=link_open(token).actor)
    assert Person.objects.filter(pk=mei.pk).exists()


# --- Taking, correcting, withdrawing, opting out -----------------------------------------------


def test_the_download_is_a_zip_of_json_and_csv_with_a_readme(mei, client, portal_url):
    response = client.post(portal_url + "download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        assert {"README.txt", "data.json", "csv/people.person.csv"} <= names
        assert "Han Mei" in archive.read("data.json").decode()
        assert "Han Mei" in archive.read("csv/people.person.csv").decode("utf-8-sig")
    assert Case.objects.filter(kind="copy", status=CaseStatus.DONE).exists()


def test_a_download_needs_a_post(mei, client, portal_url):
    assert client.get(portal_url + "download/").status_code == 405


def test_correcting_details_changes_them_and_says_which_not_what(mei, client, portal_url):
    response = client.post(
        portal_url + "correct/", {"name": "Han Meimei", "phone": "", "language": "zh-hans"}
    )
    assert response.status_code == 302
    mei.refresh_from_db()
    assert (mei.name, mei.phone, mei.language) == ("Han Meimei", "", "zh-hans")
    entry = AuditEntry.objects.get(action="person.corrected")
    assert entry.details == {"fields": ["name", "phone", "language"]}
    link = PortalLink.objects.get()
    assert entry.actor_label == f"person:{link.public_id}"  # exactly whose link


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "Han\r\nBcc: victim@example.com", "on one line"),
        ("name", "Han \u202emoc.live", "on one line"),
        ("name", "Han https://evil.example/", "without a web address"),
        ("phone", "call me now", "phone number of 6 to 20 digits"),
    ],
)
def test_a_correction_a_form_would_refuse_is_refused_and_changes_nothing(
    mei, client, portal_url, field, value, says
):
    """I5: the portal accepts nothing into a name or phone that the forms refuse."""
    before = (mei.name, mei.phone)
    answers = {"name": mei.name, "phone": mei.phone, "language": "en", field: value}
    response = client.post(portal_url + "correct/", answers)
    assert response.status_code == 400 and says in response.text
    mei.refresh_from_db()
    assert (mei.name, mei.phone) == before
    assert not AuditEntry.objects.filter(action="person.corrected").exists()


NEW_EMAIL = "mei@han-studio.cn"


def change_email(client, portal_url, smtp_server, django_capture_on_commit_callbacks):
    """Ask for the new address from the portal; returns the answer and the link it was sent."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            portal_url + "correct/", {"name": "Han Mei", "email": NEW_EMAIL, "language": "en"}
        )
    sent = [m for m in smtp_server.messages if NEW_EMAIL in m.recipients]
    return response, (link_from(sent[-1]) if sent else None)


def test_a_new_email_address_takes_effect_only_once_confirmed_from_it(
    mei, client, portal_url, smtp_server, django_capture_on_commit_callbacks
):
    response, confirm_url = change_email(
        client, portal_url, smtp_server, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302 and "done=email_sent" in response["Location"]
    assert confirm_url.endswith("/email/")
    mei.refresh_from_db()
    assert mei.email == EMAIL  # nothing moves until the new address answers
    # Until confirmed, whoever holds the new address sees nothing and can do nothing else.
    token_url = confirm_url.removesuffix("email/")
    for response in (client.get(token_url), client.post(token_url + "download/")):
        assert response.status_code == 302 and response["Location"].endswith("/email/")
    page = client.get(confirm_url)  # a GET (a mail scanner) changes nothing
    assert page.status_code == 200 and NEW_EMAIL in page.text
    mei.refresh_from_db()
    assert mei.email == EMAIL
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url)
    assert response.status_code == 302 and "done=email_changed" in response["Location"]
    assert person_find_by_email(" MEI@Han-Studio.cn ") == mei
    assert person_find_by_email(EMAIL) is None
    told = [m for m in smtp_server.messages if EMAIL in m.recipients][-1]
    assert told["Subject"] == "Your email address with us was changed"
    entry = AuditEntry.objects.filter(action="person.corrected").latest("id")
    assert entry.details == {"fields": ["email"]}  # which field, never the addresses
    assert client.post(confirm_url).status_code == 302  # twice: nothing more happens
    assert Message.objects.filter(kind="portal_email_changed").count() == 1
    # The confirmed link now opens the privacy page; the link to the old address is dead.
    assert client.get(token_url).status_code == 200
    assert client.get(portal_url).status_code == 404  # "This link no longer works"


def test_what_only_the_old_address_found_follows_the_person(
    mei, client, portal_url, smtp_server, django_capture_on_commit_callbacks
):
    # A link asked for before Mei was on record: linked to no one, found by the address.
    early, _ = link_create(email=EMAIL, language="en", actor=Actor.visitor("test"), person=None)
    _, confirm_url = change_email(
        client, portal_url, smtp_server, django_capture_on_commit_callbacks
    )
    client.post(confirm_url)
    early.refresh_from_db()
    assert early.person == mei and early.revoked_at is not None
    assert Message.objects.filter(kind="portal_link", person__isnull=True).count() == 0


def test_address_changes_are_limited_and_only_the_latest_link_works(
    mei, client, portal_url, smtp_server, django_capture_on_commit_callbacks
):
    links = []
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                portal_url + "correct/", {"email": f"mei{n}@han-studio.cn", "language": "en"}
            )
        links.append(link_from(smtp_server.messages[-1]))
    fourth = client.post(portal_url + "correct/", {"email": "mei9@han-studio.cn", "language": "en"})
    assert fourth.status_code == 400 and "three times today" in fourth.text
    assert PortalLink.objects.filter(confirms_email=True).count() == 3
    assert client.get(links[0]).status_code == 404  # only the latest link is live
    client.post(links[-1])
    mei.refresh_from_db()
    assert mei.email == "mei2@han-studio.cn"


def test_an_address_held_for_someone_else_is_refused_with_what_to_do(
    mei, client, portal_url, smtp_server, django_capture_on_commit_callbacks
):
    _, confirm_url = change_email(
        client, portal_url, smtp_server, django_capture_on_commit_callbacks
    )
    person_upsert(
        actor=Actor.system("test"), source="web_form", email=NEW_EMAIL, name="Someone Else"
    )
    response = client.post(confirm_url)
    assert response.status_code == 400
    assert "Ask us" in response.text
    mei.refresh_from_db()
    assert mei.email == EMAIL


def test_a_malformed_address_is_refused_and_nothing_is_sent(mei, client, portal_url):
    response = client.post(portal_url + "correct/", {"email": "mei@", "language": "en"})
    assert response.status_code == 400
    assert "valid email address" in response.text
    assert not Message.objects.filter(kind="portal_email_confirm").exists()
    assert not PortalLink.objects.filter(confirms_email=True).exists()


def test_an_ordinary_portal_link_confirms_no_address(mei, client, portal_url):
    response = client.post(portal_url + "email/")
    assert response.status_code == 302 and response["Location"].endswith(
        portal_url.split("/en")[-1]
    )
    mei.refresh_from_db()
    assert mei.email == EMAIL


def test_withdrawing_a_consent_records_it_and_ends_the_subscription(mei, client, portal_url):
    client.post(portal_url + "consents/", {"subject": "list:newsletter"})
    latest = Consent.objects.filter(person=mei).latest("id")
    assert not latest.granted and latest.method == "portal"
    assert "Gonex newsletter" in latest.text  # the words shown, as proof
    subscription = Subscription.objects.get(person=mei)
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED
    assert "Withdraw:" not in client.get(portal_url).text  # nothing left to withdraw


@pytest.mark.parametrize(
    ("kind", "scope"),
    [
        ("do_not_contact", "person"),  # P01
        ("do_not_contact", "organisation"),  # P01, "or your organisation"
        ("affiliate_sharing", "person"),  # P14
        ("organisation_identification", "person"),  # P15
        ("organisation_identification", "organisation"),  # P15
    ],
)
def test_each_opt_out_can_be_set_and_lifted_from_the_portal(mei, client, portal_url, kind, scope):
    client.post(portal_url + "opt-outs/", {"kind": kind, "scope": scope})
    assert opted_out(mei, kind)
    row = OptOut.objects.get(kind=kind)
    assert row.channel == "portal"
    assert (row.person_id, row.organization_id) == (
        (mei.pk, None) if scope == "person" else (None, mei.organization_id)
    )
    client.post(portal_url + "opt-outs/", {"kind": kind, "scope": scope, "lift": "1"})
    assert not opted_out(mei, kind)


def test_a_do_not_contact_from_the_portal_stops_every_contact_through_the_gate(
    mei, client, portal_url
):
    """P01: the purpose gate, which every outbound path asks, refuses contact uses."""
    colleague, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="wu@acme-robots.cn"
    )
    for person in (mei, colleague):  # both asked to hear from sales, on a form
        consent_record(
            person=person,
            subject="sales",
            granted=True,
            text="Contact me about a demo",
            language="en",
            method="form",
            actor=Actor.system("test"),
        )
    assert may(mei, "sales") and may(colleague, "sales")
    client.post(portal_url + "opt-outs/", {"kind": "do_not_contact", "scope": "person"})
    mei.refresh_from_db()
    assert not may(mei, "sales")
    assert may(colleague, "sales")
    client.post(portal_url + "opt-outs/", {"kind": "do_not_contact", "scope": "organisation"})
    colleague.refresh_from_db()
    assert not may(colleague, "sales")  # "or your organisation"


# --- Erasing --------------------------------------------------------------------------------


def test_erasure_from_the_portal_removes_the_person_and_emails_a_certificate(
    mei, client, portal_url, smtp_server, django_capture_on_commit_callbacks
):
    assert client.post(portal_url + "erase/", {}).status_code == 400  # must confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(portal_url + "erase/", {"confirm": "on"})
    assert response.status_code == 200 and "Erased" in response.text
    assert not Person.objects.filter(pk=mei.pk).exists()
    certificate = smtp_server.messages[-1]
    assert certificate.recipients == [EMAIL]
    assert "Certificate of erasure" in certificate["Subject"]
    text = certificate.get_body(("plain",)).get_content()
    assert "Your details: 1 record" in text and "Consents: 1 record" in text
    assert "Cybersecurity Law, Article 21" in text  # what the law keeps, and why
    assert client.get(portal_url).status_code == 404  # the link died with the data
    case = Case.objects.get(kind="deletion")
    assert case.status == CaseStatus.DONE and case.person is None and case.hold


def test_a_new_form_after_erasure_is_a_new_record(mei, client, portal_url):
    """DESIGN.md's HubSpot note: erasure is not undone by a later form; that form is a new,
    consented record, and an opt-out that stood at erasure still stands."""
    client.post(portal_url + "opt-outs/", {"kind": "do_not_contact", "scope": "person"})
    client.post(portal_url + "erase/", {"confirm": "on"})
    returning, created = person_upsert(actor=Actor.visitor("test"), source="web_form", email=EMAIL)
    assert created and returning.public_id != mei.public_id
    assert returning.name == "" and not returning.consents.exists()
    assert returning.do_not_contact


def test_an_import_does_not_bring_an_erased_person_back(mei, client, portal_url):
    client.post(portal_url + "erase/", {"confirm": "on"})
    csv = f"email,name\n{EMAIL.upper()},Han Mei\nfresh@acme-robots.cn,Fresh Face\n".encode()
    import_file(
        csv,
        source="third_parties",
        basis="legitimate_interests",
        file_name="l.csv",
        actor=Actor.system("test"),
    )
    assert person_find_by_email(EMAIL) is None
    assert person_find_by_email("fresh@acme-robots.cn") is not None
    finished = AuditEntry.objects.get(action="import.finished")
    assert finished.details["skipped_erased"] == 1


# --- Addresses we hold nothing about; guardians (P19) -----------------------------------------


def test_an_unknown_address_sees_nothing_held_and_can_ask_never_to_be_contacted(
    client, smtp_server, django_capture_on_commit_callbacks
):
    ask_for_link(client, "new@nowhere-known.cn", django_capture_on_commit_callbacks)
    url = link_from(smtp_server.messages[-1])
    page = client.get(url)
    assert "We hold nothing about you" in page.text
    client.post(url + "never-contact/")
    assert contact_suppressed("new@nowhere-known.cn")
    assert not Person.objects.exists()


def test_a_guardian_asks_for_a_minor_and_acts_once_verified(
    client, privacy_officer, smtp_server, django_capture_on_commit_callbacks
):
    minor, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="kid@family-mail.cn", name="Xiao Li"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/privacy/my-data/guardian/",
            {
                "guardian_email": "parent@family-mail.cn",
                "child_email": "kid@family-mail.cn",
                "kind": "deletion",
                "declaration": "on",
                **human(),
            },
        )
    assert response.status_code == 200
    case = Case.objects.get(channel=CaseChannel.GUARDIAN)
    assert case.person == minor and case.identity == Identity.UNVERIFIED
    assert ["parent@family-mail.cn"] in [m.recipients for m in smtp_server.messages]  # told
    with pytest.raises(ValueError):  # not before staff verified the guardian
        case_link_send(case=case, actor=Actor.staff(privacy_officer))
    case_identity_set(
        case=case,
        identity=Identity.VERIFIED_STAFF,
        actor=Actor.staff(privacy_officer),
        note="birth record",
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_link_send(case=case, actor=Actor.staff(privacy_officer))
    url = link_from(smtp_server.messages[-1])
    assert smtp_server.messages[-1].recipients == ["parent@family-mail.cn"]
    guardian_link = PortalLink.objects.get(case=case)
    assert "Xiao Li" in client.get(url).text
    client.post(url + "erase/", {"confirm": "on"})
    assert not person_find_by_email("kid@family-mail.cn")
    case.refresh_from_db()
    assert case.status == CaseStatus.DONE  # the guardian's own case, completed by the erasure
    erased = AuditEntry.objects.get(action="person.erased")
    assert erased.actor_label == f"guardian:{guardian_link.public_id}"


def test_a_staff_verification_link_verifies_the_requester(
    mei, client, privacy_officer, smtp_server, django_capture_on_commit_callbacks
):
    from pledge.cases.services import case_open

    case = case_open(
        kind="correction",
        channel="email",
        actor=Actor.staff(privacy_officer),
        requester_email=EMAIL,
        acknowledge=False,
    )
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        case_link_send(
            case=case, actor=Actor.staff(privacy_officer)
        )  # from the English console ...
    case.refresh_from_db()
    assert case.identity == Identity.LINK_SENT
    link = link_from(smtp_server.messages[-1])
    assert not link.startswith("/en/")  # ... for a request in Chinese: the page opens in Chinese
    client.get(link)
    case.refresh_from_db()
    assert case.identity == Identity.VERIFIED_EMAIL
    assert case.verified_by == f"person:{PortalLink.objects.get(case=case).public_id}"


def test_a_link_opened_by_someone_else_does_not_verify_a_case_about_the_person(
    mei, client, privacy_officer, smtp_server, django_capture_on_commit_callbacks
):
    """A case entered about Mei by a requester writing from another address: opening the link
    proves only that address, so the case stays unverified and her data stays closed."""
    from pledge.cases.rights import Refused, rights_archive
    from pledge.cases.services import case_open

    officer = Actor.staff(privacy_officer)
    case = case_open(
        kind="access",
        channel="email",
        actor=officer,
        requester_email="someone.else@example-mail.cn",
        subject_email=EMAIL,
        acknowledge=False,
    )
    assert case.person == mei
    with django_capture_on_commit_callbacks(execute=True):
        case_link_send(case=case, actor=officer)
    client.get(link_from(smtp_server.messages[-1]))
    case.refresh_from_db()
    assert case.identity == Identity.LINK_SENT
    assert AuditEntry.objects.filter(action="case.link_opened", object_id=str(case.public_id))
    with pytest.raises(Refused):
        rights_archive(person=mei, actor=officer, case=case)


def test_no_log_line_carries_a_link_token(mei, client, portal_url):
    """SECURITY.md C4: Django logs the path of a 404, a 405 or a CSRF refusal; the handler's
    filter cuts the token out."""
    import logging

    from pledge.logs import RedactLinkTokens

    token = portal_url.split("/my-data/")[1].strip("/")
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactLinkTokens) for f in handler.filters)
    ]
    assert handlers, "the root handler must carry the token filter"
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    keep.addFilter(RedactLinkTokens())
    logging.getLogger().addHandler(keep)
    try:
        client.get(portal_url + "download/")  # 405
        PortalLink.objects.update(expires_at=timezone.now())
        client.get(portal_url)  # 404
    finally:
        logging.getLogger().removeHandler(keep)
    lines = [record.getMessage() for record in records]
    assert any("Method Not Allowed" in line for line in lines)
    assert any("Not Found" in line for line in lines)
    assert not any(token in line for line in lines)
    assert not any("@" in line for line in lines)


def test_times_show_in_local_time_and_link_secrets_stay_out_of_the_copy(mei, client, portal_url):
    page = client.get(portal_url).text
    assert "+00:00" not in page  # local times for people, ISO in the download
    token = portal_url.split("/my-data/")[1].strip("/")
    download = client.post(portal_url + "download/").content
    with zipfile.ZipFile(io.BytesIO(download)) as archive:
        data = archive.read("data.json").decode()
    assert token not in data and "[a private link, in the recipient's copy only]" in data


def test_changing_the_address_reads_in_chinese(
    mei, client, smtp_server, django_capture_on_commit_callbacks
):
    ask_for_link(client, EMAIL, django_capture_on_commit_callbacks, prefix="")
    portal_url = link_from(smtp_server.messages[-1])
    assert "新的电子邮件地址须通过" in client.get(portal_url + "correct/").text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(portal_url + "correct/", {"email": NEW_EMAIL, "language": "zh-hans"})
    message = [m for m in smtp_server.messages if NEW_EMAIL in m.recipients][-1]
    assert message["Subject"] == "确认您的新电子邮件地址"
    page = client.get(link_from(message))
    assert "使用此地址" in page.text and NEW_EMAIL in page.text
