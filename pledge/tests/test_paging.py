"""Pages of a long list without a count (pledge/paging.py): the outbox and the leads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledge.paging import page_number, window
from pledge.people.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations():
    Organization.objects.bulk_create(
        Organization(name=f"org {n}", domain=f"org{n}.example") for n in range(7)
    )
    return Organization.objects.order_by("-id")


def test_a_window_reads_its_rows_and_one_more_never_a_count(organizations):
    with CaptureQueriesContext(connection) as captured:
        first = window(organizations, "1", size=3)
    assert len(captured) == 1 and "COUNT" not in captured[0]["sql"].upper()
    assert [o.name for o in first] == ["org 6", "org 5", "org 4"]
    assert first.has_next and not first.has_previous and first.next_page_number == 2
    last = window(organizations, "3", size=3)
    assert [o.name for o in last] == ["org 0"]
    assert not last.has_next and last.has_previous and last.previous_page_number == 2


@pytest.mark.parametrize(
    ("value", "number"),
    [("", 1), (None, 1), ("0", 1), ("-2", 1), ("x", 1), ("\uff12", 1), ("4", 4), ("9" * 30, 1)],
)
def test_a_page_number_from_an_address_is_a_positive_number_or_the_first(value, number):
    assert page_number(value) == number


def test_a_page_past_the_end_is_empty_with_a_way_back(organizations):
    page = window(organizations, "50", size=3)
    assert list(page) == [] and not page.has_next and page.has_previous
