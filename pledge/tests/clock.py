"""The clock as a tested dimension: tests marked ``clock`` run again at instants that catch
date mistakes (mixing UTC dates with the site's, assuming "now" is far from midnight, a month's
or a year's end, or the week's).

The site's zone, Asia/Shanghai, is eight hours ahead of UTC, so 16:00 UTC is local midnight:
the instants sit on both sides of it, on the last day of a month and of a year, on a weekday
evening and on a Sunday night. At each, time-machine freezes Python's clock for the whole
process (``time.time``, ``datetime.now``, ``date.today`` and the rest, in every thread;
``time.monotonic`` runs on, so waits and timeouts still work) from the start of the test's setup to the end of its teardown;
fixtures of a wider scope are set up at the instant of the first test that needs them. What
lives outside Python keeps the real time: a database server's or SQLite's own ``now``, Redis,
other processes. No product code reads those clocks; keep it so (no ``Now()``, no
``CURRENT_TIMESTAMP``).

    pytest --clock=all -m clock      every clock test once at each instant (make test runs this)
    pytest --clock=day-start path    the named instant only; any ISO 8601 instant works too

A test that asks for ``local_new_year`` (root conftest) sets its own instant and is not
repeated. Registered for the whole suite by the root conftest.py (pytest_plugins);
scripts/test_all.py reads ``INSTANTS`` to say what it ran.
"""

from datetime import UTC, datetime

import pytest

INSTANTS = {
    # Wednesday 23:59:59 in Shanghai: the last second of a local day.
    "day-end": datetime(2026, 6, 17, 15, 59, 59, tzinfo=UTC),
    # Thursday 00:00:01 in Shanghai while UTC is still on Wednesday.
    "day-start": datetime(2026, 6, 17, 16, 0, 1, tzinfo=UTC),
    # Sunday 28 February 23:59:59 in Shanghai: the end of a short month.
    "month-end": datetime(2027, 2, 28, 15, 59, 59, tzinfo=UTC),
    # Thursday 31 December 23:59:59 in Shanghai: the end of a year.
    "year-end": datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC),
    # Friday 1 January 2027 00:00:01 in Shanghai while UTC is still in 2026.
    "new-year": datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC),
    # Tuesday 22:10 in Shanghai: the day's working hours are over, the next free slot is
    # tomorrow's and may be the last of its window.
    "evening": datetime(2026, 6, 16, 14, 10, tzinfo=UTC),
    # Sunday 23:30 in Shanghai: "this week" ends in half an hour.
    "sunday-night": datetime(2026, 6, 21, 15, 30, tzinfo=UTC),
}
# Tests with this fixture choose their own instant.
OWN_INSTANT = "local_new_year"


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        help=(
            "run tests marked clock with the clock frozen at INSTANT: a name ("
            + ", ".join(INSTANTS)
            + "), 'all' for each of them, or an ISO 8601 instant with its zone"
        ),
    )


def instants_from(option: str | None) -> dict[str, datetime]:
    if not option:
        return {}
    if option == "all":
        return INSTANTS
    if option in INSTANTS:
        return {option: INSTANTS[option]}
    try:
        instant = datetime.fromisoformat(option)
    except ValueError:
        raise pytest.UsageError(
            f"--clock={option}: give one of {', '.join(INSTANTS)}, 'all', "
            "or an instant such as 2026-12-31T16:00:01+00:00"
        ) from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock={option}: say its zone, such as +00:00 or +08:00")
    return {option: instant}


def pytest_configure(config):
    config.clock_instants = instants_from(config.getoption("--clock"))


def pytest_generate_tests(metafunc):
    instants = metafunc.config.clock_instants
    if (
        instants
        and metafunc.definition.get_closest_marker("clock")
        and OWN_INSTANT not in metafunc.fixturenames
    ):
        metafunc.fixturenames.append("clock_instant")
        metafunc.parametrize(
            "clock_instant", list(instants.values()), ids=list(instants), indirect=True
        )


@pytest.fixture
def clock_instant(request):
    """The instant this run of the test is frozen at (None outside --clock)."""
    return getattr(request, "param", None)


def pytest_collection_modifyitems(config, items):
    if not config.clock_instants:
        return
    skip = pytest.mark.skip(reason="--clock freezes this process; a browser's server runs apart")
    for item in items:
        if "browser" in item.keywords and item.get_closest_marker("clock"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    callspec = getattr(item, "callspec", None)
    instant = callspec.params.get("clock_instant") if callspec else None
    if instant is None:
        return (yield)
    import time_machine

    with time_machine.travel(instant, tick=False):
        return (yield)
