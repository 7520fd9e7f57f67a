"""``make drill``: run the scale-out drill and print its table (docs/deploy.md).

DRILL_SECONDS sets how long traffic runs (default 150; CI runs 90); the faults are spread
over it. Exits 1 when a check fails, 2 when this machine lacks a program the drill needs.
"""

import os
import shutil
import sys
import time
from pathlib import Path

from drill.cluster import ROOT, Cluster, answers, missing_tools

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
    shutil.rmtree(FOLDER, ignore_errors=True)
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
        cluster.stop()
        if answers(f"http://127.0.0.1:{cluster.app_ports[0]}/healthz"):
            log("warning: an app server still answers after the stop")


if __name__ == "__main__":
    sys.exit(main())
