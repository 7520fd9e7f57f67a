"""The seven forms through the real pages: declared fields only, consented, versioned, audited."""

import html
import re

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.models import (
    BlockedCount,
    Feedback,
    FeedbackReplyAddress,
    GuardianPending,
    GuardianState,
    StoredFile,
    Submission,
)
from pledge.inventory.loader import current_inventory
from pledge.inventory.services import policy_publish
from pledge.mail.models import Message, Subscription, SubscriptionRequest
from pledge.people.models import Account, Consent, Person
from pledge.people.services import person_find_by_email
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def published_policy(db):
    return policy_publish(summary={"en": "First version"}, material=True, published_by="test")


def human() -> dict:
    """What a person without JavaScript adds: the answer to the form's small sum."""
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


def post(client, path, data, **extra):
    return client.post(path, {**data, **human()}, **extra)


DEMO = {
    "name": "王小明",
    "email": "Wang.XiaoMing@Example-Corp.cn",
    "company": "示例科技有限公司",
    "phone": "+86 138 0013 8000",
    "meeting_mode": "online",
    "preferred_times": ["weekday_morning"],
    "interests": "客户管理",
}


def test_a_demo_request_creates_the_person_and_a_stamped_submission(client, published_policy):
    response = post(client, "/demo/", DEMO)
    assert response.status_code == 200, response.content.decode()[:2000]
    person = person_find_by_email("wang.xiaoming@example-corp.cn")
    assert person.name == "王小明"
    assert person.organization.domain == "example-corp.cn"
    submission = Submission.objects.get(person=person)
    assert submission.form == "demo"
    assert submission.policy_version == published_policy.number
    assert submission.source == "web_form"
    assert submission.answers["meeting_mode"] == "online"
    assert AuditEntry.objects.filter(
        action="submission.received", object_id=str(submission.public_id)
    ).exists()


def test_the_visitor_and_the_mailbox_are_emailed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "/en/demo/", DEMO)
    kinds = sorted(Message.objects.values_list("kind", flat=True))
    assert kinds == ["staff_submission", "submission_received"]
    visitor_mail = next(
        m for m in django_mail.outbox if "Wang" in m.to[0] or "wang" in m.to[0].lower()
    )
    assert "book" in visitor_mail.body.lower()
    staff_mail = next(m for m in django_mail.outbox if m.to == ["service@letsgonex.com"])
    assert "王小明" not in staff_mail.body and "example-corp" not in staff_mail.body.lower()


def test_the_same_address_in_another_case_is_the_same_person(client):
    post(client, "/demo/", DEMO)
    post(
        client,
        "/contact/",
        {
            "name": "Wang Xiaoming",
            "email": "  WANG.XIAOMING@example-corp.CN ",
            "subject": "Licensing",
            "message": "Hello",
            "inquiry_type": "licensor",
        },
    )
    assert Person.objects.count() == 1
    assert Submission.objects.count() == 2


def test_undeclared_fields_are_never_stored_p04_z4(client):
    post(client, "/demo/", {**DEMO, "is_staff": "1", "salary": "secret-value", "granted": "true"})
    submission = Submission.objects.get()
    assert set(submission.answers) <= {
        "name",
        "email",
        "company",
        "phone",
        "meeting_mode",
        "preferred_times",
        "interests",
    }
    assert "secret-value" not in str(submission.answers)


def test_a_bad_email_is_explained_next_to_its_field_and_the_rest_is_kept(client):
    response = post(client, "/en/demo/", {**DEMO, "email": "not-an-address"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_email_error"' in page
    assert "Enter a valid email address." in page
    assert "示例科技有限公司" in page  # the other answers are still there
    assert not Submission.objects.exists() and not Person.objects.exists()


def test_no_consent_box_is_ticked_in_advance_p17(client):
    for path in ("/demo/", "/interest/", "/contact/", "/account/register/", "/newsletter/"):
        page = client.get(path).content.decode()
        assert not re.search(r'<input[^>]*type="checkbox"[^>]*checked', page), path


def test_a_ticked_consent_is_recorded_with_the_exact_words(client, published_policy):
    post(client, "/en/demo/", {**DEMO, "future_communications": "on"})
    consent = Consent.objects.get(method="form")
    assert consent.subject == "marketing.communications.email"
    assert consent.granted and consent.method == "form" and consent.form == "demo"
    assert consent.language == "en"
    assert consent.policy_version == published_policy.number
    page = client.get("/en/demo/").content.decode()
    assert html.escape(consent.text) in page


def test_an_unticked_consent_records_nothing(client):
    post(client, "/demo/", DEMO)
    assert not Consent.objects.filter(subject="marketing.communications.email").exists()


def test_sending_a_form_is_consent_only_to_answering_the_request_with_the_notice_words(
    client, published_policy
):
    """PIPL Art. 14: no bundled consent. Sales follow-up needs its own box (test_consents.py)."""
    post(client, "/en/demo/", DEMO)
    assert set(Consent.objects.values_list("subject", flat=True)) == {
        "essential.service.operations.support"
    }
    consent = Consent.objects.get()
    assert consent.method == "form_submission"
    assert consent.text == (
        "Sending this form means you agree that we use your information for: Answering your "
        "requests and communicating with you, under our privacy policy, version "
        f"{published_policy.number}. Anything more is asked with its own box, which only you "
        "tick; we answer your request whether or not you tick any."
    )
    assert html.escape(consent.text) in client.get("/en/demo/").content.decode()


def test_feedback_is_stored_without_any_person_p20(client):
    response = post(
        client,
        "/feedback/",
        {
            "reply_email": "reply-to-me@example.cn",
            "product_comments": "软件很好用",
            "website_comments": "页面清晰",
        },
    )
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert "reply-to-me" not in str(feedback.answers)
    assert not Person.objects.exists() and not Submission.objects.exists()
    reply = FeedbackReplyAddress.objects.get(feedback=feedback)
    assert reply.email == "reply-to-me@example.cn"
    declared = current_inventory().forms["feedback"].fields["reply_email"].retention_days
    assert round((reply.delete_after - feedback.created_at).total_seconds() / 86400) == declared
    assert [f.name for f in Feedback._meta.get_fields() if f.is_relation] == ["reply_to"]


def test_a_job_application_keeps_the_cv_encrypted(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post(
        client,
        "/careers/apply/",
        {
            "name": "Li Lei",
            "email": "li.lei@example.cn",
            "phone": "13800138000",
            "position": "engineer",
            "age_band": "18_and_over",
            "cv": SimpleUploadedFile("li-lei.pdf", PDF + b"cv-marker"),
        },
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    stored = StoredFile.objects.get()
    assert stored.original_name == "li-lei.pdf"
    on_disk = (tmp_path / "private" / stored.stored_name).read_bytes()
    assert b"cv-marker" not in on_disk
    assert Submission.objects.get().guardian == GuardianState.ADULT


def test_an_applicant_under_14_leaves_nothing_until_a_guardian_confirms_p19(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = post(
        client,
        "/en/careers/apply/",
        {
            "name": "Xiao Hong",
            "email": "xiaohong@example.cn",
            "phone": "13800138001",
            "position": "engineer",
            "age_band": "under_13",
            "guardian_email": "parent@example.cn",
            "cv": SimpleUploadedFile("cv.pdf", PDF),
        },
    )
    assert response.status_code == 200
    assert "We have asked your parent or guardian" in response.content.decode()
    assert not Person.objects.exists() and not Submission.objects.exists()
    pending = GuardianPending.objects.get()
    assert pending.guardian_email == "parent@example.cn"
    guardian_mail = Message.objects.get(kind="guardian_consent")
    token = re.search(r"/guardian/([^/\s]+)/", guardian_mail.private_links["link"]).group(1)

    page = client.get(f"/en/guardian/{token}/")
    assert "Xiao Hong" in page.content.decode()
    assert not Person.objects.exists()  # reading is not agreeing
    client.post(f"/en/guardian/{token}/")
    submission = Submission.objects.get()
    assert submission.guardian == GuardianState.CONFIRMED
    assert submission.person.email == "xiaohong@example.cn"
    assert StoredFile.objects.get().submission == submission
    assert not GuardianPending.objects.exists()
    assert client.get(f"/en/guardian/{token}/").status_code == 404  # used once


def test_an_applicant_aged_14_to_17_is_recorded_with_a_guardian_involved(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    post(
        client,
        "/careers/apply/",
        {
            "name": "Han Mei",
            "email": "hanmei@example.cn",
            "phone": "13800138002",
            "position": "engineer",
            "age_band": "14_to_17",
            "cv": SimpleUploadedFile("cv.pdf", PDF),
        },
    )
    assert Submission.objects.get().guardian == GuardianState.INVOLVED


def test_newsletter_subscribes_nobody_until_the_link_is_followed(client):
    response = post(
        client, "/en/newsletter/", {"email": "reader@example.cn", "lists": ["newsletter"]}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscription.objects.exists() and not Person.objects.exists()
    body = Message.objects.get(kind="subscription_confirm").private_links["link"]
    token = re.search(r"/newsletter/confirm/([^/\s]+)/", body).group(1)
    client.get(f"/en/newsletter/confirm/{token}/")
    assert not Subscription.objects.exists()  # a link scanner's GET subscribes nobody
    client.post(f"/en/newsletter/confirm/{token}/")
    subscription = Subscription.objects.get()
    assert subscription.list_key == "newsletter" and subscription.status == "active"
    assert Consent.objects.get(subject="list:newsletter").method == "double_opt_in"
    assert not SubscriptionRequest.objects.exists()


def test_an_account_is_created_and_opens_the_downloads(client):
    assert client.get("/account/").status_code == 302
    response = post(
        client,
        "/en/account/register/",
        {
            "name": "Zhao Lei",
            "email": "zhao.lei@example.cn",
            "password": "correct horse battery staple",
            "age_band": "18_and_over",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/en/account/"  # signed in at once (tests/test_accounts.py)
    account = Account.objects.get()
    assert account.user.email == "" and "zhao" not in account.user.username
    client.post("/en/account/logout/")
    assert client.get("/account/").status_code == 302
    response = client.post(
        "/en/account/login/",
        {
            "email": "ZHAO.LEI@example.cn",
            "password": "correct horse battery staple",
        },
    )
    assert response.status_code == 302
    assert "Product overview" in client.get("/en/account/").content.decode()


def test_public_pages_set_no_session_cookie_before_login_p09(client):
    for path in ("/", "/en/", "/demo/", "/privacy/", "/cookies/"):
        response = client.get(path)
        assert "sessionid" not in response.cookies, path


def test_a_filled_honeypot_stores_nothing_and_is_counted_b1(client):
    response = post(client, "/en/demo/", {**DEMO, "website": "http://spam.example"})
    assert response.status_code == 429
    assert "could not be accepted" in response.content.decode()
    assert not Person.objects.exists() and not Submission.objects.exists()
    assert BlockedCount.objects.get(form="demo", reason="honeypot").count == 1


def test_a_post_without_any_challenge_is_refused_b2(client):
    response = client.post("/en/demo/", DEMO)
    assert response.status_code == 429
    assert "small sum" in response.content.decode()
    assert not Person.objects.exists()


def test_every_form_page_names_what_it_collects_and_the_policy_version(client, published_policy):
    for path in (
        "/en/demo/",
        "/en/interest/",
        "/en/contact/",
        "/en/feedback/",
        "/en/careers/apply/",
        "/en/newsletter/",
        "/en/account/register/",
    ):
        page = client.get(path).content.decode()
        assert "About your information" in page, path
        assert f"version {published_policy.number}" in page, path


# --- One-line answers stay on one line; mail to an unconfirmed address echoes nothing -------

CONTACT = {
    "name": "Wang Xiaoming",
    "email": "wang.xiaoming@example-corp.cn",
    "subject": "Licensing",
    "message": "Hello",
    "inquiry_type": "licensor",
}
ONE_LINE = "Write this on one line, without line breaks, tabs or invisible control characters"


@pytest.mark.parametrize(
    ("path", "form", "field", "value"),
    [
        ("/en/demo/", DEMO, "name", "Wang\r\nBcc: victim@example.com"),
        ("/en/demo/", DEMO, "name", "Wang\u202egnaW"),  # right-to-left override
        ("/en/demo/", DEMO, "company", "Acme\u2066Robots\u2069"),  # bidi isolates
        ("/en/demo/", DEMO, "phone", "+86 138\n0013 8000"),
        ("/en/demo/", DEMO, "email", "wang@example-corp.cn\r\nBcc: victim@example.com"),
        ("/en/contact/", CONTACT, "subject", "Hi\tthere\x00"),
        (
            "/en/interest/",
            {**CONTACT, "topic": "product", "business_need": "x"},
            "employer",
            "A\nB",
        ),
    ],
)
def test_a_one_line_answer_with_a_line_break_or_control_is_refused_and_nothing_kept_i5(
    client, path, form, field, value
):
    response = post(client, path, {**form, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and ONE_LINE in page
    assert not Person.objects.exists() and not Submission.objects.exists()
    assert not Message.objects.exists()


def test_the_refusal_is_explained_in_chinese_too(client):
    response = post(client, "/demo/", {**DEMO, "name": "王小明\u202e"})
    assert response.status_code == 400
    assert "请在一行内填写" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.parametrize("name", ["Prize at https://evil.example/claim", "see WWW.evil.example"])
def test_a_web_address_in_a_name_is_refused(client, name):
    response = post(client, "/en/contact/", {**CONTACT, "name": name})
    assert response.status_code == 400
    assert "without a web address" in response.content.decode()
    assert not Person.objects.exists() and not Message.objects.exists()


def test_a_name_written_with_a_zero_width_non_joiner_is_accepted(client):
    """Persian and Indic names need U+200C and U+200D: they are no control to refuse."""
    name = "Mehr\u200cnaz Rahimi"
    response = post(client, "/en/demo/", {**DEMO, "name": name})
    assert response.status_code == 200
    assert Person.objects.get().name == name


def test_a_name_with_dots_and_a_company_that_is_a_domain_are_accepted(client):
    response = post(client, "/en/demo/", {**DEMO, "name": "J.R. Smith", "company": "Booking.com"})
    assert response.status_code == 200
    assert Person.objects.get().name == "J.R. Smith"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/en/demo/", {**DEMO, "name": "Zed Markername", "company": "Markerco Ltd"}),
        (
            "/en/contact/",
            {
                **CONTACT,
                "name": "Zed Markername",
                "company": "Markerco Ltd",
                "subject": "Markersubject",
                "message": "Markermessage, visit http://spam.example",
            },
        ),
        (
            "/en/interest/",
            {
                **CONTACT,
                "name": "Zed Markername",
                "employer": "Markerco Ltd",
                "topic": "product",
                "business_need": "Markermessage, visit http://spam.example",
            },
        ),
    ],
)
def test_the_confirmation_to_an_unconfirmed_address_echoes_nothing_typed(
    client, django_capture_on_commit_callbacks, path, form
):
    """Anyone can type someone else's address: the confirmation carries only Gonex's words,
    so the form cannot be used to mail a stranger a message of one's choosing."""
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, path, form).status_code == 200
    confirmation = Message.objects.get(kind="submission_received")
    sent = next(m for m in django_mail.outbox if m.to == [form["email"]])
    written = " ".join(
        [
            confirmation.subject,
            confirmation.body_text,
            confirmation.body_html,
            sent.subject,
            sent.body,
            *(content for content, _type in getattr(sent, "alternatives", [])),
        ]
    ).lower()
    for typed in ("markername", "markerco", "markersubject", "markermessage", "spam.example"):
        assert typed not in written
    assert confirmation.body_text.startswith("Hello,")
