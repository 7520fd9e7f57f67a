"""/metrics: Prometheus' text for the allowed networks only, counts that move with the work, and
one answer summing every process of ``pledge serve``.

The first tests ask the application in this process; the last ones start the real server
(``pledge serve --no-worker``, two granian workers, its own PLEDGE_VAR and SQLite) and a
standalone ``pledge worker --metrics-port``, and stop only those processes, by PID.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from pledge.cases.services import case_open
from pledge.mail.services import email_send
from pledge.tests.servers import free_port, pledge_served, stop
from pledge.tracking.tests.conftest import send_beacon
from pledge.vault.actors import Actor

WORKERS = 2
BEACONS = 5


def samples_of(text: str) -> dict:
    """Every sample of an exposition: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client: Client | None = None) -> dict:
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples_of(response.content.decode())


# --- Who may read them ----------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_even_with_a_forged_forwarded_for(settings):
    settings.PLEDGE_PROXY_COUNT = 0  # clients connect directly: the header is the client's own
    refused = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert refused.status_code == 404
    assert b"pledge_" not in refused.content
    settings.PLEDGE_PROXY_COUNT = 1  # nginx on loopback appends the real client's address
    behind_nginx = Client().get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9"
    )
    assert behind_nginx.status_code == 404
    direct = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")  # Prometheus on the host
    assert direct.status_code == 200
    assert b"pledge_http_requests_total" in direct.content


@pytest.mark.django_db
def test_the_allowed_networks_are_the_settings(settings):
    settings.PLEDGE_METRICS_NETWORKS = ["10.0.0.0/8"]
    assert Client().get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::ffff:10.1.2.3").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    settings.PLEDGE_METRICS_NETWORKS = []
    assert Client().get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


# --- What moves them ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_a_beacon_event_and_a_queued_task_move_the_metrics(settings):
    before = scrape()
    assert Client().get("/en/").status_code == 200
    assert send_beacon({"k": "view", "p": "/en/"}).status_code == 204
    assert send_beacon({"k": "leave", "v": "not an id", "s": "3"}).status_code == 400
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from pledge.tracking.tasks import refresh_rollups

    refresh_rollups.enqueue()
    after = scrape()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("pledge_http_requests_total", method="GET", status="2xx") == 1
    assert moved("pledge_http_request_duration_seconds_count") == 1
    assert moved("pledge_beacon_events_total", kind="view") == 1
    assert moved("pledge_beacon_events_total", kind="leave") == 0
    assert moved("pledge_beacon_refused_total", reason="bad_event") == 1
    assert value(after, "pledge_tasks_ready") == value(before, "pledge_tasks_ready") + 1 == 1
    assert value(after, "pledge_tasks_oldest_ready_age_seconds") >= 0
    assert value(after, "pledge_workers_alive") == 0


@pytest.mark.django_db
def test_mail_sent_and_mail_refused_are_counted(smtp_server, settings):
    before = scrape()
    email_send(to="reader@example-mail.cn", subject="Hello", text="A test message.")
    assert len(smtp_server.messages) == 1
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(OSError):
        email_send(to="reader@example-mail.cn", subject="Hello", text="A test message.")
    after = scrape()
    assert value(after, "pledge_mail_sent_total") - value(before, "pledge_mail_sent_total") == 1
    assert value(after, "pledge_mail_failed_total") - value(before, "pledge_mail_failed_total") == 1


@pytest.mark.django_db
@pytest.mark.clock
def test_cases_near_and_past_their_deadline_are_gauged_at_scrape_time(time_machine):
    """Deadlines are 30 days (sites/gonex); the window is the first reminder's, 7 days."""
    from django.utils import timezone

    def opened():
        return case_open(
            kind="complaint",
            channel="email",
            actor=Actor.system("tests"),
            requester_email="unhappy@example-mail.cn",
            acknowledge=False,
        )

    start = timezone.now()
    assert value(scrape(), "pledge_cases_overdue") == 0
    late = opened()
    time_machine.move_to(start + timedelta(days=10), tick=False)
    near = opened()
    time_machine.move_to(start + timedelta(days=35), tick=False)
    assert late.due_at < timezone.now() < near.due_at <= timezone.now() + timedelta(days=7)
    found = scrape()
    assert value(found, "pledge_cases_overdue") == 1
    assert value(found, "pledge_cases_due_soon") == 1
    text = Client().get("/metrics").content.decode()
    assert "unhappy" not in text and "example-mail" not in text


# --- The real server: two web workers and a standalone worker -------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pledge serve --no-worker`` with two granian workers, on SQLite in a folder of its own."""
    folder = tmp_path_factory.mktemp("metrics")
    with pledge_served(folder, PLEDGE_WEB_WORKERS=str(WORKERS), PLEDGE_WEB_THREADS="4") as served:
        yield {
            "port": served.port,
            "environment": served.environment,
            "metrics": folder / "var" / "metrics" / str(served.port),
            "folder": folder,
            "log": served.log,
        }


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def processes_that_served_pages(folder: Path) -> set[str]:
    """The processes whose own counter file holds page requests (one file per process)."""
    served = set()
    for path in folder.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):
            if any(s.name == "pledge_http_requests_total" and s.value for s in family.samples):
                served.add(path.stem)
    return served


def test_two_web_workers_counts_are_summed_in_every_metrics_answer(server):
    base = f"http://127.0.0.1:{server['port']}"
    before = samples_of(fetch(f"{base}/metrics")[1].decode())
    pages = 0
    while len(processes_that_served_pages(server["metrics"])) < WORKERS:
        assert pages < 400, "one worker answered every request"
        assert fetch(f"{base}/en/")[0] == 200
        pages += 1
    for _ in range(BEACONS):
        assert fetch(f"{base}/beacon", b"k=view&p=/en/")[0] == 204
    # A page's request-log row is committed just after its answer: wait for the last ones.
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        after = samples_of(fetch(f"{base}/metrics")[1].decode())
        name = "pledge_ingest_batch_events_sum"
        if value(after, name) - value(before, name) >= BEACONS + pages:
            break
        time.sleep(0.1)
    answers = [samples_of(fetch(f"{base}/metrics")[1].decode()) for _ in range(6)]

    for after in answers:  # whichever worker answers, the sums are the same

        def moved(name, after=after, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved("pledge_http_requests_total", method="GET", status="2xx") == pages
        assert moved("pledge_http_request_duration_seconds_count") == pages
        assert moved("pledge_beacon_events_total", kind="view") == BEACONS
        # Every beacon event and every page's request-log row rode a group commit.
        assert moved("pledge_ingest_batch_events_sum") == BEACONS + pages
        assert 1 <= moved("pledge_ingest_commit_seconds_count") <= BEACONS + pages
    assert len(processes_that_served_pages(server["metrics"])) == WORKERS


def readiness(base: str) -> tuple[int, dict]:
    status, body = fetch(f"{base}/readyz")
    return status, json.loads(body)


def test_a_standalone_worker_beats_serves_its_own_metrics_and_leaves_cleanly(server):
    base = f"http://127.0.0.1:{server['port']}"
    status, answer = readiness(base)
    assert status == 503 and answer["checks"]["worker"] == "failing"  # --no-worker
    metrics_port = free_port()
    log_path = server["folder"] / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pledge",
                "worker",
                "--no-scheduler",
                "--metrics-port",
                str(metrics_port),
            ],
            env=server["environment"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            give_up = time.monotonic() + 60
            while readiness(base)[0] != 200:
                assert worker.poll() is None, log_path.read_text()
                assert time.monotonic() < give_up, log_path.read_text()
                time.sleep(0.2)
            status, text = fetch(f"http://127.0.0.1:{metrics_port}/metrics")
            assert status == 200
            assert b"pledge_mail_sent_total" in text
            with socket.create_connection(("127.0.0.1", metrics_port), timeout=5):
                pass  # listening on loopback
        finally:
            stop(worker)
    assert worker.returncode == 0, log_path.read_text()
    status, answer = readiness(base)  # its row is gone at once, not a minute later
    assert status == 503 and answer["checks"]["worker"] == "failing"
