"""The clock runs (pledge/tests/clock.py): the instants mean what their names say, a frozen
clock catches a UTC date taken for the site's, and no test that reads the clock escapes them."""

import ast
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


@pytest.mark.clock
def test_the_instants_sit_where_date_mistakes_show():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert f"{local('day-end'):%H:%M:%S}" == "23:59:59"
    assert f"{local('day-start'):%H:%M:%S}" == "00:00:01"
    assert local("day-start").date() != INSTANTS["day-start"].date()  # UTC is a day behind
    assert (local("month-end") + timedelta(seconds=1)).day == 1  # the month's last second
    assert f"{local('year-end'):%m-%d %H:%M:%S}" == "12-31 23:59:59"
    assert local("new-year").year == INSTANTS["new-year"].year + 1
    assert local("sunday-night").weekday() == 6 and local("sunday-night").hour == 23
    assert local("evening").weekday() < 5 and local("evening").hour == 22  # after work


@pytest.fixture
def setup_and_teardown_times():
    """When this fixture was set up, and (checked by the test below) when it is torn down."""
    seen = {"setup": timezone.now()}
    yield seen
    if "instant" in seen:
        assert timezone.now() == seen["instant"], "the clock moved before the teardown"


@pytest.mark.clock
def test_each_clock_test_runs_frozen_at_each_instant(clock_instant, setup_and_teardown_times):
    if clock_instant is None:
        pytest.skip("runs under --clock (make test's clock run)")
    setup_and_teardown_times["instant"] = clock_instant
    assert setup_and_teardown_times["setup"] == clock_instant  # frozen before the fixtures
    assert timezone.now() == clock_instant  # and not a tick later


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
    """The mistake behind a deadline shown a day early fails at exactly the two instants where
    UTC and Shanghai disagree on the day, and each failure names its instant."""
    pytester.makepyfile(CATCHES)
    result = pytester.runpytest_subprocess(
        "-p", "pledge.tests.clock", "-p", "no:django", "--clock=all"
    )
    result.assert_outcomes(passed=6, failed=2)  # 5 instants agree, 1 unmarked
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
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--clock=midnight: give one of day-end, day-start*"])


# What a test module says when it reads or moves the clock, or dates something.
CLOCK_WORDS = re.compile(
    r"\b(timedelta|datetime|date|timezone\.(now|local\w+)|time\.time|time_machine"
    r"|local_new_year|Trunc\w+|\w+_at)\b"
)


def module_marked(tree: ast.Module) -> bool:
    """Whether ``pytestmark`` names pytest.mark.clock, or every test function carries it."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            return "pytest.mark.clock" in ast.unparse(node.value)
    tests = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    return bool(tests) and all(
        any("pytest.mark.clock" in ast.unparse(mark) for mark in test.decorator_list)
        for test in tests
        if CLOCK_WORDS.search(ast.unparse(test))
    )


def test_every_test_module_that_touches_the_clock_runs_at_the_instants():
    unmarked = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "pledge").rglob("test_*.py"))
        if CLOCK_WORDS.search(source := path.read_text(encoding="utf-8"))
        and not module_marked(ast.parse(source))
    ]
    assert not unmarked, f"add pytest.mark.clock to pytestmark in {unmarked}"
