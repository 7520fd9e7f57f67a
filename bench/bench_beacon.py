"""The beacon under load: events per second and latency at 64 connections on loopback.

Three servers in the same run, each measured with wrk (-t2 -c64) for the same time:
nginx answering 204 (the ceiling; installed from Debian if absent), Pledge's beacon as
``pledge serve`` runs it, and the naive way (a Django view that inserts one row per request
through the ORM, bench/naive.py) on the same granian settings. On SQLite, and on PostgreSQL
when one answers at TEST_POSTGRES_URL. After each Pledge run the stored rows are counted: every
answered event must be in the database.
"""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DURATION = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 64
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
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


def located(command: str) -> str | None:
    sbin = Path("/usr/sbin") / command
    return shutil.which(command) or (str(sbin) if sbin.exists() else None)


def ensure(command: str, package: str) -> str | None:
    found = shutil.which(command) or (
        f"/usr/sbin/{command}" if Path(f"/usr/sbin/{command}").exists() else None
    )
    if found:
        return found
    print(f"installing {package} from Debian ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=environment, check=False)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", package], env=environment, check=False
    )
    return shutil.which(command) or (
        f"/usr/sbin/{command}" if Path(f"/usr/sbin/{command}").exists() else None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

    def count(self) -> int:
        query = "SELECT count(*) FROM tracking_pageview"
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


def run_django(
    kind: str, naive: bool, wrk_path: str, script: Path, directory: Path, threads: int = 0
) -> dict:
    label = f"{'naive' if naive else 'pledge'}_{kind}_{threads}"
    database = Database(kind, directory, label)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(directory / label),
        "DATABASE_URL": database.url,
        # The limit stays on (its cost is measured) but high enough for one loopback address.
        "PLEDGE_BEACON_RATE_LIMIT": "1000000000",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("REDIS_URL", None)
    if threads:
        environment["PLEDGE_WEB_THREADS"] = str(threads)
    subprocess.run(
        [PYTHON, "-m", "pledge", "migrate", "--noinput", "-v0"], env=environment, check=True
    )
    port = free_port()
    if naive:
        command = [
            PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "2",
            "--blocking-threads", str(2 * (os.cpu_count() or 1) + 1),
            "--no-log", "bench.naive_entry:application",
        ]  # fmt: skip
    else:
        command = [PYTHON, "-m", "pledge", "serve", "--no-worker", "--port", str(port)]
    log = open(directory / f"{label}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=log, stderr=log)
    try:
        wait_ready(f"http://127.0.0.1:{port}/beacon", process)
        result = wrk(wrk_path, f"http://127.0.0.1:{port}/beacon", script)
    finally:
        stop(process)
        log.close()
    result["stored"] = database.count()
    database.drop()
    return result


def postgres_reachable() -> bool:
    parts = urlsplit(POSTGRES_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def main() -> None:
    nginx = ensure("nginx", "nginx")
    wrk_path = ensure("wrk", "wrk")
    if not (nginx and wrk_path):
        print("bench_beacon needs nginx and wrk (apt install nginx wrk): skipped")
        return
    directory = Path(tempfile.mkdtemp(prefix="pledge-bench-"))
    script = directory / "beacon.lua"
    script.write_text(LUA)
    rows = [("nginx return 204 (ceiling)", run_nginx(nginx, wrk_path, script, directory))]
    kinds = ["sqlite"] + (["postgres"] if postgres_reachable() else [])
    kinds = [kind for kind in kinds if kind in os.environ.get("BENCH_KINDS", "sqlite,postgres")]
    for kind in kinds:
        rows.append(
            (f"Pledge beacon, {kind}", run_django(kind, False, wrk_path, script, directory))
        )
        rows.append(
            (
                f"Pledge beacon, {kind}, 32 threads",
                run_django(kind, False, wrk_path, script, directory, threads=32),
            )
        )
        rows.append(
            (f"naive Django view, {kind}", run_django(kind, True, wrk_path, script, directory))
        )
    shutil.rmtree(directory, ignore_errors=True)

    cores = os.cpu_count()
    print(f"\nwrk -t2 -c{CONNECTIONS} -d{DURATION}s, POST /beacon on 127.0.0.1, {cores} cores")
    header = ("server", "events/s", "p50 ms", "p99 ms", "non-2xx", "stored / answered")
    print("| {:<32} | {:>9} | {:>7} | {:>7} | {:>7} | {:>17} |".format(*header))
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 19}|")
    for name, result in rows:
        stored = f"{result['stored']} / {result['answered']}" if "stored" in result else "-"
        print(
            f"| {name:<32} | {result['rate']:>9.0f} | {result['p50']:>7.2f} "
            f"| {result['p99']:>7.2f} | {result['errors']:>7} | {stored:>17} |"
        )
    ceiling = rows[0][1]["rate"]
    print()
    for name, result in rows[1:]:
        if not name.startswith("Pledge"):
            continue
        kind = name.split(", ")[1]
        naive = dict(rows)[f"naive Django view, {kind}"]
        lost = max(0, result["answered"] - result["stored"])
        print(
            f"{name}: {result['rate'] / naive['rate']:.1f}x the naive view, "
            f"{result['rate'] / ceiling * 100:.1f}% of nginx; "
            f"acknowledged events missing from the database: {lost}"
        )
