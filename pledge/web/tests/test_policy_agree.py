"""P23: a material change that protects earlier data less asks the people concerned, in their
notice email, to agree; it applies to them only once they do, through a page opened by the
notice's signed token (no password, no JavaScript), in their language."""

import re

import pytest
from django.test import Client

from pledge.inventory.services import policy_publish
from pledge.mail.campaigns import notice_policy
from pledge.mail.preferences import preference_token
from pledge.people.agreements import policy_agreement
from pledge.people.gate import may
from pledge.people.models import Consent, ConsentMethod, Person
from pledge.people.services import person_create
from pledge.people.versions import person_version, policy_subject
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db]
SYSTEM = Actor.system("test")
INSIGHTS = "analytics.reporting.campaign_insights"
LINK = re.compile(r"https://www\.example\.test(/(?:en/)?mail/policy/\d+/[^/\s)\"]+/)")


@pytest.fixture
def mail_server(smtp_server, settings):
    settings.EMAIL_TIMEOUT = 10
    settings.PLEDGE_CAMPAIGN_RATE = 60000
    settings.PLEDGE_SITE_URL = "https://www.example.test"
    settings.DEFAULT_FROM_EMAIL = "Gonex <service@letsgonex.com>"
    return smtp_server


def held(email: str, version: int | None, language: str) -> Person:
    return person_create(
        actor=SYSTEM, source="web_form", email=email, policy_version=version, language=language
    )


@pytest.fixture
def weakened(use_site):
    """Version 1, then version 2 moving campaign insights from consent to legitimate interests:
    people under version 1 in both languages, one under version 2, and one with no version."""
    first = policy_publish(summary={"en": "v1"}, material=True, published_by="test").number
    people = {
        "early": held("early@example.cn", first, "en"),
        "early_zh": held("early-zh@example.cn", first, "zh-hans"),
        "unversioned": held("unversioned@example.cn", None, "en"),
    }
    use_site.edit_in(
        f'uses."{INSIGHTS}"', 'legal_basis = "consent"', 'legal_basis = "legitimate_interests"'
    )
    second = policy_publish(
        summary={"en": "Insights without consent", "zh-hans": "推广分析不再征求同意"},
        material=True,
        published_by="test",
    ).number
    people["late"] = held("late@example.cn", second, "en")
    return second, people


def notice_sent(number, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice_policy(version_number=number, actor=SYSTEM)


def bodies(mail_server, address) -> tuple[str, str]:
    message = mail_server.to(address)[0]
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_the_notice_links_the_page_only_for_people_whose_data_it_protects_less(
    mail_server, weakened, django_capture_on_commit_callbacks
):
    number, _people = weakened
    notice_sent(number, django_capture_on_commit_callbacks)
    text, html = bodies(mail_server, "early@example.cn")
    assert "agree if you wish" in text and "/en/mail/policy/2/" in text
    assert 'href="https://www.example.test/en/mail/policy/2/' in html
    chinese, _html = bodies(mail_server, "early-zh@example.cn")
    assert "https://www.example.test/mail/policy/2/" in chinese and "同意" in chinese
    for address in ("late@example.cn", "unversioned@example.cn"):
        text, html = bodies(mail_server, address)
        assert "mail/policy/" not in text + html and "agree if you wish" not in text
    for text in (bodies(mail_server, address)[0] for address in mail_server.recipients):
        assert "PLEDGE-" not in text  # no marker is left in anyone's copy


def test_agreeing_through_the_page_records_the_words_and_applies_the_version(
    mail_server, weakened, django_capture_on_commit_callbacks
):
    number, people = weakened
    notice_sent(number, django_capture_on_commit_callbacks)
    path = LINK.search(bodies(mail_server, "early@example.cn")[0])[1]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Learning how visitors find us" in page.text  # the use, by its declared name
    assert "would no longer ask for your consent" in page.text
    assert '<form method="post">' in page.text  # a plain form: works without JavaScript
    assert not Consent.objects.filter(subject=policy_subject(number)).exists()  # GET: nothing
    early = people["early"]
    assert not may(early, INSIGHTS)
    agreement = policy_agreement(early, number, "en")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    answer = browser.post(path, {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and answer["Location"].endswith("?done=1")
    consent = Consent.objects.get(person=early, subject=policy_subject(number))
    assert consent.granted and consent.language == "en"
    assert consent.text == agreement.text and agreement.statement in page.text
    assert consent.method == ConsentMethod.DOUBLE_OPT_IN
    assert person_version(early) == number and may(Person.objects.get(pk=early.pk), INSIGHTS)
    thanks = browser.get(answer["Location"])
    assert "Thank you" in thanks.text and "held under version 2" in thanks.text
    browser.post(path, {"csrfmiddlewaretoken": token})  # again: nothing more is recorded
    assert Consent.objects.filter(subject=policy_subject(number)).count() == 1


def test_the_page_reads_in_chinese(weakened):
    number, people = weakened
    token = preference_token(people["early_zh"])
    page = Client().get(f"/mail/policy/{number}/{token}/")
    assert page.status_code == 200
    assert "了解访问者如何找到我们" in page.text and "我同意" in page.text
    Client().post(f"/mail/policy/{number}/{token}/")
    consent = Consent.objects.get(subject=policy_subject(number))
    assert consent.language == "zh-hans" and "了解访问者如何找到我们" in consent.text


def test_not_agreeing_changes_nothing(weakened):
    number, people = weakened
    Client().get(f"/en/mail/policy/{number}/{preference_token(people['early'])}/")
    assert person_version(people["early"]) == 1
    assert not may(people["early"], INSIGHTS)


def test_a_bad_link_or_a_version_that_does_not_exist_gets_a_clear_page(weakened):
    number, people = weakened
    token = preference_token(people["early"])
    for path in (
        f"/en/mail/policy/{number}/not-a-token/",
        f"/en/mail/policy/{number}/{token[:-3]}xyz/",
    ):
        for method in ("get", "post"):
            response = getattr(Client(), method)(path)
            assert response.status_code == 404 and "This link does not work" in response.text
    missing = Client().get(f"/en/mail/policy/99/{token}/")
    assert missing.status_code == 404 and "does not exist" in missing.text
    chinese = Client().get(f"/mail/policy/99/{token}/")
    assert chinese.status_code == 404 and "此链接无效" in chinese.text
    assert not Consent.objects.filter(subject__startswith="policy:").exists()


def test_someone_with_nothing_to_agree_to_is_told_so_and_nothing_is_recorded(weakened):
    number, people = weakened
    for name in ("late", "unversioned"):
        path = f"/en/mail/policy/{number}/{preference_token(people[name])}/"
        page = Client().get(path)
        assert page.status_code == 200
        assert "nothing to agree to" in page.text or "nothing more to agree to" in page.text
        assert Client().post(path).status_code == 200
    assert not Consent.objects.filter(subject__startswith="policy:").exists()
