"""One-click unsubscribe and the preference page, opened by the emailed token (P13, P17)."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pledge.mail.models import (
    CampaignRecipient,
    Subscription,
    SubscriptionRequest,
    SubscriptionStatus,
)
from pledge.mail.preferences import (
    preference_find,
    preference_token,
    preferences_save,
    unsubscribe_by_token,
)
from pledge.mail.subscriptions import lists_subscribed, subscriptions_unsubscribe
from pledge.mail.tests.conftest import SYSTEM, subscriber
from pledge.people.models import Consent, ConsentMethod, Person
from pledge.people.registry import registry_erase
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def person(versions):
    return subscriber("reader@example.cn")


def test_a_token_opens_its_persons_preferences_only(person):
    token = preference_token(person, list_key="newsletter")
    found = preference_find(token)
    assert found.person == person and found.list_key == "newsletter" and found.recipient is None
    assert preference_find(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert preference_find("not-a-token") is None
    assert preference_find("") is None


def test_an_erased_persons_token_opens_nothing(person):
    token = preference_token(person)
    with transaction.atomic():
        registry_erase(person)
    assert preference_find(token) is None


def test_one_click_leaves_the_list_with_the_consent_withdrawn(person):
    token = preference_token(person, list_key="newsletter")
    assert unsubscribe_by_token(token, method=ConsentMethod.UNSUBSCRIBE_LINK) == ["newsletter"]
    assert lists_subscribed(person) == []
    latest = Consent.objects.filter(person=person, subject="list:newsletter").latest("id")
    assert not latest.granted and latest.method == ConsentMethod.UNSUBSCRIBE_LINK
    assert unsubscribe_by_token(token) == []  # twice: nothing more, nothing recorded
    assert Consent.objects.filter(person=person, granted=False).count() == 1


def test_a_token_without_a_list_leaves_every_list(versions):
    person = subscriber("two@example.cn")
    Subscription.objects.create(
        person=person,
        list_key="promotions",
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=person.created_at,
    )
    assert sorted(unsubscribe_by_token(preference_token(person))) == ["newsletter", "promotions"]


def test_the_get_of_the_unsubscribe_url_does_not_unsubscribe(client, person):
    url = reverse("web:mail_unsubscribe", args=[preference_token(person, list_key="newsletter")])
    response = client.get(url)
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert lists_subscribed(person) == ["newsletter"]
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_the_unsubscribe_button_posts_without_a_csrf_token(person):
    url = reverse("web:mail_unsubscribe", args=[preference_token(person, list_key="newsletter")])
    response = Client(enforce_csrf_checks=True).post(url, {"from_page": "1"})
    assert response.status_code == 200
    assert "Gonex 新闻简报" in response.content.decode()  # the list left, named
    assert lists_subscribed(person) == []


def test_a_one_click_unsubscribe_is_counted_on_the_campaign(person, mail_server):
    from pledge.mail.campaigns import campaign_create, campaign_start

    campaign = campaign_create(
        actor=SYSTEM,
        list_key="newsletter",
        name="n",
        subject={"zh-hans": "主题", "en": "Subject"},
        body={"zh-hans": "正文", "en": "Text"},
    )
    campaign_start(campaign=campaign, actor=SYSTEM)
    row = CampaignRecipient.objects.get(campaign=campaign, person=person)
    token = preference_token(person, recipient=row, list_key="newsletter")
    Client().post(reverse("web:mail_unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"})
    row.refresh_from_db()
    assert row.unsubscribed_at is not None


@pytest.mark.parametrize("name", ["web:mail_unsubscribe", "web:mail_preferences"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_gets_a_clear_404_not_a_500(client, versions, name, method):
    response = getattr(client, method)(reverse(name, args=["forged.token:abc"]))
    assert response.status_code == 404
    assert "web/unsubscribe.html" in [template.name for template in response.templates]


def test_the_preference_page_shows_every_list_and_the_language(client, person):
    with translation.override("en"):
        url = reverse("web:mail_preferences", args=[preference_token(person)])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for words in ("Gonex newsletter", "Promotional emails", "Service notices", "English"):
        assert words in page
    assert 'value="newsletter" checked' in page and 'value="promotions" checked' not in page
    assert "no-store" in response["Cache-Control"]
    assert "beacon.js" not in page and "beacon.gif" not in page  # the path holds the token


def test_saving_leaves_joins_and_asks_to_confirm(client, person):
    with translation.override("en"):
        url = reverse("web:mail_preferences", args=[preference_token(person)])
    # Leave the newsletter, join promotions (never confirmed), switch to Chinese.
    response = client.post(url, {"lists": ["promotions"], "language": "zh-hans", "action": "save"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.language == "zh-hans"
    assert lists_subscribed(person) == []
    assert SubscriptionRequest.objects.get().lists == ["promotions"]  # double opt-in first
    assert AuditEntry.objects.filter(action="person.language_set").exists()
    withdrawn = Consent.objects.filter(person=person, granted=False).get()
    assert withdrawn.method == ConsentMethod.PREFERENCES


def test_rejoining_a_list_confirmed_before_records_the_words_shown(person):
    subscriptions_unsubscribe(person=person, actor=SYSTEM, method=ConsentMethod.STAFF)
    preference = preference_find(preference_token(person))
    with translation.override("en"):
        saved = preferences_save(preference=preference, lists={"newsletter"}, language="en")
    assert saved.joined == ["newsletter"] and not saved.confirmation_sent
    assert lists_subscribed(person) == ["newsletter"]
    consent = Consent.objects.filter(person=person).latest("id")
    assert consent.granted and consent.method == ConsentMethod.PREFERENCES
    assert consent.text.startswith("I would like to receive the emails of the lists I ticked")
    assert consent.policy_version == 2


def test_unsubscribe_from_all_leaves_everything(client, person):
    url = reverse("web:mail_preferences", args=[preference_token(person)])
    client.post(url, {"lists": ["newsletter"], "language": "en", "action": "unsubscribe_all"})
    assert lists_subscribed(person) == []
    assert Person.objects.get(pk=person.pk).language == "en"


def test_unsubscribe_from_all_works_whatever_else_the_form_holds(client, person):
    """A link that names one list, a form with no language chosen: everything is still left."""
    Subscription.objects.create(
        person=person,
        list_key="promotions",
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=person.created_at,
    )
    url = reverse("web:mail_preferences", args=[preference_token(person, list_key="newsletter")])
    response = client.post(url, {"action": "unsubscribe_all"})
    assert response.status_code == 302
    assert lists_subscribed(person) == []
