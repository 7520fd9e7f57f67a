"""The registry's promise (DESIGN.md: completeness by construction): an app that registers a
personal data provider shows up in the person's timeline, their export and their erasure, and on
the console's person page, with no other change; and people's access grants let an app above
open a person to its staff without people knowing the app."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pledge.people import registry
from pledge.people.optouts import do_not_contact_set
from pledge.people.registry import (
    OPEN,
    Erased,
    PersonalDataProvider,
    TimelineEntry,
    person_access_register,
    person_access_unregister,
    provider_register,
    provider_unregister,
    registry_erase,
    registry_export,
    when,
)
from pledge.people.services import organization_open, person_open, person_upsert
from pledge.people.timeline import person_timeline
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

KEY = "test.greenhouse"  # an app that did not exist when people was written


@pytest.fixture
def greenhouse():
    """A throwaway app's provider: its records live in a dict, keyed by person id."""
    start = timezone.now()
    store: dict[int, list[dict]] = {}

    def export(person):
        return [{"plant": row["plant"], "at": when(row["at"])} for row in store.get(person.pk, [])]

    def erase(person):
        return Erased(removed=len(store.pop(person.pk, [])))

    def timeline(person):
        return [
            TimelineEntry(at=row["at"], kind="plant", summary=row["plant"], detail="watered")
            for row in store.get(person.pk, [])
        ]

    def plant(person, name: str, days_ago: int) -> None:
        store.setdefault(person.pk, []).append(
            {"plant": name, "at": start - timedelta(days=days_ago)}
        )

    provider_register(PersonalDataProvider(key=KEY, export=export, erase=erase, timeline=timeline))
    yield plant
    provider_unregister(KEY)
    assert KEY not in {provider.key for provider in registry.providers()}


def someone():
    """A person of an organisation (acme-robots.cn), with nothing else held about them."""
    return person_upsert(
        actor=Actor.system("test"), source="web_form", name="Wu Fang", email="wu@acme-robots.cn"
    )[0]


def test_a_new_provider_is_in_the_timeline_the_export_and_the_erasure(greenhouse):
    person = someone()
    greenhouse(person, "bamboo", days_ago=3)
    greenhouse(person, "orchid", days_ago=1)

    timeline = person_timeline(person)
    ours = [entry for entry in timeline if entry.kind == "plant"]
    assert [entry.summary for entry in ours] == ["orchid", "bamboo"]  # newest first
    assert {entry.provider for entry in ours} == {KEY}  # named after the provider that said it
    assert [entry.at for entry in timeline] == sorted((e.at for e in timeline), reverse=True)

    assert [row["plant"] for row in registry_export(person)[KEY]] == ["bamboo", "orchid"]
    assert registry_erase(person)[KEY] == Erased(removed=2)
    assert registry_export(person)[KEY] == []
    assert not [entry for entry in person_timeline(person) if entry.kind == "plant"]


def test_a_new_provider_is_on_the_console_person_page(greenhouse, client_for, privacy_officer):
    person = someone()
    greenhouse(person, "camellia", days_ago=2)
    page = client_for(privacy_officer).get(f"/en/console/people/{person.public_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    # The kind in words (a provider may name it; else its code made into a word), then the entry.
    assert "<strong>Plant</strong><br>camellia" in text and "watered" in text


def test_without_a_provider_nothing_of_it_is_left(greenhouse):
    provider_unregister(KEY)
    person = someone()
    assert KEY not in registry_export(person)
    assert all(entry.kind != "plant" for entry in person_timeline(person))


def test_the_timeline_is_only_what_the_providers_give():
    """people's own provider gives the consents; an app's entries come from its provider."""
    person = someone()
    assert person_timeline(person) == []


def test_only_the_privacy_officer_opens_a_person_until_an_app_grants_more(
    privacy_officer, marketer
):
    person = someone()
    assert person_open(person=person, actor=Actor.staff(privacy_officer)) == person
    with pytest.raises(PermissionDenied):
        person_open(person=person, actor=Actor.staff(marketer))
    with pytest.raises(PermissionDenied):
        organization_open(organization=person.organization, actor=Actor.staff(marketer))
    with pytest.raises(PermissionDenied):
        do_not_contact_set(value=True, person=person, actor=Actor.staff(marketer))
    assert AuditEntry.objects.filter(action="access.refused").count() == 3

    def marketing_grant(actor, *, purpose, person=None, organization=None):
        return purpose == OPEN and person is not None and actor.user_id == marketer.pk

    person_access_register("test.marketing", marketing_grant)
    try:
        person_open(person=person, actor=Actor.staff(marketer), reason="campaign check")
        assert AuditEntry.objects.filter(action="person.viewed").count() == 2
        with pytest.raises(PermissionDenied):  # the grant says what it covers, nothing more
            do_not_contact_set(value=True, person=person, actor=Actor.staff(marketer))
    finally:
        person_access_unregister("test.marketing")
    with pytest.raises(PermissionDenied):
        person_open(person=person, actor=Actor.staff(marketer))


def test_an_export_writes_instants_one_way():
    assert when(None) is None
    moment = timezone.now()
    assert when(moment) == moment.isoformat()
