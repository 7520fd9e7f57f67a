"""``make bench``: runs every benchmark module in this folder and prints its table."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = [
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if module.name.startswith("bench_")
    ]
    if not names:
        print("no benchmarks yet")
        return 0
    for name in sorted(names):
        print(f"\n## {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
