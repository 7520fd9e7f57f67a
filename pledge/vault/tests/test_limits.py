"""The limits store (pledge/vault/limits.py): exact counts under concurrency, store errors that
are never taken for a limit reached, and no live counter ever forgotten (SECURITY.md A5, B3,
B4, C4)."""

import secrets
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections

from pledge.intake.defence import Refused, rate_hit
from pledge.scheduler import PERIODIC_JOBS, job_tick
from pledge.tracking.ratelimit import WINDOW_SECONDS, SharedLimiter
from pledge.vault import limits
from pledge.vault.limits import StoreUnavailable, limits_store
from pledge.vault.models import LimitCounter
from pledge.vault.tests.limits_stores import REDIS_DOWN, sqlite_file_store, sqlite_write_locked

pytestmark = pytest.mark.clock

THREADS = 4


@pytest.fixture(
    params=[
        "sqlite-file",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def shared_store(request, settings, tmp_path, monkeypatch):
    """The store as several threads (several web processes' requests) share it. Yields what
    each thread runs when it ends (closing its own connection)."""
    if request.param == "redis":
        settings.REDIS_URL = request.getfixturevalue("redis_url")  # every key is the test's own
        yield lambda: None
    elif request.param == "postgres":
        request.getfixturevalue("transactional_db")
        yield connections.close_all
    else:
        request.getfixturevalue("db")  # lets the threads open the file
        store, handler = sqlite_file_store(tmp_path / "limits.sqlite3")
        monkeypatch.setattr(limits, "DATABASE_STORE", store)
        yield handler.close_all
        handler.close_all()


def at_once(work, thread_end, calls: int) -> list:
    """``work()`` called ``calls`` times by each of THREADS threads, started together; every
    result."""
    results, start = [], threading.Barrier(THREADS)

    def run():
        try:
            start.wait()
            for _ in range(calls):
                results.append(work())
        finally:
            thread_end()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def within_one_window(seconds: int, attempt):
    """``attempt()``, again until it ran within one window of ``seconds``: a new window starts
    every count again."""
    while True:
        window = int(time.time()) // seconds
        outcome = attempt()
        if int(time.time()) // seconds == window:
            return outcome


def test_concurrent_increments_lose_no_count(shared_store):
    """Finding 1: Django's database cache read then wrote, so two writers could both write the
    same count. Each increment now gets its own number, and the last is the number of calls."""

    def attempt():  # a fresh key each time: a new minute would start counting again
        key = f"test:{secrets.token_hex(8)}"
        return at_once(lambda: limits_store().increment(key, 60), shared_store, 50)

    counts = within_one_window(60, attempt)  # the clock runs start a second before a minute
    assert sorted(counts) == list(range(1, THREADS * 50 + 1))


def test_a_key_is_claimed_by_one_caller_only(shared_store):
    keys = [f"test:{secrets.token_hex(8)}" for _ in range(20)]
    claims = at_once(lambda: [limits_store().claim(key, 60) for key in keys], shared_store, 1)
    assert [sum(claimed[index] for claimed in claims) for index in range(20)] == [1] * 20


def posts_from_one_address(thread_end) -> list[str]:
    address = f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(4)}"

    def post() -> str:
        try:
            rate_hit("ip", address, limit=30)
        except Refused as refused:
            return refused.reason
        return "let through"

    return at_once(post, thread_end, 20)


def test_concurrent_form_posts_get_exactly_the_limit_b3(shared_store):
    outcomes = within_one_window(3600, lambda: posts_from_one_address(shared_store))
    assert outcomes.count("let through") == 30
    assert outcomes.count("rate") == THREADS * 20 - 30


def events_through_two_processes(thread_end) -> int:
    """Two beacon limiters (two web processes), half the threads on each, 100 events from
    each thread for one address with a limit of 100; how many were let through."""
    address = f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(4)}"
    processes = [SharedLimiter(100), SharedLimiter(100)]
    turns = iter(range(THREADS))
    mine = threading.local()

    def event() -> bool:
        if not hasattr(mine, "limiter"):
            mine.limiter = processes[next(turns) % 2]
        return mine.limiter.allow(address)

    return sum(at_once(event, thread_end, 100))


def test_two_processes_hammering_one_address_let_through_exactly_the_limit_b3(shared_store):
    """Never more than the limit, and not less once every block is claimed and spent."""
    assert (
        within_one_window(WINDOW_SECONDS, lambda: events_through_two_processes(shared_store)) == 100
    )


@pytest.mark.django_db
def test_a_locked_database_is_store_unavailable_not_limit_reached_b4(tmp_path):
    """Finding 2: the database cache answered "database is locked" as "already there", so the
    beacon took every block for spent and refused the address with 429 for the rest of the
    minute. The store now raises, and a block it could not claim is still there afterwards."""
    store, handler = sqlite_file_store(tmp_path / "limits.sqlite3", timeout=0.1)
    with sqlite_write_locked(handler):
        with pytest.raises(StoreUnavailable, match="database is locked"):
            store.claim("test:block", 60)
        with pytest.raises(StoreUnavailable, match="database is locked"):
            store.increment("test:count", 60)
    assert store.claim("test:block", 60) is True
    assert store.increment("test:count", 60) == 1
    handler.close_all()


def test_a_redis_that_does_not_answer_is_store_unavailable_b4(settings):
    settings.REDIS_URL = REDIS_DOWN
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        limits_store().claim("test:block", 60)
    with pytest.raises(StoreUnavailable):
        limits_store().increment("test:count", 60)
    assert time.monotonic() - started < 2  # refused at once, no web thread held


@pytest.mark.django_db
def test_a_count_starts_again_once_expired_and_a_claim_can_be_made_again(time_machine):
    time_machine.move_to(time.time(), tick=False)
    store = limits_store()
    assert [store.increment("test:count", 60) for _ in range(3)] == [1, 2, 3]
    assert store.claim("test:block", 60) is True
    assert store.claim("test:block", 60) is False
    time_machine.shift(timedelta(seconds=59))
    assert store.increment("test:count", 60) == 4  # the expiry runs from the first count
    assert store.claim("test:block", 60) is False
    time_machine.shift(timedelta(seconds=1))
    assert store.increment("test:count", 60) == 1
    assert store.claim("test:block", 60) is True


@pytest.mark.redis
def test_redis_keys_expire_with_their_window(settings, redis_url):
    settings.REDIS_URL = redis_url
    store = limits_store()
    key = f"test:{secrets.token_hex(8)}"
    assert [store.increment(key, 60) for _ in range(2)] == [1, 2]
    assert store.claim(f"{key}:claim", 120) is True
    assert 0 < store.client.ttl(limits.REDIS_PREFIX + key) <= 60
    assert 60 < store.client.ttl(f"{limits.REDIS_PREFIX}{key}:claim") <= 120


@pytest.mark.django_db
def test_the_periodic_job_deletes_expired_counters_and_never_a_live_one(time_machine):
    """Finding 3: past MAX_ENTRIES rows Django's database cache deleted a third of the live
    keys, so spent blocks could be claimed again and form counts were forgotten. Thousands of
    live counters all survive the job, with their counts; only the expired ones go."""
    time_machine.move_to(time.time(), tick=False)
    store = limits_store()
    for number in range(1000):
        store.claim(f"test:old:{number}", 60)
    time_machine.shift(timedelta(seconds=61))
    for number in range(3000):
        store.claim(f"test:live:{number}", 60)
    assert store.increment("test:live:0", 60) == 2
    job = next(
        job for job in PERIODIC_JOBS if job.task == "pledge.vault.tasks.forget_limit_counters"
    )
    assert job_tick(job) is True
    assert LimitCounter.objects.count() == 3000
    assert not LimitCounter.objects.filter(key__startswith="test:old:").exists()
    assert LimitCounter.objects.get(key="test:live:0").count == 2
    assert all(store.claim(f"test:live:{number}", 60) is False for number in range(3000))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_refuses_once_then_counts_again_b4():
    """The beacon's threads live outside Django's requests, which are what replace a broken
    connection: the store closes it itself, so a restarted PostgreSQL costs one refusal."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    def terminate():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits for it
        connection.close()

    killer = threading.Thread(target=terminate)
    killer.start()
    killer.join()
    with pytest.raises(StoreUnavailable):
        limits_store().increment("test:count", 60)
    assert limits_store().increment("test:count", 60) == 1
