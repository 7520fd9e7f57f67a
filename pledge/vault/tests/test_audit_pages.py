"""The audit log's pages: a keyset by sequence number (``?before=``/``?after=``), never OFFSET."""

import re

import pytest

from pledge.vault.actors import Actor
from pledge.vault.audit import audit_cursor, audit_page, audit_record

pytestmark = pytest.mark.django_db


def seed(count: int, action: str = "test.paged") -> list[int]:
    """``count`` entries; their sequence numbers, oldest first."""
    return [
        audit_record(actor=Actor.system("test"), action=action, object_id=f"row-{n}").sequence
        for n in range(count)
    ]


def shown(page) -> list[int]:
    return [entry.sequence for entry in page.entries]


def test_the_page_after_the_last_entry_of_page_one_begins_with_the_next_entry(privacy_officer):
    sequences = seed(12)
    actor = Actor.staff(privacy_officer)
    first = audit_page(actor=actor, action="test.", size=5)
    assert shown(first) == sequences[::-1][:5]
    assert first.first and first.newer is None and first.older == sequences[-5]
    second = audit_page(actor=actor, action="test.", before=first.older, size=5)
    assert shown(second) == sequences[::-1][5:10]
    assert second.newer == sequences[-6] and second.older == sequences[-10]
    last = audit_page(actor=actor, action="test.", before=second.older, size=5)
    assert shown(last) == sequences[::-1][10:]
    assert last.older is None
    # And back: the page newer than the second's first entry is the first page again.
    back = audit_page(actor=actor, action="test.", after=second.newer, size=5)
    assert shown(back) == shown(first) and back.newer is None
    assert back.older == first.older


def test_the_action_filter_holds_across_pages(privacy_officer):
    paged = seed(4)
    seed(3, action="other.thing")
    actor = Actor.staff(privacy_officer)
    first = audit_page(actor=actor, action="test.", size=3)
    second = audit_page(actor=actor, action="test.", before=first.older, size=3)
    assert shown(first) + shown(second) == paged[::-1]


@pytest.mark.parametrize("value", ["", "abc", "-5", "1e3", "\uff11\uff12", "9" * 21, None, " 7 "])
def test_a_cursor_is_digits_or_nothing(value):
    expected = 7 if value == " 7 " else None
    assert audit_cursor(value) == expected


def test_a_cursor_past_either_end_leaves_a_way_back(privacy_officer):
    sequences = seed(3)
    actor = Actor.staff(privacy_officer)
    beyond = audit_page(actor=actor, after=sequences[-1] + 100)
    assert shown(beyond) == [] and beyond.older is not None and not beyond.first
    before_all = audit_page(actor=actor, before=1)
    assert shown(before_all) == [] and before_all.newer is not None


def test_the_console_pages_by_links_that_work_without_script(privacy_officer, client_for):
    sequences = seed(60)
    client = client_for(privacy_officer)
    first = client.get("/en/console/audit/?action=test.")
    assert first.status_code == 200
    older = re.search(r'href="\?action=test\.&amp;before=(\d+)"', first.text)
    assert older and int(older.group(1)) == sequences[-50]
    second = client.get(f"/en/console/audit/?action=test.&before={older.group(1)}")
    assert "<code>row-9</code>" in second.text and "<code>row-10</code>" not in second.text
    assert 'href="?action=test.&amp;after=' in second.text
    assert "Newest" in second.text
    chinese = client.get(f"/console/audit/?action=test.&before={older.group(1)}").text
    assert "最新" in chinese


@pytest.mark.parametrize("query", ["before=abc", "after=-1", "before=" + "9" * 40, "page=999"])
def test_a_bad_cursor_gives_a_page_not_an_error(privacy_officer, client_for, query):
    seed(3)
    response = client_for(privacy_officer).get(f"/en/console/audit/?{query}")
    assert response.status_code == 200
    assert "<code>row-2</code>" in response.text
