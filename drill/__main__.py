"""``make drill``: run the scale-out drill and print its table (docs/deploy.md).

DRILL_SECONDS sets how long traffic runs (default 150; CI runs 90); the faults are spread
over it. Exits 1 when a check fails or the drill cannot start, 2 only when this machine lacks
a program the drill needs (scripts/test_all.py then skips it).
"""

import fcntl
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from drill.cluster import ROOT, Cluster, missing_tools

SECONDS = int(os.environ.get("DRILL_SECONDS", "150"))
FOLDER = Path(os.environ.get("DRILL_FOLDER", ROOT / "var" / "drill"))


def log(*words) -> None:
    print(f"[drill {time.strftime('%H:%M:%S', time.gmtime())}]", *words, flush=True)


def main() -> int:
    missing = missing_tools()
    if missing:
        print(
            "The drill needs " + ", ".join(missing) + " on this machine "
            f"(Debian: apt-get install {' '.join(missing)}).",
            file=sys.stderr,
        )
        return 2
    # A CI timeout or a closed terminal ends the drill through its cleanup, not around it.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda received, frame: sys.exit(128 + received))
    FOLDER.mkdir(parents=True, exist_ok=True)
    with open(FOLDER.parent / "drill.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Another drill is running in {FOLDER}.", file=sys.stderr)
            return 1
        if any(FOLDER.iterdir()) and not (FOLDER / ".drill").exists():
            print(f"{FOLDER} holds files the drill did not write: choose DRILL_FOLDER.")
            return 1
        shutil.rmtree(FOLDER)
        FOLDER.mkdir()
        (FOLDER / ".drill").touch()
        return drill()


def drill() -> int:
    cluster = Cluster(FOLDER)
    try:
        cluster.start(log)
        os.environ.update(cluster.environment("drill"))
        import django

        django.setup()
        from drill.run import run

        return run(cluster, SECONDS, log)
    finally:
        log("Stopping every process the drill started")
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        cluster.stop()
        if left := cluster.still_running():
            log("warning: still running after the stop:", ", ".join(left))


if __name__ == "__main__":
    sys.exit(main())
