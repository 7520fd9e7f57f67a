"""The console's people list (P22): search by a part of a name, email or company through the
blind index's fragment digests, filters, pages that keep the search, and an audited search."""

import importlib
import re

import pytest
from django.apps import apps

from pledge.intake.models import Submission
from pledge.meetings.models import Lead, LeadStatus
from pledge.people.models import Person, PersonNameToken
from pledge.people.search import FRAGMENT_CHARACTERS, search_fragments
from pledge.people.services import person_create, person_email_set, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SYSTEM = Actor.system("test")


def upsert(name, email, company="", **fields):
    return person_upsert(
        actor=SYSTEM, source="web_form", name=name, email=email, company=company, **fields
    )[0]


@pytest.fixture
def people(db):
    return {
        "ada": upsert("Ada Lovelace", "ada.lovelace@analytical.example", "Analytical Engines"),
        "grace": upsert("Grace Hopper", "grace@navy.example", "Navy Computing"),
        "wang": upsert("王小明", "xiaoming@example.cn"),
        "alan": upsert("Alan Turing", "alan@bletchley.example", "Bletchley Park"),
    }


@pytest.fixture
def officer_client(client_for, privacy_officer):
    return client_for(privacy_officer)


def names_on(response) -> set[str]:
    assert response.status_code == 200
    return set(
        re.findall(r'<a href="/(?:en/)?console/people/[0-9a-f-]+/">([^<]+)</a>', response.text)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Lov", {"Ada Lovelace"}),  # the start of a word of the name
        ("ovel", {"Ada Lovelace"}),  # a part of it
        ("lo", {"Ada Lovelace"}),  # two letters: a word's start only (not "Turing")
        ("ADA LOVE", {"Ada Lovelace"}),  # every word, any case
        ("navy.ex", {"Grace Hopper"}),  # a part of the email
        ("race@", {"Grace Hopper"}),
        ("xiaoming@example.cn", {"王小明"}),  # the whole email
        ("小明", {"王小明"}),  # Han characters of the name
        ("Bletchley", {"Alan Turing"}),  # the company (also the email's domain)
        ("engines", {"Ada Lovelace"}),  # a part of the company's name
        ("ing", {"Alan Turing", "Grace Hopper", "王小明"}),  # Navy Computing; xiaoming@
        ("lovelace hopper", set()),  # words must all be found in one person
        ("zzz", set()),
    ],
)
def test_search_finds_by_prefix_and_part_of_name_email_or_company(
    officer_client, people, query, expected
):
    response = officer_client.get("/en/console/people/", {"q": query})
    assert names_on(response) == expected


def test_the_list_without_a_search_shows_everyone_newest_first(officer_client, people):
    page = officer_client.get("/en/console/people/").text
    positions = [page.index(name) for name in ("Alan Turing", "Ada Lovelace")]
    assert positions == sorted(positions)
    assert "4 people" in page


def test_a_single_letter_is_explained_not_searched(officer_client, people):
    response = officer_client.get("/en/console/people/", {"q": "a"})
    assert names_on(response) == set()
    assert "Single letters are left out of a search" in response.text


def test_stored_fragments_are_short_keyed_digests_never_the_text(people):
    ada = people["ada"]
    digests = set(PersonNameToken.objects.filter(person=ada).values_list("digest", flat=True))
    assert {len(digest) for digest in digests} <= {FRAGMENT_CHARACTERS, 32}
    assert any(len(digest) == FRAGMENT_CHARACTERS for digest in digests)
    for fragment in search_fragments(name=ada.name, email=ada.email):
        assert fragment not in digests
    assert "^lo" in search_fragments(name="Ada Lovelace", email="")
    assert "ove" in search_fragments(name="Ada Lovelace", email="")


def test_a_new_email_is_searchable_by_its_parts_and_the_old_one_is_not(officer_client, people):
    person_email_set(person=people["grace"], email="admiral@cobol.example", actor=SYSTEM)
    assert names_on(officer_client.get("/en/console/people/", {"q": "cobol"})) == {"Grace Hopper"}
    # The organisation stays navy.example's: only the old address's own part is gone.
    assert names_on(officer_client.get("/en/console/people/", {"q": "race@n"})) == set()


def test_filters_narrow_the_list(officer_client, people):
    Person.objects.filter(pk=people["grace"].pk).update(do_not_contact=True)
    Person.objects.filter(pk=people["alan"].pk).update(source="import")
    for person, status in ((people["ada"], LeadStatus.NEW), (people["alan"], LeadStatus.CLOSED)):
        submission = Submission.objects.create(form="demo", person=person, language="en")
        Lead.objects.create(
            submission=submission, person=person, form="demo", language="en", status=status
        )

    def shown(**params):
        return names_on(officer_client.get("/en/console/people/", params))

    assert shown(dnc="yes") == {"Grace Hopper"}
    assert shown(dnc="no") == {"Ada Lovelace", "王小明", "Alan Turing"}
    assert shown(source="import") == {"Alan Turing"}
    assert shown(org="analytical") == {"Ada Lovelace"}
    assert shown(open="1") == {"Ada Lovelace"}  # Alan's lead is closed
    assert shown(open="1", q="grace") == set()
    assert shown(dnc="no", q="lo") == {"Ada Lovelace"}


def test_a_person_s_organisation_opted_out_counts_as_do_not_contact(officer_client, people):
    people["ada"].organization.do_not_contact = True
    people["ada"].organization.save()
    response = officer_client.get("/en/console/people/", {"dnc": "yes"})
    assert names_on(response) == {"Ada Lovelace"}
    assert "Do not contact" in response.text


def test_pages_keep_the_search_and_filters(officer_client):
    for number in range(55):
        person_create(actor=SYSTEM, source="staff", name=f"Lin Wei{number:02d}")
    first = officer_client.get("/en/console/people/", {"q": "lin", "source": "staff"})
    assert len(names_on(first)) == 50
    assert "55 people" in first.text and "page 1 of 2" in first.text
    assert 'href="?q=lin&amp;source=staff&amp;page=2"' in first.text
    second = officer_client.get("/en/console/people/", {"q": "lin", "source": "staff", "page": 2})
    assert len(names_on(second)) == 5
    assert names_on(first).isdisjoint(names_on(second))
    assert 'aria-current="page">2</a>' in second.text


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "99999", "", "9" * 40])
def test_bad_page_numbers_show_a_page_never_an_error(officer_client, people, page):
    response = officer_client.get("/en/console/people/", {"page": page})
    assert response.status_code == 200
    assert len(names_on(response)) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 5000},
        {"q": "\x00ada"},
        {"q": "%_*\\'\""},
        {"q": "+86 138"},
        {"source": "nonsense", "dnc": "maybe", "open": "yes"},
        {"org": "é" * 500},
        {"org": "acme\x00"},
        {"q": "\x00"},
    ],
)
def test_bad_input_never_fails(officer_client, people, params):
    assert officer_client.get("/en/console/people/", params).status_code == 200


def test_every_showing_is_audited_without_the_words_searched(officer_client, people):
    officer_client.get("/en/console/people/", {"q": "lovelace", "dnc": "no"})
    entry = AuditEntry.objects.filter(action="person.searched").latest("sequence")
    assert entry.details == {"results": 1, "filters": ["do_not_contact"], "words": 1}
    assert entry.actor_label.endswith("pat")
    assert "lovelace" not in str(entry.details).lower()


def test_others_may_not_list_people(client_for, sales_expert, people):
    assert client_for(sales_expert).get("/en/console/people/").status_code == 403


def test_the_list_reads_in_chinese(officer_client, people):
    page = officer_client.get("/console/people/", {"q": "小明"}).text
    assert "王小明" in page
    assert "1 人" in page or "1 位" in page
    assert "搜索" in page


def test_the_migration_gives_people_held_before_their_fragments(people):
    PersonNameToken.objects.all().delete()
    migration = importlib.import_module("pledge.people.migrations.0010_search_fragments")
    migration.search_tokens_rebuild(apps, None)
    from pledge.conftest import make_staff
    from pledge.people.search import people_list
    from pledge.vault.access import Role

    officer = Actor.staff(make_staff("olive", Role.PRIVACY_OFFICER))
    assert list(people_list(query="ovel", actor=officer).people) == [people["ada"]]
    assert list(people_list(query="小明", actor=officer).people) == [people["wang"]]


def test_a_common_fragment_is_looked_up_among_the_people_the_rare_ones_found(
    officer_client, people, monkeypatch
):
    """With at most one row read whole per digest, every fragment but the rarest is common:
    the search still finds exactly the people holding them all."""
    from pledge.people import search

    monkeypatch.setattr(search, "DIGEST_ROWS_MAX", 1)
    for query, expected in [
        ("ada.lovelace@analytical.example", {"Ada Lovelace"}),
        ("ing", {"Alan Turing", "Grace Hopper", "王小明"}),
        ("lovelace hopper", set()),
        ("xiaoming@example.cn", {"王小明"}),
    ]:
        response = officer_client.get("/en/console/people/", {"q": query})
        assert names_on(response) == expected, query


def test_a_long_list_counts_up_to_a_limit_and_says_more(officer_client, people, monkeypatch):
    from pledge.people import search

    monkeypatch.setattr(search, "COUNT_MAX", 3)
    page = officer_client.get("/en/console/people/").text
    assert "More than 3 people" in page
    assert len(names_on(officer_client.get("/en/console/people/"))) == 3
    entry = AuditEntry.objects.filter(action="person.searched").latest("sequence")
    assert entry.details["results"] == 3 and entry.details["more"] is True
    chinese = officer_client.get("/console/people/").text
    assert "超过 3 人" in chinese


def test_when_every_fragment_is_common_the_database_intersects_them(
    officer_client, people, monkeypatch
):
    from pledge.people import search

    monkeypatch.setattr(search, "DIGEST_ROWS_MAX", 0)
    for query, expected in [
        ("lovelace", {"Ada Lovelace"}),
        ("ing", {"Alan Turing", "Grace Hopper", "王小明"}),
        ("race@", {"Grace Hopper"}),
        ("zzz", set()),
    ]:
        response = officer_client.get("/en/console/people/", {"q": query})
        assert names_on(response) == expected, query
