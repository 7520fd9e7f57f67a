"""The clock runs (pledge/tests/clock.py): the instants mean what their names say, a frozen
clock catches a UTC date taken for the site's, and no test that reads the clock escapes them."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from pledge.tests.clock import INSTANTS

ROOT = Path(__file__).resolve().parents[2]


def local(name: str):
    return timezone.localtime(INSTANTS[name], timezone.get_default_timezone())


def test_the_instants_sit_where_date_mistakes_show():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert f"{local('day-end'):%H:%M:%S}" == "23:59:59"
    assert f"{local('day-start'):%H:%M:%S}" == "00:00:01"
    assert local("day-start").date() != INSTANTS["day-start"].date()  # UTC is a day behind
    assert (local("month-end") + timedelta(seconds=1)).day == 1  # the month's last second
    assert f"{local('year-end'):%m-%d %H:%M:%S}" == "12-31 23:59:59"
    assert local("new-year").year == INSTANTS["new-year"].year + 1
    assert local("sunday-night").weekday() == 6 and local("sunday-night").hour == 23


@pytest.mark.clock
def test_each_clock_test_runs_frozen_at_each_instant(clock_instant):
    if clock_instant is None:
        pytest.skip("runs under --clock (make test's clock run)")
    assert timezone.now() == clock_instant  # frozen: not a tick later
    assert timezone.now() == clock_instant


CATCHES = """
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest


@pytest.mark.clock
def test_a_utc_date_taken_for_the_sites():
    assert datetime.now(UTC).date() == datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_unmarked_runs_once():
    pass
"""


def test_the_clock_run_catches_a_utc_date_taken_for_the_sites(pytester):
    """The mistake behind a deadline shown a day early fails at exactly the instants where the
    two dates differ, and each failure names its instant."""
    pytester.makepyfile(CATCHES)
    result = pytester.runpytest_subprocess(
        "-p", "pledge.tests.clock", "-p", "no:django", "--clock=all"
    )
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "FAILED *test_a_utc_date_taken_for_the_sites[[]day-start[]]*",
            "FAILED *test_a_utc_date_taken_for_the_sites[[]new-year[]]*",
        ]
    )


def test_a_wrong_instant_says_what_to_write(pytester):
    pytester.makepyfile(CATCHES)
    result = pytester.runpytest_subprocess(
        "-p", "pledge.tests.clock", "-p", "no:django", "--clock=midnight"
    )
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--clock=midnight: give one of day-end, day-start*"])


# What a test module says when it reads or moves the clock.
CLOCK_WORDS = re.compile(
    r"\b(timedelta|datetime|timezone\.(now|local\w+)|time\.time|time_machine|local_new_year)\b"
)


def test_every_test_module_that_touches_the_clock_runs_at_the_instants():
    unmarked = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "pledge").rglob("test_*.py"))
        if CLOCK_WORDS.search(source := path.read_text(encoding="utf-8"))
        and "pytest.mark.clock" not in source
    ]
    assert not unmarked, f"add pytest.mark.clock to pytestmark in {unmarked}"
