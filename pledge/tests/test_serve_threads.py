"""`pledge serve` at its defaults is the fast beacon: many waiting threads share each commit.

The figures are `make bench`'s (docs/benchmarks.md); this checks the behaviour they rest on:
with the default PLEDGE_WEB_THREADS, a burst of concurrent beacon events is answered together,
each one stored, and granian's warning about many threads is not printed (they are meant).
"""

import sqlite3
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from pledge.tests.servers import pledge_served

pytestmark = pytest.mark.timeout(120)
BURST = 96


def test_a_burst_of_beacon_events_is_answered_and_stored_at_the_default_threads(tmp_path):
    with pledge_served(tmp_path, PLEDGE_BEACON_RATE_LIMIT="100000") as served:
        start = threading.Barrier(BURST)

        def event(index: int) -> int:
            start.wait()
            request = urllib.request.Request(
                f"http://127.0.0.1:{served.port}/beacon",
                data=f"k=view&id=burst{index:027d}&p=/en/".encode(),
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status

        with ThreadPoolExecutor(BURST) as pool:
            statuses = list(pool.map(event, range(BURST)))
        log = served.log.read_text()
    assert statuses == [204] * BURST
    database = sqlite3.connect(tmp_path / "pledge.sqlite3")
    stored = database.execute(
        "SELECT count(*) FROM tracking_pageview WHERE event_id LIKE 'burst%'"
    ).fetchone()[0]
    assert stored == BURST
    assert "seems quite high" not in log
