"""/healthz and /readyz: what a load balancer asks, answered with nothing but check names.

The checks run against the real database, cache and key ring; a failure is a real one (a
Redis that does not answer, a migration recorded as unapplied, an unreadable key ring, a
worker whose last heartbeat is too old). The heartbeat's thread runs for real too.
"""

import io
import json
import logging
import socket
import sys
import threading
from datetime import timedelta

import django
import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from pledge import health
from pledge.models import WorkerHeartbeat
from pledge.tracking.models import RequestLogEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ALL_OK = {
    "database": "ok",
    "cache": "ok",
    "keys": "ok",
    "migrations": "ok",
    "worker": "ok",
}


@pytest.fixture(autouse=True)
def migrations_planned_again():
    """Each test plans migrations itself: the memory of "all applied" is per process."""
    health.migrations_forget()
    yield
    health.migrations_forget()


@pytest.fixture
def live_worker():
    health.heartbeat_record(worker="worker-host:4242")


def readyz(client=None):
    response = (client or Client()).get("/readyz")
    return response, json.loads(response.content)


def failing_only(check: str) -> dict:
    return ALL_OK | {check: "failing"}


def test_healthz_says_ok_while_the_process_runs():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.usefixtures("live_worker")
def test_readyz_is_ready_when_every_check_passes():
    response, answer = readyz()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert answer == {"status": "ready", "checks": ALL_OK}


def test_readyz_is_not_ready_without_a_worker():
    response, answer = readyz()
    assert response.status_code == 503
    assert answer == {"status": "not ready", "checks": failing_only("worker")}


def test_a_worker_silent_for_over_a_minute_is_not_ready():
    health.heartbeat_record(worker="worker-host:4242", now=timezone.now() - timedelta(seconds=61))
    response, answer = readyz()
    assert response.status_code == 503
    assert answer["checks"] == failing_only("worker")
    health.heartbeat_record(worker="worker-host:4242")  # it beats again
    assert readyz()[0].status_code == 200


@pytest.mark.usefixtures("live_worker")
def test_an_unapplied_migration_is_not_ready():
    MigrationRecorder(connection).record_unapplied("pledge", "0002_workerheartbeat")
    response, answer = readyz()
    assert response.status_code == 503
    assert answer["checks"] == failing_only("migrations")


@pytest.mark.usefixtures("live_worker")
def test_migrations_once_all_applied_are_not_planned_again():
    assert readyz()[0].status_code == 200
    # Recorded as unapplied afterwards: the process already knows they were all applied.
    MigrationRecorder(connection).record_unapplied("pledge", "0002_workerheartbeat")
    assert readyz()[0].status_code == 200


@pytest.mark.usefixtures("live_worker")
def test_a_cache_that_does_not_answer_is_not_ready(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    response, answer = readyz()
    assert response.status_code == 503
    assert answer["checks"] == failing_only("cache")


@pytest.mark.usefixtures("live_worker")
def test_a_key_ring_that_cannot_be_read_is_not_ready(settings):
    settings.PLEDGE_KEYS = "k1:not-a-key"
    response, answer = readyz()
    assert response.status_code == 503
    assert answer["checks"] == failing_only("keys")


@pytest.mark.usefixtures("live_worker")
def test_the_answer_names_checks_only_never_versions_hosts_paths_or_errors(settings):
    settings.PLEDGE_KEYS = "k1:not-a-key"  # a failure whose exception names the setting
    response, answer = readyz()
    text = response.content.decode()
    assert set(answer) == {"status", "checks"}
    assert set(answer["checks"].values()) <= {"ok", "failing"}
    for leaked in (
        django.get_version(),
        sys.version.split()[0],
        socket.gethostname(),
        "worker-host",
        "/work",
        "PLEDGE_KEYS",
        "Error",
        "@",
    ):
        assert leaked not in text, leaked


@pytest.mark.usefixtures("live_worker")
def test_the_machine_endpoints_set_no_cookie_log_no_page_view_and_have_no_language_prefix():
    client = Client()
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert not response.cookies, path
        assert "Set-Cookie" not in response, path
    assert not RequestLogEntry.objects.exists()
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(f"/en{path}").status_code == 404, path


def test_the_heartbeat_is_recorded_and_old_rows_are_deleted():
    health.heartbeat_record(worker="gone:1", now=timezone.now() - timedelta(days=1, seconds=1))
    health.heartbeat_record(worker="here:2")
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["here:2"]


def database_gone(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


class Watched(health.Heartbeat):
    """The real heartbeat thread, recording each beat and pausing after its first recorded
    one, so the test reads the table while the thread writes nothing (an in-memory SQLite
    shared by threads refuses a read while another thread writes)."""

    def __init__(self, *args, hiccups: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.hiccups = hiccups
        self.beats = []
        self.recorded, self.resume = threading.Event(), threading.Event()

    def beat(self) -> bool:
        if len(self.beats) < self.hiccups:
            with connection.execute_wrapper(database_gone):  # this thread's connection
                self.beats.append(super().beat())
        else:
            self.beats.append(super().beat())
        if self.beats[-1] and not self.recorded.is_set():
            self.recorded.set()
            self.resume.wait(10)
        return self.beats[-1]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_until_a_clean_stop_removes_its_row():
    heartbeat = Watched(worker="worker-host:8", every=0.05).start()
    try:
        assert heartbeat.recorded.wait(10), "no heartbeat within 10 s"
        assert WorkerHeartbeat.objects.filter(worker="worker-host:8").exists()
    finally:
        heartbeat.resume.set()
        heartbeat.stop()
    assert not WorkerHeartbeat.objects.filter(worker="worker-host:8").exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_hiccup_is_logged_and_the_thread_beats_on():
    logged = io.StringIO()
    handler = logging.StreamHandler(logged)
    logging.getLogger("pledge.health").addHandler(handler)
    heartbeat = Watched(worker="worker-host:7", every=0.05, hiccups=1).start()
    try:
        assert heartbeat.recorded.wait(10), "the thread stopped beating"
        assert heartbeat.beats == [False, True]
        assert WorkerHeartbeat.objects.filter(worker="worker-host:7").exists()
    finally:
        heartbeat.resume.set()
        heartbeat.stop()
        logging.getLogger("pledge.health").removeHandler(handler)
    assert "worker heartbeat not recorded" in logged.getvalue()
