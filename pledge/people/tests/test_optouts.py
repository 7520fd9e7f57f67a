"""Opt-outs (P01, P14, P15): recorded with who, when and how; they cover a person or a whole
organisation; every outbound path filters on them; an erased address keeps them."""

import pytest

from pledge.people.models import OptOut, OptOutKind, Person
from pledge.people.optouts import (
    contact_suppressed,
    do_not_contact_set,
    opt_out_lift,
    opt_out_set,
    opted_out,
    organization_opted_out,
    people_not_opted_out,
    tombstone_record,
)
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

DO_NOT_CONTACT = OptOutKind.DO_NOT_CONTACT
AFFILIATES = OptOutKind.AFFILIATE_SHARING
IDENTIFICATION = OptOutKind.ORGANIZATION_IDENTIFICATION


def someone(email: str) -> Person:
    return person_upsert(
        actor=Actor.system("test"), source="web_form", email=email, name="Someone"
    )[0]


def test_a_do_not_contact_is_recorded_with_who_when_and_how(privacy_officer):
    person = someone("li@acme-robots.cn")
    opt_out = opt_out_set(
        kind=DO_NOT_CONTACT, actor=Actor.staff(privacy_officer), channel="email", person=person
    )
    assert opt_out.created_by == "staff:pat" and opt_out.channel == "email"
    assert opt_out.created_at is not None
    person.refresh_from_db()
    assert person.do_not_contact and opted_out(person, DO_NOT_CONTACT)
    entry = AuditEntry.objects.get(action="opt_out.set")
    assert entry.details == {"kind": "do_not_contact", "scope": "person", "via": "email"}


def test_setting_twice_keeps_one_row():
    person = someone("li@acme-robots.cn")
    for _ in range(2):
        opt_out_set(kind=AFFILIATES, actor=Actor.system("test"), channel="portal", person=person)
    assert OptOut.objects.filter(person=person).count() == 1


def test_an_organization_opt_out_covers_everyone_there_p01_p15():
    li = someone("li@acme-robots.cn")
    wang = someone("wang@acme-robots.cn")
    elsewhere = someone("zhao@other-works.cn")
    opt_out_set(
        kind=IDENTIFICATION,
        actor=Actor.system("test"),
        channel="portal",
        organization=li.organization,
        requested_by=li,
    )
    assert organization_opted_out(wang.organization, IDENTIFICATION)
    assert opted_out(wang, IDENTIFICATION)
    assert not opted_out(elsewhere, IDENTIFICATION)
    remaining = people_not_opted_out(Person.objects.all(), IDENTIFICATION)
    assert list(remaining) == [elsewhere]


def test_an_affiliate_share_leaves_out_who_opted_out_p14():
    staying = someone("stay@acme-robots.cn")
    leaving = someone("leave@other-works.cn")
    opt_out_set(kind=AFFILIATES, actor=Actor.system("test"), channel="portal", person=leaving)
    shared = people_not_opted_out(Person.objects.all(), AFFILIATES)
    assert list(shared) == [staying]


def test_lifting_keeps_the_record_and_clears_the_flag():
    person = someone("li@acme-robots.cn")
    opt_out_set(kind=DO_NOT_CONTACT, actor=Actor.system("test"), channel="portal", person=person)
    assert opt_out_lift(kind=DO_NOT_CONTACT, actor=Actor.system("test"), person=person) == 1
    person.refresh_from_db()
    assert not person.do_not_contact and not opted_out(person, DO_NOT_CONTACT)
    row = OptOut.objects.get(person=person)
    assert row.lifted_at is not None and row.lifted_by == "system:test"


def test_an_address_that_asked_never_to_be_contacted_stays_so_when_it_comes_back():
    tombstone_record(email="Gone@Acme-Robots.cn ", opt_outs=[DO_NOT_CONTACT], erased=True)
    assert contact_suppressed("gone@acme-robots.cn")
    returning = someone("gone@acme-robots.cn")  # a new, consented record ...
    assert returning.do_not_contact  # ... that still must not be contacted (P01)
    assert OptOut.objects.get(person=returning).channel == "erasure"


def test_a_person_or_an_organization_never_both():
    person = someone("li@acme-robots.cn")
    with pytest.raises(ValueError):
        opt_out_set(
            kind=DO_NOT_CONTACT,
            actor=Actor.system("test"),
            channel="portal",
            person=person,
            organization=person.organization,
        )


def test_the_console_switch_records_the_same_opt_out(privacy_officer):
    """The person page's do-not-contact switch writes an OptOut with who and when, like the
    portal and the cases, and clearing it lifts that record."""
    person = someone("li@acme-robots.cn")
    do_not_contact_set(value=True, actor=Actor.staff(privacy_officer), person=person)
    row = OptOut.objects.get(person=person)
    assert row.channel == "staff" and row.created_by == "staff:pat"
    do_not_contact_set(value=False, actor=Actor.staff(privacy_officer), person=person)
    row.refresh_from_db()
    person.refresh_from_db()
    assert row.lifted_by == "staff:pat" and not person.do_not_contact


def test_the_console_switch_does_not_undo_what_the_person_asked_for(privacy_officer):
    """Staff clear only the do-not-contact staff set; the person's own stands until they lift
    it themselves (the portal) or through a case."""
    person = someone("li@acme-robots.cn")
    opt_out_set(kind=DO_NOT_CONTACT, actor=Actor.system("test"), channel="portal", person=person)
    opt_out_set(
        kind=DO_NOT_CONTACT, actor=Actor.staff(privacy_officer), channel="staff", person=person
    )
    do_not_contact_set(value=False, actor=Actor.staff(privacy_officer), person=person)
    person.refresh_from_db()
    assert person.do_not_contact and opted_out(person, DO_NOT_CONTACT)
    assert list(
        OptOut.objects.filter(lifted_at__isnull=True).values_list("channel", flat=True)
    ) == ["portal"]
