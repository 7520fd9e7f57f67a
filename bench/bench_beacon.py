"""The beacon under load: events per second and latency at 64 connections on loopback.

In the same run, each measured with wrk (-t2 -c64) for BENCH_SECONDS (8) after a 2-second
warm-up: nginx answering 204 (what loopback HTTP costs; installed from Debian if absent);
per database, the minimal group-commit beacon (bench/minimal_beacon.py: the same durability with
no Django and no processing, the ceiling of this design), Pledge's beacon as ``pledge serve``
runs it at its default settings, and the naive way (a Django view that inserts one row per
request through the ORM, bench/naive.py). On SQLite, and on PostgreSQL when one answers at
TEST_POSTGRES_URL. After each run the stored rows are counted: every answered event must be in
the database. The peak memory of Pledge's web workers is read before they stop.
BENCH_PROFILE=1 also records a py-spy profile of one Pledge web worker (var/bench/).

Aims: 5,000 events/s on SQLite and 4,000/s on PostgreSQL, p99 under 50 ms.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import (
    POSTGRES_URL,
    ROOT,
    SECONDS,
    ensure,
    free_port,
    kinds,
    peak_rss_mb,
    record,
    stop,
    wait_ready,
)

DURATION = SECONDS
CONNECTIONS = 64
PYTHON = sys.executable
AIMS = {"sqlite": 5000, "postgres": 4000}
P99_AIM = 50.0
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
LUA = """
wrk.method = "POST"
wrk.body = "k=view&p=/en/%3Futm_source%3Dbench&l=en-US&r=https://www.example.com/"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
"""
NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}
}}
"""


def wrk(wrk_path: str, url: str, script: Path) -> dict:
    subprocess.run(  # warm-up: caches, connections, the day's salt
        [wrk_path, "-t2", f"-c{CONNECTIONS}", "-d2s", "-s", str(script), url],
        capture_output=True,
        check=False,
    )
    output = subprocess.run(
        [
            wrk_path,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "answered": total - (int(errors.group(1)) if errors else 0),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


class Database:
    def __init__(self, kind: str, directory: Path, label: str):
        self.kind = kind
        if kind == "sqlite":
            self.path = directory / f"{label}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            parts = urlsplit(POSTGRES_URL)
            self.name = f"pledge_bench_{label}_{os.getpid()}"
            self.admin = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def count(self, table: str = "tracking_pageview") -> int:
        query = f"SELECT count(*) FROM {table}"  # noqa: S608 (our own table names)
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as connection:
                return connection.execute(query).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(query).fetchone()[0]

    def drop(self):
        if self.kind != "sqlite":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run_nginx(nginx: str, wrk_path: str, script: Path, directory: Path) -> dict:
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, port=port))
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(directory), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/", process)
        return wrk(wrk_path, f"http://127.0.0.1:{port}/beacon", script)
    finally:
        stop(process)


def server_environment(database: Database, directory: Path, label: str) -> dict:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(directory / label),
        "DATABASE_URL": database.url,
        # The limit stays on (its cost is measured) but high enough for one loopback address.
        "PLEDGE_BEACON_RATE_LIMIT": "1000000000",
        "PYTHONPATH": str(ROOT),
    }
    for setting in ("REDIS_URL", "PLEDGE_WEB_THREADS", "PLEDGE_WEB_WORKERS"):
        environment.pop(setting, None)  # the defaults are what is measured
    return environment


def profile(pid: int, label: str) -> str:
    """A py-spy profile of the busiest web worker below ``pid`` while wrk runs (BENCH_PROFILE)."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(spy).exists():
        return "py-spy is not installed (pip install py-spy)"
    from bench.common import process_tree

    workers = [each for each in process_tree(pid) if each != pid]
    target = Path(os.environ.get("PLEDGE_VAR", ROOT / "var")) / "bench" / f"{label}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [spy, "record", "--pid", str(workers[-1] if workers else pid), "--duration",
         str(max(DURATION - 2, 2)), "--format", "raw", "--output", str(target), "--gil",
         "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_server(kind: str, which: str, wrk_path: str, script: Path, directory: Path) -> dict:
    """One server (``pledge``, ``naive`` or ``minimal``) on a fresh database, measured."""
    label = f"{which}_{kind}"
    database = Database(kind, directory, label)
    environment = server_environment(database, directory, label)
    port = free_port()
    granian = [
        PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "2", "--no-log",
    ]  # fmt: skip
    if which == "minimal":
        environment["MINIMAL_DATABASE"] = database.url
        subprocess.run(
            [PYTHON, "-c", "from bench.minimal_beacon import connect; connect()"],
            env=environment, cwd=ROOT, check=True,
        )  # fmt: skip
    else:
        subprocess.run(
            [PYTHON, "-m", "pledge", "migrate", "--noinput", "-v0"], env=environment, check=True
        )
    if which == "pledge":
        command = [PYTHON, "-m", "pledge", "serve", "--no-worker", "--port", str(port)]
    else:
        threads = run_threads(environment)
        target = (
            "bench.minimal_beacon:application"
            if which == "minimal"
            else ("bench.naive_entry:application")
        )
        command = [*granian, "--blocking-threads", str(threads), target]
    log = open(directory / f"{label}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=log, stderr=log)
    spy = None
    try:
        wait_ready(f"http://127.0.0.1:{port}/beacon", process)
        if which == "pledge" and os.environ.get("BENCH_PROFILE"):
            spy = profile(process.pid, f"beacon-profile-{kind}")
        result = wrk(wrk_path, f"http://127.0.0.1:{port}/beacon", script)
        result["rss"] = peak_rss_mb(process.pid)
    finally:
        stop(process)
        log.close()
        if spy is not None:
            spy.wait(timeout=60)
    result["stored"] = database.count("minimal_event") if which == "minimal" else database.count()
    database.drop()
    return result


def run_threads(environment: dict) -> int:
    """The threads per worker ``pledge serve`` uses at these settings."""
    return int(
        subprocess.run(
            [PYTHON, "-c", "import django; django.setup(); from django.conf import settings; "
             "print(settings.PLEDGE_WEB_THREADS)"],
            env=environment, cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()[-1]
    )  # fmt: skip


def web_worker_mb(rss: dict[str, float]) -> float:
    """The largest of granian's worker processes (the command lines that are not the parent)."""
    workers = [mb for command, mb in rss.items() if "pledge serve" not in command]
    return max(workers or rss.values() or [0.0])


def main() -> None:
    nginx = ensure("nginx", "nginx")
    wrk_path = ensure("wrk", "wrk")
    if not (nginx and wrk_path):
        print("bench_beacon needs nginx and wrk (apt install nginx wrk): skipped")
        return
    directory = Path(tempfile.mkdtemp(prefix="pledge-bench-"))
    script = directory / "beacon.lua"
    script.write_text(LUA)
    rows = [("nginx return 204", run_nginx(nginx, wrk_path, script, directory))]
    for kind in kinds():
        for which, name in (
            ("minimal", "minimal group-commit beacon"),
            ("pledge", "Pledge beacon"),
            ("naive", "naive Django view"),
        ):
            rows.append(
                (f"{name}, {LABELS[kind]}", run_server(kind, which, wrk_path, script, directory))
            )
    shutil.rmtree(directory, ignore_errors=True)

    cores = os.cpu_count()
    print(f"\nwrk -t2 -c{CONNECTIONS} -d{DURATION}s, POST /beacon on 127.0.0.1, {cores} cores")
    header = ("server", "events/s", "p50 ms", "p99 ms", "non-2xx", "stored / answered")
    print("| {:<40} | {:>9} | {:>7} | {:>7} | {:>7} | {:>17} |".format(*header))
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 19}|")
    for name, result in rows:
        stored = f"{result['stored']} / {result['answered']}" if "stored" in result else "-"
        print(
            f"| {name:<40} | {result['rate']:>9.0f} | {result['p50']:>7.2f} "
            f"| {result['p99']:>7.2f} | {result['errors']:>7} | {stored:>17} |"
        )
    measured = dict(rows)
    record("beacon", "nginx return 204 (loopback HTTP)", measured["nginx return 204"]["rate"], "/s")
    for kind in kinds():
        label = LABELS[kind]
        pledge = measured[f"Pledge beacon, {label}"]
        ceiling = measured[f"minimal group-commit beacon, {label}"]
        naive = measured[f"naive Django view, {label}"]
        lost = max(0, pledge["answered"] - pledge["stored"])
        record(
            "beacon", f"Pledge beacon, {label}", pledge["rate"], "/s",
            baseline="minimal group-commit beacon", baseline_value=ceiling["rate"],
            aim=AIMS[kind], note=f"{lost} acknowledged events lost",
        )  # fmt: skip
        record(
            "beacon", f"Pledge beacon p99, {label}", pledge["p99"], "ms",
            baseline="minimal beacon p99", baseline_value=ceiling["p99"], aim=P99_AIM,
            higher_is_better=False,
        )  # fmt: skip
        record(
            "beacon", f"naive Django view, {label}", naive["rate"], "/s",
            baseline="Pledge beacon", baseline_value=pledge["rate"],
        )  # fmt: skip
        record(
            "memory", f"web worker peak RSS (beacon run, {label})", web_worker_mb(pledge["rss"]),
            "MB", aim=150, higher_is_better=False,
        )  # fmt: skip
        print(
            f"Pledge beacon, {label}: {pledge['rate'] / naive['rate']:.1f}x the naive view, "
            f"{pledge['rate'] / ceiling['rate'] * 100:.0f}% of the minimal beacon; "
            f"acknowledged events missing from the database: {lost}"
        )
