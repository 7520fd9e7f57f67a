"""What an operator plugs in: liveness, readiness, the workers' heartbeat and ``/metrics``.

``/healthz`` answers "ok" while the process runs. ``/readyz`` checks what serving needs: the
database, the cache, the key ring, every migration applied, and a worker seen within a
minute; 200 when all pass, 503 naming the failing ones, and nothing else: no version, host,
path, exception text or personal data. ``/metrics`` is Prometheus' text (pledge/metrics.py
plus the gauges computed here at scrape time), for the networks of
``PLEDGE_METRICS_NETWORKS`` only; anyone else gets 404. docs/operations.md is the operator's
guide.

``MachineEndpointsMiddleware`` answers the three right after the request id, before host
checks, HTTPS redirects, sessions, the language prefix, the request log and the request
metrics: a probe on 127.0.0.1 gets its answer in production as in development, never sets a
cookie and is never logged as a page view (P08, P09).
"""

import contextlib
import ipaddress
import logging
import os
import secrets
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, Q
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from pledge.metrics import exposition
from pledge.vault.access import client_ip
from pledge.vault.keys import current_ring

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 15
HEARTBEAT_FRESH = timedelta(seconds=60)  # what /readyz accepts as a live worker
HEARTBEAT_KEPT = timedelta(days=1)  # a crashed worker's row is deleted after this
MACHINE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


# --- The workers' heartbeat -----------------------------------------------------------------


def worker_name() -> str:
    """This process as a worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def heartbeat_record(*, worker: str, now=None) -> None:
    """Record that ``worker`` is alive now, and delete the rows no worker touched for a day."""
    from pledge.models import WorkerHeartbeat

    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEPT).delete()


def heartbeat_forget(*, worker: str) -> None:
    """A worker stopping cleanly is no longer counted as alive."""
    from pledge.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker=worker).delete()


def workers_alive(*, now=None) -> int:
    """Workers seen within ``HEARTBEAT_FRESH``."""
    from pledge.models import WorkerHeartbeat

    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(seen_at__gte=now - HEARTBEAT_FRESH).count()


class Heartbeat:
    """A daemon thread recording the worker's heartbeat every 15 seconds.

    A database that fails a beat is logged and tried again at the next one, on a new
    connection: the worker goes on running its tasks, and /readyz says what is wrong.
    """

    def __init__(self, worker: str | None = None, every: float = HEARTBEAT_EVERY_SECONDS):
        self.worker = worker or worker_name()
        self.every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pledge-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def beat(self) -> bool:
        try:
            heartbeat_record(worker=self.worker)
        except Exception:
            log.warning("worker heartbeat not recorded; trying again", exc_info=True)
            with contextlib.suppress(Exception):
                connection.close()  # this thread's connection: the next beat opens a new one
            return False
        finally:
            close_old_connections()
        return True

    def _run(self) -> None:
        while True:
            self.beat()
            if self._stopped.wait(self.every):
                return

    def stop(self) -> None:
        """Stop beating and delete this worker's row (a clean stop)."""
        self._stopped.set()
        self._thread.join(timeout=10)
        try:
            heartbeat_forget(worker=self.worker)
        except Exception:
            log.warning("worker heartbeat not removed", exc_info=True)


# --- Readiness ------------------------------------------------------------------------------

_migrations_applied = False  # once true in a process, it stays true (no plan on every probe)


def database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def cache_answers() -> bool:
    key, value = f"pledge:readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 30)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


def keys_work() -> bool:
    """The key ring loads and a value encrypted under its primary key decrypts again."""
    ring = current_ring()
    sample = secrets.token_hex(8)
    return ring.decrypt(ring.encrypt(sample, context="readyz"), context="readyz") == sample


def migrations_applied() -> bool:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def migrations_forget() -> None:
    """Plan migrations again at the next probe (tests)."""
    global _migrations_applied
    _migrations_applied = False


def worker_seen() -> bool:
    return workers_alive() > 0


CHECKS = (
    ("database", database_answers),
    ("cache", cache_answers),
    ("keys", keys_work),
    ("migrations", migrations_applied),
    ("worker", worker_seen),
)
NEEDS_DATABASE = {"migrations", "worker"}


def readiness() -> dict[str, bool]:
    """Each check by name, passed or not. A check that raises has failed; the reason goes to
    the log, never to the answer. Without the database its dependants are not even tried."""
    results = {}
    for name, check in CHECKS:
        if name in NEEDS_DATABASE and not results["database"]:
            results[name] = False
            continue
        try:
            results[name] = bool(check())
        except Exception:
            log.warning("readyz: the %s check failed", name, exc_info=True)
            results[name] = False
    return results


# --- Gauges computed when Prometheus scrapes ------------------------------------------------


def task_queue_gauges(now) -> list:
    """Tasks ready to run, and how long the oldest of them has waited since it became due."""
    from django_tasks_db.models import DBTaskResult, get_date_max
    from prometheus_client.core import GaugeMetricFamily

    undelayed = Q(run_after=get_date_max())
    found = DBTaskResult.objects.ready().aggregate(
        ready=Count("id"),
        enqueued=Min("enqueued_at", filter=undelayed),
        due=Min("run_after", filter=~undelayed),
    )
    since = min((moment for moment in (found["enqueued"], found["due"]) if moment), default=now)
    return [
        GaugeMetricFamily(
            "pledge_tasks_ready",
            "Background tasks ready to run and not yet claimed by a worker.",
            value=found["ready"],
        ),
        GaugeMetricFamily(
            "pledge_tasks_oldest_ready_age_seconds",
            "How long the oldest ready task has waited since it was due (0: none waits).",
            value=max(0.0, (now - since).total_seconds()),
        ),
    ]


def case_deadline_gauges(now) -> list:
    """Open rights cases whose legal deadline is near (the first reminder's window), or past."""
    from prometheus_client.core import GaugeMetricFamily

    from pledge.cases.models import OPEN_STATUSES, Case
    from pledge.cases.reminders import LEVELS

    window = max(level.before_due for level in LEVELS)
    found = Case.objects.filter(status__in=OPEN_STATUSES).aggregate(
        due_soon=Count("id", filter=Q(due_at__gt=now, due_at__lte=now + window)),
        overdue=Count("id", filter=Q(due_at__lte=now)),
    )
    return [
        GaugeMetricFamily(
            "pledge_cases_due_soon",
            f"Open rights cases due within {window.days} days (P18, P24).",
            value=found["due_soon"],
        ),
        GaugeMetricFamily(
            "pledge_cases_overdue",
            "Open rights cases past their legal deadline (P18, P24).",
            value=found["overdue"],
        ),
    ]


def worker_gauges(now) -> list:
    from prometheus_client.core import GaugeMetricFamily

    return [
        GaugeMetricFamily(
            "pledge_workers_alive",
            "Workers whose heartbeat was seen within the last minute.",
            value=workers_alive(now=now),
        )
    ]


class DatabaseGauges:
    """The scrape's database gauges; a source that fails is logged and left out, so the
    counters still answer while the database does not."""

    SOURCES = (task_queue_gauges, case_deadline_gauges, worker_gauges)

    def collect(self):
        now = timezone.now()
        for source in self.SOURCES:
            try:
                families = source(now)
            except Exception:
                log.warning("metrics: %s not collected", source.__name__, exc_info=True)
                continue
            yield from families


# --- The endpoints --------------------------------------------------------------------------


def metrics_allowed(address: str) -> bool:
    """Whether ``address`` (the client, as ``client_ip`` sees it) may read /metrics."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in settings.PLEDGE_METRICS_NETWORKS
    )


@require_safe
def healthz(request):
    """Liveness for load balancers and the test server fixture."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8", headers=MACHINE_HEADERS)


@require_safe
def readyz(request):
    """Readiness: each check named with ``ok`` or ``failing``; 503 unless all pass."""
    results = readiness()
    ready = all(results.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": {name: "ok" if passed else "failing" for name, passed in results.items()},
        },
        status=200 if ready else 503,
        headers=MACHINE_HEADERS,
    )


@require_safe
def metrics(request):
    """Prometheus' text, to the allowed networks only; 404 as if it did not exist otherwise."""
    if not metrics_allowed(client_ip(request)):
        return HttpResponseNotFound("Not found.", content_type="text/plain; charset=utf-8")
    body, content_type = exposition(DatabaseGauges())
    return HttpResponse(body, content_type=content_type, headers=MACHINE_HEADERS)


MACHINE_ENDPOINTS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class MachineEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics before the rest of the stack (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = MACHINE_ENDPOINTS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
