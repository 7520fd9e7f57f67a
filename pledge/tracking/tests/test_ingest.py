"""The group-commit writer: an event is acknowledged only once committed (SECURITY.md R2)."""

import threading
import time

import pytest
from django.utils import timezone

from pledge.tracking import ingest
from pledge.tracking.beacon import new_event_id
from pledge.tracking.models import PageView, RequestLogEntry
from pledge.tracking.tests.conftest import send_beacon

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]


def test_concurrent_events_share_commits_and_every_acknowledged_one_is_stored(
    group_commit, settings
):
    # The rate limit's store is the test database, which (in memory, shared cache) refuses a
    # second writer instead of waiting: with this limit one claim, before any commit, covers
    # every event, and what is measured is the commits.
    settings.PLEDGE_BEACON_RATE_LIMIT = 1_000_000
    commits = []
    write = group_commit.sink.write

    def counting_write(events):
        commits.append(len(events))
        write(events)

    group_commit.sink.write = counting_write
    acknowledged = []

    def visitor():
        for _ in range(25):
            if send_beacon({"id": (event_id := new_event_id()), "p": "/"}).status_code == 204:
                acknowledged.append(event_id)

    threads = [threading.Thread(target=visitor) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acknowledged) == 200
    stored = set(PageView.objects.values_list("event_id", flat=True))
    assert stored == set(acknowledged)
    assert len(commits) < 200  # several events per commit: no round trip per request


def test_an_event_whose_commit_failed_is_not_acknowledged(group_commit):
    def broken(events):
        raise OSError("disk full")

    group_commit.sink.write = broken
    assert send_beacon({"p": "/"}).status_code == 503
    assert not PageView.objects.exists()


def test_request_log_rows_ride_the_same_commits(group_commit, client):
    client.get("/en/")
    assert group_commit.flush()
    assert RequestLogEntry.objects.count() == 1


def test_stop_commits_what_is_queued(group_commit):
    fields = ("", "", "", "", "", "", "", "Chrome", "Linux", "computer", "en", False, "v", "")
    batch = group_commit.submit(ingest.VIEW, (new_event_id(), timezone.now(), "/", *fields))
    group_commit.stop()
    assert batch.finished and batch.ok
    assert PageView.objects.count() == 1


def test_the_request_log_columns_are_the_declarable_fields_and_the_bot_flag_p08():
    """The inventory's list of request fields is the one list: its "time" is the column ``at``."""
    columns = {field.name for field in RequestLogEntry._meta.fields} - {"id"}
    assert set(ingest.DatabaseSink.REQUEST_FIELDS) == columns
    assert ingest.DatabaseSink.REQUEST_FIELDS[0] == "at"  # the middleware's values start with it


def test_the_writers_of_one_machine_take_turns_on_sqlite(tmp_path):
    # Two web processes' writers, as two sinks with their own open file (flock conflicts
    # between open files, in one process or two): never both inside their turn at once.
    path = str(tmp_path / "pledge.sqlite3-ingest.lock")
    inside, overlaps, turns = [], [], 100

    def writer():
        sink = ingest.DatabaseSink()
        sink.turn_path = lambda: path
        for _ in range(turns):
            with sink.turn():
                inside.append(1)
                time.sleep(0.0005)  # a commit: the other writer runs meanwhile
                if len(inside) > 1:
                    overlaps.append(len(inside))
                inside.pop()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_a_turn_is_given_back_when_the_write_fails(tmp_path):
    import fcntl

    sink = ingest.DatabaseSink()
    sink.turn_path = lambda: str(tmp_path / "ingest.lock")
    with pytest.raises(OSError), sink.turn():
        raise OSError("disk full")
    with open(tmp_path / "ingest.lock", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the turn were still held


def test_postgresql_has_no_turns_and_memory_databases_need_none():
    from django.db import connection

    assert ingest.DatabaseSink().turn_path() is None  # the test database is in memory or PG
    assert connection.vendor == "postgresql" or "memory" in connection.settings_dict["NAME"]
