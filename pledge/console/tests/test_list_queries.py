"""The console's list pages cost the same queries for 3 rows as for 30: no page grows an N+1.

Each test seeds a few rows, counts the queries of one staff GET, seeds many more, and asserts
the same GET costs no more (``django_assert_max_num_queries``). A query added per row (a
foreign key read in the template without ``select_related``, a count per row) adds 27 queries
here and fails the test. Each also checks the page shows every row, so it cannot pass by
listing nothing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledge.cases.models import Disclosure, DisclosureBasis
from pledge.cases.services import case_assign, case_open
from pledge.intake.models import Submission
from pledge.mail.models import Message
from pledge.meetings.models import Lead
from pledge.meetings.tests.conftest import make_expert
from pledge.people.models import Organization
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

FEW, MANY = 3, 30


def measured(client, url: str) -> int:
    """Queries of one GET of ``url``, after a first GET that does the session's bookkeeping."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def assert_flat(client, url: str, seed, django_assert_max_num_queries, *, shown) -> int:
    """Seed FEW rows, count one GET; seed up to MANY, and the same GET costs no more.

    ``seed(start, stop)`` makes rows numbered start..stop-1; ``shown(number)`` is a text the
    page holds for row ``number``. Returns the count, for the report of what a page costs.
    """
    seed(0, FEW)
    few = measured(client, url)
    seed(FEW, MANY)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    page = response.text
    missing = [number for number in range(MANY) if shown(number) not in page]
    assert not missing, f"rows {missing} are not on {url}"
    return few


def person(number: int):
    return person_upsert(
        actor=Actor.system("test"),
        source="web_form",
        email=f"li.lei.{number}@acme-{number}.cn",
        name=f"Li Lei{number}",
        language="en",
    )[0]


def test_people_search_lists_many_matches_at_one_cost(
    client_for, privacy_officer, django_assert_max_num_queries
):
    people = {}

    def seed(start, stop):
        for number in range(start, stop):
            people[number] = person_upsert(
                actor=Actor.system("test"),
                source="web_form",
                email=f"wang.{number}@acme-{number}.cn",
                name=f"Wang Fang{number:02d}",
                language="en",
            )[0]

    assert_flat(
        client_for(privacy_officer),
        "/en/console/people/?q=Wang",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: str(people[number].public_id),
    )


def test_organizations_list_at_one_cost(client_for, privacy_officer, django_assert_max_num_queries):
    def seed(start, stop):
        for number in range(start, stop):
            Organization.objects.create(
                domain=f"org-{number:02d}.example.cn",
                name=f"Org {number:02d}",
                do_not_contact=number % 2 == 0,
            )

    assert_flat(
        client_for(privacy_officer),
        "/en/console/organizations/",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: f"org-{number:02d}.example.cn",
    )


def leads_seeder(leads: dict, owner_of):
    """Leads of demo submissions, owned by ``owner_of(number)`` (an expert or None)."""

    def seed(start, stop):
        for number in range(start, stop):
            someone = person(number)
            submission = Submission.objects.create(
                form="demo", person=someone, answers={}, language="en", policy_version=None
            )
            leads[number] = Lead.objects.create(
                submission=submission,
                person=someone,
                form="demo",
                language="en",
                owner=owner_of(number),
            )

    return seed


def test_every_lead_for_the_administrator_at_one_cost(
    client_for, administrator, django_assert_max_num_queries
):
    """Leads of two experts and none, each row naming its person and its expert."""
    experts = [make_expert("sam"), make_expert("olga"), None]
    leads = {}
    assert_flat(
        client_for(administrator),
        "/en/console/leads/",
        leads_seeder(leads, lambda number: experts[number % 3]),
        django_assert_max_num_queries,
        shown=lambda number: str(leads[number].public_id),
    )


def test_an_experts_own_leads_at_one_cost(client_for, django_assert_max_num_queries):
    expert = make_expert("sam")
    leads = {}
    assert_flat(
        client_for(expert.user),
        "/en/console/leads/",
        leads_seeder(leads, lambda number: expert),
        django_assert_max_num_queries,
        shown=lambda number: str(leads[number].public_id),
    )


def test_the_cases_queue_at_one_cost(client_for, privacy_officer, django_assert_max_num_queries):
    """Every case of the queue with its owner (the queue's own test counts unowned cases)."""
    cases = {}

    def seed(start, stop):
        for number in range(start, stop):
            case = case_open(
                kind=("access", "complaint", "deletion")[number % 3],
                channel="email",
                actor=Actor.system("test"),
                requester_email=f"li.lei.{number}@acme-{number}.cn",
                language="en",
                acknowledge=False,
            )
            case_assign(case=case, owner=privacy_officer, actor=Actor.staff(privacy_officer))
            cases[number] = case

    assert_flat(
        client_for(privacy_officer),
        "/en/console/cases/?show=all",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: cases[number].reference,
    )


def test_the_disclosure_log_at_one_cost(client_for, privacy_officer, django_assert_max_num_queries):
    """Disclosures to a declared processor and on a legal basis, with people and without."""
    disclosures = {}

    def seed(start, stop):
        for number in range(start, stop):
            legal = number % 2 == 0
            disclosures[number] = Disclosure.objects.create(
                person=person(number) if number % 3 else None,
                recipient="authority" if legal else "list_purchase",
                recipient_name=f"Court {number}" if legal else "",
                basis=DisclosureBasis.COURT_ORDER if legal else DisclosureBasis.PROCESSOR,
                categories=["user.contact.email"],
                reference=f"Order {number}",
                actor_label="pat",
            )

    assert_flat(
        client_for(privacy_officer),
        "/en/console/disclosures/",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: (
            f"Court {number}"
            if number % 2 == 0
            else str(disclosures[number].person.public_id)
            if number % 3
            else "Erased"
        ),
    )


def test_the_outbox_at_one_cost(client_for, support, django_assert_max_num_queries):
    messages = {}

    def seed(start, stop):
        for number in range(start, stop):
            messages[number] = Message.objects.create(
                person=person(number) if number % 2 else None,
                kind="notice",
                language="en",
                to=f"li.lei.{number}@acme-{number}.cn",
                subject=f"Subject {number}",
                body_text="Hello.",
            )

    assert_flat(
        client_for(support),
        "/en/console/outbox/",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: str(messages[number].public_id),
    )


def test_the_audit_log_at_one_cost(
    client_for, privacy_officer, administrator, django_assert_max_num_queries
):
    """Entries written by staff (a user to show) and by the system."""

    def seed(start, stop):
        for number in range(start, stop):
            audit_record(
                actor=(
                    Actor.staff(administrator),
                    Actor.staff(privacy_officer),
                    Actor.system("test"),
                )[number % 3],
                action="test.listed",
                object_type="row",
                object_id=f"row-{number}",
            )

    assert_flat(
        client_for(privacy_officer),
        "/en/console/audit/?action=test.",
        seed,
        django_assert_max_num_queries,
        shown=lambda number: f"<code>row-{number}</code>",
    )
