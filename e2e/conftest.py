"""Browser tests: the real server (``pledge serve``) on a free loopback port, driven by Chromium.

Each session gets its own var/ directory and database (a SQLite file, or a fresh PostgreSQL
database when the suite runs on PostgreSQL), so the browser sees exactly what a newcomer's
`make run` serves. Chromium is Debian's (/usr/bin/chromium); nothing downloads a browser.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

CHROMIUM = os.environ.get("PLEDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt install chromium)")
        for item in items:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running ``pledge serve`` and the environment it was started with."""

    def __init__(self, environment: dict[str, str], port: int):
        self.environment = environment
        self.url = f"http://127.0.0.1:{port}"
        self.host = f"127.0.0.1:{port}"

    def pledge(self, *args: str) -> str:
        """Run a ``pledge`` command against the server's database; returns its output."""
        result = subprocess.run(
            [sys.executable, "-m", "pledge", *args],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout


def database_for(tmp_path: Path) -> tuple[str, callable]:
    """A database URL for the server, and how to drop it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}", lambda: None
    import psycopg

    name = f"pledge_e2e_{os.getpid()}"
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("server")
    database_url, drop_database = database_for(tmp_path)
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    running = Server(environment, port)
    running.pledge("migrate", "--noinput")
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(
        [sys.executable, "-m", "pledge", "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{running.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "pledge serve did not start:\n" + (tmp_path / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        drop_database()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser profile (no cookies), JavaScript on."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_javascript(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def requested_hosts(page):
    """Every host the page asks anything of, to prove nothing leaves the site (P21)."""
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    return hosts
