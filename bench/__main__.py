"""``make bench``: runs every benchmark module in this folder, then prints the one table.

BENCH_ONLY=beacon,console runs only those modules (their names without ``bench_``);
BENCH_SECONDS and BENCH_KINDS shorten every run (bench/common.py).
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from bench import common


def main() -> int:
    names = sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if module.name.startswith("bench_")
    )
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    if only:
        names = [name for name in names if name.removeprefix("bench_") in only]
    if not names:
        print("no benchmarks to run")
        return 0
    began = common.machine()
    for name in names:
        print(f"\n## {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()
    print(f"\n## every figure\n\n{began}\n\n{common.table(common.FIGURES)}")
    print(f"\nwritten to {common.latest_write(common.FIGURES, began)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
