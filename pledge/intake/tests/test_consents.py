"""Separate consent, never bundled (PIPL Art. 14, 23, 29, 38-39; P17, P19, P25).

Sending a form is consent only to answering the request it makes. Sales follow-up, sharing with
an affiliate and a transfer abroad each have their own unticked box, recorded with its own
words; leaving every box empty still gets the request answered: the form is accepted, the lead
is made, the demo is booked.
"""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from pledge.cases.rights import subject_name
from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.models import Submission
from pledge.inventory.loader import current_inventory, site_cache_clear
from pledge.inventory.services import policy_publish
from pledge.mail.models import Message
from pledge.meetings.models import Lead, Meeting
from pledge.meetings.tests.conftest import make_expert
from pledge.people.gate import may
from pledge.people.models import Consent, Person
from pledge.people.services import person_find_by_email

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

EXAMPLE = Path(django_settings.BASE_DIR) / "sites" / "example"
SUPPORT = "essential.service.operations.support"
FORMS = {
    "demo": {
        "name": "Wang Xiaoming",
        "email": "wang@example-corp.cn",
        "company": "Example Corp",
        "meeting_mode": "online",
        "preferred_times": ["weekday_morning"],
    },
    "interest": {
        "name": "Wang Xiaoming",
        "email": "wang@example-corp.cn",
        "employer": "Example Corp",
        "topic": "product",
        "business_need": "A service desk.",
    },
    "contact": {
        "name": "Wang Xiaoming",
        "email": "wang@example-corp.cn",
        "subject": "Licensing",
        "message": "Hello",
        "inquiry_type": "licensor",
    },
}


@pytest.fixture
def published_policy(db):
    return policy_publish(summary={"en": "First version"}, material=True, published_by="test")


@pytest.fixture
def northwind(settings):
    """Serve sites/example/, the fictional site that declares a processor abroad."""
    settings.SITE_DIR = EXAMPLE
    site_cache_clear()
    yield
    site_cache_clear()


def post(client, form: str, language: str = "en", answers: dict | None = None, **boxes):
    question = sum_issue()
    data = {
        **FORMS[form],
        **(answers or {}),
        **{key: "on" for key, ticked in boxes.items() if ticked},
        SUM_TOKEN_FIELD: question.token,
        SUM_FIELD: str(question.left + question.right),
    }
    prefix = "/en" if language == "en" else ""
    return client.post(f"{prefix}/{form}/", data)


def box(form: str, subject: str):
    """The declared consent box of ``form`` asking for ``subject``."""
    return next(
        field
        for field in current_inventory().form(form).consent_fields
        if subject in field.consent_subjects
    )


def checkbox_inputs(page: str) -> dict[str, str]:
    """Each checkbox input of the page by name, as written."""
    return {
        re.search(r'name="([^"]+)"', tag).group(1): tag
        for tag in re.findall(r"<input[^>]*>", page)
        if 'type="checkbox"' in tag
    }


# --- The boxes on the page ----------------------------------------------------------------


@pytest.mark.parametrize("form", ["demo", "interest", "contact"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_form_shows_its_separate_boxes_unticked_with_their_words(
    client, published_policy, form, language
):
    prefix = "/en" if language == "en" else ""
    page = client.get(f"{prefix}/{form}/").content.decode()
    inputs = checkbox_inputs(page)
    for subject in ("sales", "share:group"):
        declared = box(form, subject)
        assert declared.key in inputs, (form, subject)
        assert "checked" not in inputs[declared.key]
        assert html.escape(declared.consent_text.get(language)) in page
    assert not any("checked" in tag for tag in inputs.values())  # P17: not one box
    assert '<fieldset class="consent-boxes"' in page
    assert "abroad" not in " ".join(inputs)  # Gonex declares no recipient abroad


def test_a_form_with_a_recipient_abroad_shows_its_box(client, northwind):
    page = client.get("/en/contact/").content.decode()
    declared = box("contact", "abroad:helpdesk")
    assert "checked" not in checkbox_inputs(page)[declared.key]
    assert "Singapore" in declared.consent_text.get("en")
    assert html.escape(declared.consent_text.get("en")) in page


# --- What sending records -----------------------------------------------------------------


@pytest.mark.parametrize("form", ["demo", "interest", "contact"])
def test_refusing_every_box_still_answers_the_request(client, published_policy, form):
    response = post(client, form)
    assert response.status_code == 200, response.content.decode()[:1500]
    person = person_find_by_email("wang@example-corp.cn")
    assert Submission.objects.filter(person=person, form=form).exists()
    assert Lead.objects.filter(person=person, form=form).exists()
    assert set(Consent.objects.values_list("subject", flat=True)) == {SUPPORT}
    assert may(person, SUPPORT)
    assert not may(person, "sales")  # no bundled consent to sales follow-up
    assert not Consent.objects.filter(subject__startswith="share:").exists()


def test_a_demo_with_no_box_ticked_is_booked(client, published_policy):
    expert = make_expert("sam")
    post(client, "demo")
    lead = Lead.objects.get()
    assert lead.owner == expert
    assert not may(lead.person, "sales")
    invitation = Message.objects.get(kind="booking_invitation")
    token = re.search(r"/demo/booking/([^/\s]+)/", invitation.private_links["link"]).group(1)
    page = client.get(f"/en/demo/booking/{token}/").content.decode()
    slot = re.search(r'name="slot" value="([^"]+)"', page).group(1)
    response = client.post(f"/en/demo/booking/{token}/", {"slot": slot})
    assert response.status_code == 200, response.content.decode()[:1500]
    assert Meeting.objects.get(lead=lead).status == "booked"
    assert Message.objects.filter(kind="meeting_confirmed").count() == 2  # visitor, expert


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sales_box_records_sales_consent_with_its_own_words(client, published_policy, language):
    post(client, "contact", language, sales_follow_up=True)
    person = Person.objects.get()
    consent = Consent.objects.get(subject="sales")
    assert consent.granted and consent.method == "form" and consent.form == "contact"
    assert consent.text == box("contact", "sales").consent_text.get(language)
    assert consent.language == language and consent.policy_version == published_policy.number
    assert may(person, "sales")
    request = Consent.objects.get(subject=SUPPORT)
    assert request.method == "form_submission" and request.text != consent.text


def test_the_affiliate_box_records_consent_to_share_with_that_affiliate(client, published_policy):
    post(client, "interest", share_group=True)
    consent = Consent.objects.get(subject="share:group")
    assert consent.granted and consent.method == "form" and consent.form == "interest"
    assert consent.text == box("interest", "share:group").consent_text.get("en")
    assert "subsidiaries and other affiliates" in consent.text
    assert not Consent.objects.filter(subject="sales").exists()  # one box, one subject


def test_the_abroad_box_records_consent_to_that_recipient_abroad(client, northwind):
    post(client, "demo", abroad_helpdesk=True)
    consent = Consent.objects.get(subject="abroad:helpdesk")
    assert consent.granted and consent.method == "form" and consent.form == "demo"
    assert consent.text == box("demo", "abroad:helpdesk").consent_text.get("en")
    assert not Consent.objects.filter(subject="sales").exists()


def test_every_box_ticked_records_each_subject_once_with_its_own_words(client, published_policy):
    post(
        client,
        "interest",
        sales_follow_up=True,
        share_group=True,
        campaign_insights=True,
        future_communications=True,
    )
    consents = {consent.subject: consent for consent in Consent.objects.all()}
    assert set(consents) == {
        SUPPORT,
        "sales",
        "share:group",
        "analytics.reporting.campaign_insights",
        "marketing.communications.email",
    }
    assert len({consent.text_hash for consent in consents.values()}) == len(consents)


def test_a_consent_to_share_is_named_for_the_person_who_may_withdraw_it(published_policy):
    """The portal and the console name it, never by its key."""
    with translation.override("en"):
        assert subject_name("share:group") == (
            "Sharing with Gonex's subsidiaries and other affiliates"
        )
    with translation.override("zh-hans"):
        assert subject_name("share:group") == "向Gonex 的子公司和其他关联公司提供个人信息"


def test_an_abroad_consent_is_named_with_its_recipient(northwind):
    with translation.override("en"):
        assert subject_name("abroad:helpdesk") == (
            "Sending to Help desk provider (Singapore), abroad"
        )
    with translation.override("zh-hans"):
        assert subject_name("abroad:helpdesk") == "向境外的客服平台服务商（新加坡）提供"


# --- Under 14: the guardian agrees, to the same words ---------------------------------------


def test_a_guardian_reads_and_agrees_to_the_words_of_the_boxes_the_child_ticked_p19(
    client, published_policy
):
    question = sum_issue()
    client.post(
        "/en/account/register/",
        {
            "name": "Xiao Hong",
            "email": "xiaohong@example.cn",
            "password": "correct horse battery staple",
            "age_band": "under_13",
            "guardian_email": "parent@example.cn",
            "future_communications": "on",
            SUM_TOKEN_FIELD: question.token,
            SUM_FIELD: str(question.left + question.right),
        },
    )
    assert not Consent.objects.exists() and not Person.objects.exists()
    link = Message.objects.get(kind="guardian_consent").private_links["link"]
    token = re.search(r"/guardian/([^/\s]+)/", link).group(1)
    page = client.get(f"/en/guardian/{token}/").content.decode()
    words = box("account", "marketing.communications.email").consent_text.get("en")
    assert html.escape(words) in page
    client.post(f"/en/guardian/{token}/")
    consents = {consent.subject: consent for consent in Consent.objects.all()}
    assert set(consents) == {SUPPORT, "marketing.communications.email"}
    assert {consent.method for consent in consents.values()} == {"guardian"}
    assert consents["marketing.communications.email"].text == words
    assert html.escape(consents[SUPPORT].text) in page  # the words shown are the words kept


def test_a_job_application_is_consent_to_recruitment_only(
    client, published_policy, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    question = sum_issue()
    client.post(
        "/en/careers/apply/",
        {
            "name": "Li Lei",
            "email": "li.lei@example.cn",
            "phone": "13800138000",
            "position": "engineer",
            "age_band": "18_and_over",
            "cv": SimpleUploadedFile("cv.pdf", b"%PDF-1.7\n%%EOF\n"),
            SUM_TOKEN_FIELD: question.token,
            SUM_FIELD: str(question.left + question.right),
        },
    )
    assert list(Consent.objects.values_list("subject", flat=True)) == ["employment.recruitment"]


# --- Sensitive personal information (Art. 28-29) ------------------------------------------


@pytest.fixture
def with_health_field(use_site):
    """A copy of Gonex whose contact form asks, optionally, for health information, with the
    separate box a sensitive category needs (Gonex itself collects nothing sensitive)."""
    from pledge.inventory.tests.test_consent_rules import HEALTH_BOX, HEALTH_CATEGORY, HEALTH_FIELD

    with use_site.inventory_path.open("a", encoding="utf-8") as file:
        file.write(HEALTH_CATEGORY + HEALTH_FIELD + HEALTH_BOX)
    site_cache_clear()
    return use_site


def test_a_sensitive_answer_without_its_box_is_refused_and_nothing_kept(client, with_health_field):
    response = post(client, "contact", answers={"accessibility": "A wheelchair"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_accessibility_error"' in page and "sensitive personal information" in page
    assert not Person.objects.exists() and not Consent.objects.exists()


def test_a_sensitive_answer_with_its_box_is_kept_with_its_consent(client, with_health_field):
    response = post(
        client, "contact", answers={"accessibility": "A wheelchair"}, accessibility_consent=True
    )
    assert response.status_code == 200
    consent = Consent.objects.get(subject="sensitive:user.health_and_medical")
    assert consent.text == box("contact", "sensitive:user.health_and_medical").consent_text.get(
        "en"
    )
    assert Submission.objects.get().answers["accessibility"] == "A wheelchair"


def test_leaving_the_sensitive_answer_empty_needs_no_box(client, with_health_field):
    assert post(client, "contact").status_code == 200
    assert "accessibility" not in Submission.objects.get().answers
