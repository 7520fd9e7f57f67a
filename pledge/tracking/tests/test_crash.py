"""SECURITY.md R2: kill -9 the real server under beacon load; every acknowledged event is stored.

Starts ``pledge serve`` on a free loopback port with its own database (a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL), sends events from several connections
until a deadline, SIGKILLs the server's processes (only those this test started, by PID) at a
moment under load, then reads the database directly. Bounded: at most a few seconds of load.
"""

import contextlib
import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings

from pledge.tests.servers import answering, descendants, free_port
from pledge.tracking.beacon import new_event_id

LOAD_SECONDS = 2.0
CONNECTIONS = 16


class Database:
    """Where the crashed server writes, and how to read it afterwards."""

    def __init__(self, tmp_path: Path):
        self.postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        if not self.postgres:
            self.path = tmp_path / "crash.sqlite3"
            self.url = f"sqlite:///{self.path}"
            return
        import psycopg

        base = os.environ["DATABASE_URL"]
        parts = urlsplit(base)
        self.name = f"pledge_crash_{os.getpid()}"
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def stored_event_ids(self) -> set[str]:
        query = "SELECT event_id FROM tracking_pageview"
        if not self.postgres:
            with sqlite3.connect(self.path) as connection:
                return {row[0] for row in connection.execute(query)}
        import psycopg

        with psycopg.connect(self.url) as connection:
            return {row[0] for row in connection.execute(query)}

    def drop(self):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def crash_database(tmp_path):
    database = Database(tmp_path)
    yield database
    database.drop()


def load(port: int, acknowledged: list, stop: threading.Event):
    """Send events on one keep-alive connection; keep the ids answered 204."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while not stop.is_set():
        event_id = new_event_id()
        try:
            connection.request(
                "POST",
                "/beacon",
                body=urlencode({"id": event_id, "p": "/crash"}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return  # the server died: this event was never acknowledged
        if response.status == 204:
            acknowledged.append(event_id)


def test_every_acknowledged_event_survives_kill_9(tmp_path, crash_database):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(tmp_path / "var"),
        "DATABASE_URL": crash_database.url,
        "PLEDGE_BEACON_RATE_LIMIT": "1000000",
    }
    environment.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "-m", "pledge", "migrate", "--noinput", "-v0"],
        env=environment,
        check=True,
        timeout=180,
    )
    port = free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "pledge", "serve", "--no-worker", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        answering(f"http://127.0.0.1:{port}/healthz", server, tmp_path / "server.log", 30)

        acknowledged: list[str] = []
        stop = threading.Event()
        senders = [
            threading.Thread(target=load, args=(port, acknowledged, stop), daemon=True)
            for _ in range(CONNECTIONS)
        ]
        for sender in senders:
            sender.start()
        time.sleep(LOAD_SECONDS)
        # kill -9 mid-load: the server and its granian workers, each by its own PID.
        for pid in [server.pid, *descendants(server.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        answered_before_kill = len(acknowledged)
        stop.set()
        for sender in senders:
            sender.join(timeout=10)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
        log.close()

    assert answered_before_kill > 100, "the load never got going"
    stored = crash_database.stored_event_ids()
    lost = set(acknowledged) - stored
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged events were lost"
