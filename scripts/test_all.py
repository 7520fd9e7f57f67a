"""Run the whole suite on SQLite, then again on PostgreSQL when one is reachable, then the
tests marked ``clock`` at each frozen instant of pledge/tests/clock.py (on SQLite: the dates
are Python's on both databases, and SQLite lives in the frozen process), then a short scale-out
drill (drill/) where PostgreSQL, Redis and nginx are installed.

PostgreSQL is looked for at TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/pledge)
and Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379/15); tests that need one are skipped
with a reason when it is not there, so a fresh laptop passes too. Exits non-zero if any run fails.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pledge.tests.clock import INSTANTS

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
DRILL_CANNOT_RUN = 2  # drill/__main__.py: a program it needs is missing

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def run(label: str, environment: dict[str, str], *extra: str) -> int:
    print(f"\n=== pytest on {label} ===", flush=True)
    command = [sys.executable, "-m", "pytest", *sys.argv[1:], *extra]
    return subprocess.call(command, env=environment)


def drill() -> int:
    """The scale-out drill, shortened (`make drill` runs the whole one): two app servers and two
    workers behind nginx, faults injected, nothing lost (docs/deploy.md). It exits 2, saying
    what to install, on a machine without PostgreSQL's, Redis' or nginx's programs: skipped."""
    if sys.argv[1:]:  # tests picked by hand: the drill is not among them
        return 0
    print("\n=== the scale-out drill (90 s of traffic) ===", flush=True)
    environment = {**os.environ, "DRILL_SECONDS": os.environ.get("DRILL_SECONDS", "90")}
    outcome = subprocess.call([sys.executable, "-m", "drill"], env=environment, cwd=ROOT)
    if outcome == DRILL_CANNOT_RUN:
        print("The scale-out drill is skipped on this machine.")
        return 0
    return outcome


def main() -> int:
    # The SQLite run must not inherit a DATABASE_URL from the caller's shell.
    base = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if reachable(REDIS_URL):
        base["TEST_REDIS_URL"] = REDIS_URL
    else:
        print(f"Redis is not reachable at {REDIS_URL}: its tests will be skipped.")

    failures = run("SQLite", base)
    if reachable(POSTGRES_URL):
        failures |= run("PostgreSQL", {**base, "DATABASE_URL": POSTGRES_URL})
    else:
        print(f"\nPostgreSQL is not reachable at {POSTGRES_URL}: the PostgreSQL run is skipped.")
    instants = ", ".join(
        f"{name} {moment:%Y-%m-%d %H:%M:%S} UTC" for name, moment in INSTANTS.items()
    )
    # No browser test runs under the clock: two workers halve the time it adds.
    clock = ("--clock=all", "-m", "clock", "-n", "2")
    outcome = run(f"SQLite, the clock frozen at {instants}", base, *clock)
    if outcome != pytest.ExitCode.NO_TESTS_COLLECTED:  # arguments that pick no clock test
        failures |= outcome
    failures |= drill()
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        print(f"\nScreenshots the browser tests took, to look at: {SCREENSHOTS}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
