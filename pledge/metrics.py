"""Prometheus metrics (``pledge_*``): what every process counts, and how it is exposed.

Counting costs a counter increment or one histogram observation, never a database round trip,
so the beacon's hot path stays as it was measured. What needs the database (the task queue,
cases near their deadline, live workers) is computed only when Prometheus scrapes
(``pledge/health.py``). docs/operations.md lists every metric.

Several processes, one answer. ``pledge serve`` runs granian's web workers and the task worker
beside them; each writes its numbers to its own files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode) and ``/metrics`` sums them, whichever worker answers.
prometheus-client chooses where values live (memory or those files) when it is imported and
when a value is made, and ``pledge serve`` has imported the apps before it can set the
directory: so nothing here imports prometheus-client or makes a value until first use
(``instruments()``), and ``multiprocess_prepare`` refuses to run after that.

Outside the layers, like ``dates.py``: every app may import it, and it imports none of them.
"""

import os
import sys
import threading
import time
from pathlib import Path

# prometheus-client's own environment variable: set, every process writes its files there.
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)


class Instruments:
    """Every counter and histogram of a process, registered in its own registry.

    Label values are few and fixed (a method, a status class, a reason): never a path, an
    address or anything a visitor chooses, so no series names a person.
    """

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

        disable_created_metrics()  # no *_created series: they double the output for nothing
        # Our own registry, not prometheus-client's default one, whose platform collector
        # would publish the Python version.
        self.registry = registry = CollectorRegistry()
        self.http_requests = Counter(
            "pledge_http_requests",
            "Requests Django answered, by method and status class (the beacon, health "
            "checks and /metrics are not counted here).",
            ["method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "pledge_http_request_duration_seconds",
            "Time Django took to answer a request, middleware included.",
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        beacon_events = Counter(
            "pledge_beacon_events",
            "Beacon events stored (acknowledged only after their commit), by kind.",
            ["kind"],
            registry=registry,
        )
        # Bound once: the ingest writer adds a commit's events without a label lookup.
        self.beacon_view = beacon_events.labels("view")
        self.beacon_leave = beacon_events.labels("leave")
        self.beacon_refused = Counter(
            "pledge_beacon_refused",
            "Beacon requests refused, by reason.",
            ["reason"],
            registry=registry,
        )
        self.ingest_batch_events = Histogram(
            "pledge_ingest_batch_events",
            "Events written by one group commit of the ingest writer.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.ingest_commit_seconds = Histogram(
            "pledge_ingest_commit_seconds",
            "Time one group commit took, from its first statement to COMMIT.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.ingest_commit_failures = Counter(
            "pledge_ingest_commit_failures",
            "Group commits that failed (each is tried twice before its requests get 503).",
            registry=registry,
        )
        self.mail_sent = Counter(
            "pledge_mail_sent",
            "Emails the mail server accepted.",
            registry=registry,
        )
        self.mail_failed = Counter(
            "pledge_mail_failed",
            "Emails that could not be built, signed or handed to the mail server.",
            registry=registry,
        )
        self.tasks_finished = Counter(
            "pledge_tasks_finished",
            "Background tasks the worker ran, by outcome.",
            ["status"],
            registry=registry,
        )


_instruments: Instruments | None = None
_instruments_lock = threading.Lock()


def instruments() -> Instruments:
    """This process's instruments, made on first use (see the module's docstring)."""
    global _instruments
    if _instruments is None:
        with _instruments_lock:
            if _instruments is None:
                _instruments = Instruments()
    return _instruments


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIRECTORY))


def multiprocess_prepare(directory: Path) -> Path:
    """Make ``directory`` this process's and its children's metrics folder, emptied.

    ``pledge serve`` calls it before it starts the task worker and granian's workers, which
    inherit the environment. Only prometheus-client's files (``*.db``) are deleted: counts of
    processes from an earlier start would otherwise be summed into this one's.
    """
    if _instruments is not None:
        raise RuntimeError(
            "pledge.metrics: instruments were made before the metrics folder was set; "
            "call multiprocess_prepare() before anything is counted."
        )
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIRECTORY] = str(directory)
    values = sys.modules.get("prometheus_client.values")
    if values is not None:  # imported by someone already: it must choose the files now
        values.ValueClass = values.get_value_class()
    return directory


class Scrape:
    """What one scrape exposes: every process's counts, then the scrape-time collectors."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        from prometheus_client.multiprocess import MultiProcessCollector

        own = instruments().registry
        counted = MultiProcessCollector(None) if multiprocess() else own
        yield from counted.collect()
        for collector in self.collectors:
            yield from collector.collect()


def exposition(*collectors) -> tuple[bytes, str]:
    """The Prometheus text of every process's counts and of ``collectors``, and its type."""
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

    return generate_latest(Scrape(*collectors)), CONTENT_TYPE_PLAIN_0_0_4


def metrics_serve(*, port: int, host: str = "127.0.0.1"):
    """Serve this process's own counts on ``host:port`` from a daemon thread (``pledge worker
    --metrics-port``); returns the server, whose ``shutdown()`` stops it."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=instruments().registry)
    return server


def task_finished_count(sender, task_result, **kwargs) -> None:
    """django-tasks' ``task_finished`` signal, connected by ``pledge worker``."""
    instruments().tasks_finished.labels(str(task_result.status).lower()).inc()


class RequestMetricsMiddleware:
    """Counts and times every request Django answers (settings.MIDDLEWARE, near the top)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        measured = instruments()
        method = request.method if request.method in HTTP_METHODS else "other"
        measured.http_requests.labels(method, f"{response.status_code // 100}xx").inc()
        measured.http_duration.observe(time.perf_counter() - started)
        return response
