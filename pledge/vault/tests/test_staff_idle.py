"""SECURITY.md A7: the staff idle limit cannot be set below what its clock can measure."""

from django.conf import settings

from pledge.tests.test_configuration import run_pledge
from pledge.vault.middleware import LAST_SEEN_EVERY


def test_the_minimum_is_twice_the_clocks_step():
    """The idle clock is written at most every LAST_SEEN_EVERY seconds, so a session may end
    that much before its idle time: at the minimum, nobody active in the last 30 s is out."""
    assert settings.PLEDGE_STAFF_IDLE_MIN_SECONDS == 2 * LAST_SEEN_EVERY == 60


def test_an_idle_limit_under_the_minimum_stops_start_up_with_the_fix(tmp_path):
    result = run_pledge("check", PLEDGE_VAR=str(tmp_path), PLEDGE_STAFF_IDLE_SECONDS="59")
    assert result.returncode != 0
    assert "PLEDGE_STAFF_IDLE_SECONDS is 59: set it to 60 or more" in result.stderr


def test_the_minimum_itself_is_accepted(tmp_path):
    result = run_pledge("check", PLEDGE_VAR=str(tmp_path), PLEDGE_STAFF_IDLE_SECONDS="60")
    assert result.returncode == 0, result.stderr
