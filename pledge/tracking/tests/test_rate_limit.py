"""SECURITY.md B3/B4/I9: a per-address limit on the beacon that fails closed."""

import pytest

from pledge.tracking.models import PageView
from pledge.tracking.ratelimit import RedisLimiter
from pledge.tracking.tests.conftest import send_beacon

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_an_address_over_the_limit_is_refused(settings):
    settings.PLEDGE_BEACON_RATE_LIMIT = 3
    statuses = [send_beacon({"p": "/"}, ip="198.51.100.1").status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]
    assert send_beacon({"p": "/"}, ip="198.51.100.2").status_code == 204  # another address
    assert PageView.objects.count() == 4


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


@pytest.mark.redis
def test_redis_counts_across_processes(settings, redis_url):
    settings.REDIS_URL = redis_url
    settings.PLEDGE_BEACON_RATE_LIMIT = 2
    RedisLimiter(redis_url, 2).client.flushdb()
    statuses = [send_beacon({"p": "/"}, ip="198.51.100.9").status_code for _ in range(3)]
    assert statuses == [204, 204, 429]
    # Another process shares the same counters.
    assert RedisLimiter(redis_url, 2).allow("198.51.100.9") is False


def test_when_the_limiter_store_is_down_the_beacon_refuses(settings):
    """B4: fails closed. A Redis that does not answer (nothing listens on port 1)."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert send_beacon({"p": "/"}).status_code == 503
    assert not PageView.objects.exists()
