"""SECURITY.md B3/B4/I9: a per-address limit on the beacon, shared by every web process, that
fails closed."""

import secrets
import time

import pytest

from pledge.tracking.models import PageView
from pledge.tracking.ratelimit import WINDOW_SECONDS, SharedLimiter
from pledge.tracking.tests.conftest import send_beacon
from pledge.vault.models import LimitCounter
from pledge.vault.tests.limits_stores import REDIS_DOWN, database_locked, limits_in_redis

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_an_address_over_the_limit_is_refused(settings):
    settings.PLEDGE_BEACON_RATE_LIMIT = 3
    statuses = [send_beacon({"p": "/"}, ip="198.51.100.1").status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]
    assert send_beacon({"p": "/"}, ip="198.51.100.2").status_code == 204  # another address
    assert PageView.objects.count() == 4


def test_an_ipv6_network_shares_one_limit(settings):
    """One host holds a whole /64: new addresses of it do not buy new events."""
    settings.PLEDGE_BEACON_RATE_LIMIT = 2
    statuses = [
        send_beacon({"p": "/"}, ip=f"2001:db8:5:6::{host:x}").status_code for host in range(1, 4)
    ]
    assert statuses == [204, 204, 429]
    assert send_beacon({"p": "/"}, ip="2001:db8:5:7::1").status_code == 204  # another network


def test_a_forged_forwarded_for_does_not_escape_the_limit(settings):
    settings.PLEDGE_BEACON_RATE_LIMIT = 1
    send_beacon({"p": "/"}, ip="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    response = send_beacon({"p": "/"}, ip="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_key(settings):
    settings.PLEDGE_BEACON_RATE_LIMIT = 1
    settings.PLEDGE_PROXY_COUNT = 1
    assert (
        send_beacon({"p": "/"}, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
        == 204
    )
    assert (
        send_beacon({"p": "/"}, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code
        == 204
    )
    assert (
        send_beacon({"p": "/"}, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code
        == 429
    )


def spent_by_two_processes(limit: int, events: list[int]) -> list[int]:
    """Events of one address sent through two limiters that share only the limits store, as
    two web processes do: ``events`` says which one each event reaches. How many each let
    through. Run again if a new window began meanwhile (the count starts over then)."""
    while True:
        window = int(time.time()) // WINDOW_SECONDS
        address = f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(4)}"
        processes = [SharedLimiter(limit), SharedLimiter(limit)]
        allowed = [0, 0]
        for process in events:
            allowed[process] += processes[process].allow(address)
        if int(time.time()) // WINDOW_SECONDS == window:
            return allowed


def shared_count_holds(limit: int = 100) -> None:
    """Finding 5: two processes let one address through twice the limit. Together they now let
    through exactly the limit, however the events fall between them; and one that arrives
    late is refused early by at most the block the other leased and left unspent."""
    block = limit // 20
    alternating = [turn % 2 for turn in range(4 * limit)]
    bursts = [(turn // 7) % 2 for turn in range(4 * limit)]
    mostly_one = [int(turn % 9 == 0) for turn in range(4 * limit)]
    for events in (alternating, bursts, mostly_one):
        assert sum(spent_by_two_processes(limit, events)) == limit
    first, second = spent_by_two_processes(limit, [0] + [1] * (2 * limit))
    assert first == 1 and limit - block <= second < limit


def test_two_processes_share_the_limit_without_redis():
    """The embedded default: the counts live in the database (pledge/vault/limits.py)."""
    shared_count_holds()


@pytest.mark.redis
def test_two_processes_share_the_limit_in_redis(settings, redis_url):
    limits_in_redis(settings, redis_url)
    shared_count_holds()


def test_a_limit_of_zero_lets_nothing_through():
    assert spent_by_two_processes(0, [0, 1, 0, 1]) == [0, 0]


def test_when_the_limiter_store_is_down_the_beacon_refuses(settings):
    """B4: fails closed. A Redis that does not answer (nothing listens on port 1)."""
    settings.REDIS_URL = REDIS_DOWN
    assert send_beacon({"p": "/"}).status_code == 503
    assert not PageView.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_busy_database_refuses_with_503_then_lets_the_address_through_b4():
    """Finding 2: without Redis, a database busy with another writer was taken for "every
    block spent": 429, and the address refused for the rest of the minute. Now it is the
    store's refusal, 503, and once the database answers the address gets its events."""
    with database_locked():
        assert send_beacon({"p": "/"}, ip="198.51.100.5").status_code == 503
    assert send_beacon({"p": "/"}, ip="198.51.100.5").status_code == 204
    assert PageView.objects.count() == 1


def test_the_store_holds_no_address_c4():
    send_beacon({"p": "/"}, ip="198.51.100.77")
    keys = list(LimitCounter.objects.values_list("key", flat=True))
    assert len(keys) == 1 and "198.51.100.77" not in keys[0]
