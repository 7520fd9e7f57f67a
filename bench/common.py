"""What every benchmark shares: servers on loopback, timings, memory, and the one table.

Each ``bench_*`` module's ``main()`` measures and calls ``record()`` for every figure it wants
in the table: its value, the baseline measured in the same run (a ratio is all that compares
across runs on a shared machine), and its aim. ``python -m bench`` prints the table after the
modules have run and writes it as Markdown to ``var/bench/latest.md`` (docs/benchmarks.md).
"""

import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))


def kinds() -> list[str]:
    """The databases asked for (BENCH_KINDS, both by default) that answer here."""
    asked = os.environ.get("BENCH_KINDS", "sqlite,postgres")
    found = ["sqlite"] + (["postgres"] if reachable(POSTGRES_URL) else [])
    return [kind for kind in found if kind in asked]


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def located(command: str) -> str | None:
    sbin = Path("/usr/sbin") / command
    return shutil.which(command) or (str(sbin) if sbin.exists() else None)


def ensure(command: str, package: str) -> str | None:
    """The command's path, installing Debian's ``package`` first if it is missing."""
    if found := located(command):
        return found
    print(f"installing {package} from Debian ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=environment, check=False)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", package], env=environment, check=False
    )
    return located(command)


def wait_ready(url: str, process, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode})")
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {
        "count": len(ordered),
        "p50": statistics.median(ordered),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
    }


# --- Memory ----------------------------------------------------------------------------------


def peak_mb() -> float:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return found


def peak_rss_mb(pid: int) -> dict[str, float]:
    """The peak resident memory (VmHWM) of ``pid`` and of each process below it, by command
    line; read before the processes end. Several processes of one command keep the largest."""
    peaks: dict[str, float] = {}
    for each in process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
            command = Path(f"/proc/{each}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                megabytes = int(line.split()[1]) / 1024
                peaks[command.strip()] = max(peaks.get(command.strip(), 0.0), megabytes)
    return peaks


# --- The table -------------------------------------------------------------------------------


@dataclass
class Figure:
    bench: str
    name: str
    value: float
    unit: str  # "/s", "ms", "MB", "s"
    baseline: str = ""  # what the value is compared with, measured in the same run
    baseline_value: float | None = None
    aim: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def met(self) -> bool | None:
        if self.aim is None:
            return None
        return self.value >= self.aim if self.higher_is_better else self.value <= self.aim


FIGURES: list[Figure] = []


def record(bench: str, name: str, value: float, unit: str, **details) -> Figure:
    """Add one figure to ``make bench``'s table (see ``Figure`` for ``details``)."""
    figure = Figure(bench, name, value, unit, **details)
    FIGURES.append(figure)
    return figure


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    digits = 1 if abs(value) < 10 and unit != "/s" else 0
    return f"{value:,.{digits}f} {unit}".replace(" /s", "/s").strip()


def table(figures: list[Figure]) -> str:
    lines = [
        "| bench | figure | value | baseline (same run) | ratio | aim | |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for figure in figures:
        baseline = (
            f"{figure.baseline}: {amount(figure.baseline_value, figure.unit)}"
            if figure.baseline
            else ""
        )
        ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else ""
        aim = ""
        if figure.aim is not None:
            aim = ("≥ " if figure.higher_is_better else "≤ ") + amount(figure.aim, figure.unit)
        verdict = {True: "met", False: "MISSED", None: ""}[figure.met]
        if figure.note:
            verdict = f"{verdict} ({figure.note})" if verdict else figure.note
        lines.append(
            f"| {figure.bench} | {figure.name} | {amount(figure.value, figure.unit)} "
            f"| {baseline} | {ratio} | {aim} | {verdict} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """One line: the date, the processor, cores, memory and the load when the run began."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {model or platform.processor()}, "
        f"{os.cpu_count()} cores, {memory:.0f} GiB, load {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}, BENCH_SECONDS={SECONDS}, "
        f"BENCH_KINDS={','.join(kinds())}"
    )


def latest_write(figures: list[Figure], began: str, path: Path | None = None) -> Path:
    """Write the table to ``var/bench/latest.md`` (or ``path``)."""
    path = path or Path(os.environ.get("PLEDGE_VAR", ROOT / "var")) / "bench" / "latest.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# make bench\n\n{began}\n\n{table(figures)}\n", encoding="utf-8")
    return path


# --- Workers ---------------------------------------------------------------------------------


def worker_run(
    module: str,
    label: str,
    database_url: str,
    var: Path,
    *,
    timeout: int,
    timeout_setting: str,
    arguments: tuple[str, ...] = (),
    environment: dict | None = None,
    shown=lambda line: True,
) -> dict | None:
    """Run ``python -m bench.<module> --worker`` (a Django of its own on ``database_url``),
    pass on the last lines of its stderr and return the JSON of its last stdout line; None
    when it failed or ran past ``timeout`` seconds (the setting that raises it is named)."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PLEDGE_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **(environment or {}),
    }
    try:
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{module}", "--worker", *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"{label}: stopped after {timeout} s ({timeout_setting})")
        return None
    lines = [line for line in result.stderr.splitlines() if shown(line)]
    sys.stderr.write("\n".join(lines[-40:]) + "\n")
    if result.returncode:
        print(f"{label}: the worker failed (exit {result.returncode})")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])
