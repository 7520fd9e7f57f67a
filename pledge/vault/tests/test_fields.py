"""Encrypted fields and blind indexes on a real table, and key rotation (C1, C2)."""

from io import StringIO

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from pledge.people.models import Person
from pledge.people.search import people_list
from pledge.people.services import person_create, person_find_by_email
from pledge.vault.actors import Actor
from pledge.vault.keys import new_entry, ring_from


def raw_row(person):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, phone, email_index FROM people_person WHERE id = %s", [person.id]
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_personal_columns_hold_only_ciphertext_c1():
    person = person_create(
        actor=Actor.system("test"),
        source="staff",
        name="王小明",
        email="wang@example.cn",
        phone="+86 138 0013 8000",
    )
    name, email, phone, email_index = raw_row(person)
    for stored, plain in ((name, "王小明"), (email, "wang@example.cn"), (phone, "138")):
        assert stored.startswith("pl1.")
        assert plain not in stored
    assert "wang" not in email_index
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.name, fresh.email, fresh.phone) == (
        "王小明",
        "wang@example.cn",
        "+86 138 0013 8000",
    )


@pytest.mark.django_db
def test_a_person_is_found_by_email_whatever_its_case_or_spacing():
    person = person_create(actor=Actor.system("test"), source="staff", email="Wang@Example.cn")
    assert person_find_by_email("  wang@EXAMPLE.CN ") == person
    assert person_find_by_email("other@example.cn") is None


@pytest.mark.django_db
def test_encrypted_columns_refuse_searches_that_could_never_match():
    with pytest.raises(FieldError, match="filter on its blind index instead"):
        Person.objects.filter(email="wang@example.cn").exists()


@pytest.mark.django_db
def test_key_rotation_rewrites_every_row_and_search_keeps_working_c2(settings, privacy_officer):
    old = new_entry("old")
    settings.PLEDGE_KEYS = old
    people = [
        person_create(
            actor=Actor.system("test"),
            source="staff",
            name=f"Ada Lovelace{i}",
            email=f"ada{i}@example.cn",
        )
        for i in range(7)
    ]
    new = new_entry("new")
    settings.PLEDGE_KEYS = f"{new},{old}"
    # Before rotation, lookups match under the old key.
    assert person_find_by_email("ada3@example.cn") == people[3]

    output = StringIO()
    call_command("keys", "rotate", "--batch-size", "3", stdout=output, stderr=StringIO())
    assert "now under key new" in output.getvalue()
    assert all(raw_row(person)[1].startswith("pl1.new.") for person in people)

    settings.PLEDGE_KEYS = new  # the old key is dropped
    assert ring_from(new).primary.id == "new"
    assert Person.objects.get(pk=people[5].pk).email == "ada5@example.cn"
    assert person_find_by_email("ada5@example.cn") == people[5]
    found = people_list(query="lovelace5", actor=Actor.staff(privacy_officer)).people
    assert list(found) == [people[5]]


@pytest.mark.django_db
def test_rotation_stopped_half_way_continues_where_it_stopped(settings):
    from pledge.vault.rotation import rotate_model, stale_count

    old = new_entry("old")
    settings.PLEDGE_KEYS = old
    for i in range(6):
        person_create(actor=Actor.system("test"), source="staff", email=f"p{i}@example.cn")
    settings.PLEDGE_KEYS = f"{new_entry('new')},{old}"

    class Stop(Exception):
        pass

    def stop_after_first_batch(done, total):
        if done == 2:
            raise Stop

    with pytest.raises(Stop):
        rotate_model(Person, batch_size=2, progress=stop_after_first_batch)
    assert stale_count(Person) == 4
    assert rotate_model(Person, batch_size=2) == 4
    assert stale_count(Person) == 0


@pytest.mark.django_db
def test_keys_status_reports_what_is_left_under_older_keys(settings):
    old = new_entry("old")
    settings.PLEDGE_KEYS = old
    person_create(actor=Actor.system("test"), source="staff", email="x@example.cn")
    settings.PLEDGE_KEYS = f"{new_entry('new')},{old}"
    output = StringIO()
    call_command("keys", "status", stdout=output)
    assert "people.Person                1 rows under older keys" in output.getvalue()
    assert "Run `pledge keys rotate` before removing any older key." in output.getvalue()


@pytest.mark.django_db
def test_key_rotation_rewrites_uploaded_files_too_c2(settings, tmp_path):
    from pledge.intake.uploads import CheckedFile, upload_read, upload_store

    settings.MEDIA_ROOT = tmp_path
    old = new_entry("old")
    settings.PLEDGE_KEYS = old
    stored = upload_store(CheckedFile("cv.pdf", ".pdf", "application/pdf", b"%PDF-1.7 cv"))
    settings.PLEDGE_KEYS = f"{new_entry('new')},{old}"
    status = StringIO()
    call_command("keys", "status", stdout=status)
    assert "intake uploads               1 files under older keys" in status.getvalue()
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    settings.PLEDGE_KEYS = settings.PLEDGE_KEYS.split(",")[0]  # the old key is dropped
    assert upload_read(stored) == b"%PDF-1.7 cv"
