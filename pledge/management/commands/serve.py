"""``pledge serve``: the production server, with the task worker beside it.

granian serves Django as WSGI (about nine times Django's ASGI throughput on this machine,
DESIGN.md); WhiteNoise serves static files. In the embedded default one command runs
everything, so the task worker is started as a child process and stopped with the server.

Metrics: granian's workers and the task worker are separate processes, so each writes its
counts to files in one folder (``PROMETHEUS_MULTIPROC_DIR``: the operator's, else
``<PLEDGE_VAR>/metrics/<port>``, emptied at each start) and ``/metrics`` sums them
(pledge/metrics.py, docs/operations.md). It is set here, before any child exists.
"""

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from pledge.metrics import MULTIPROCESS_DIRECTORY, multiprocess_prepare

log = logging.getLogger(__name__)


def granian_logging() -> dict | None:
    """With ``LOG_FORMAT=json``, granian's own lines go through the project's handler, so
    every line is JSON; otherwise granian keeps its own format."""
    if settings.LOG_FORMAT != "json":
        return None
    passed_on = {"handlers": [], "propagate": True}
    return {"loggers": {"_granian": dict(passed_on), "granian.access": dict(passed_on)}}


class ManyThreadsAreMeant(logging.Filter):
    """granian warns when a worker has more threads than twice the cores, plus one. Pledge's
    are meant: most of them wait for a beacon commit, holding no CPU and no connection
    (PLEDGE_WEB_THREADS in settings.py; `make bench` measures the difference)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "seems quite high compared to the number of CPU cores" not in record.getMessage()


def databases_close() -> None:
    """granian forks its workers from this process: a connection or a pool opened here (by the
    checks) would be shared by every child, and a pool's threads do not survive a fork."""
    for connection in connections.all(initialized_only=True):
        connection.close()
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()


class Command(BaseCommand):
    help = "Serve the site with granian (WSGI) and run the task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.PLEDGE_WEB_WORKERS,
            help="Web worker processes (default: PLEDGE_WEB_WORKERS, 2).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the task worker (run `pledge worker` elsewhere).",
        )

    def handle(self, *args, host, port, workers, no_worker, **options):
        from granian import Granian
        from granian.constants import Interfaces

        # Before the checks, the task worker and granian's workers: all inherit it. One folder
        # per port, so a second server on the host never empties the first one's.
        multiprocess_prepare(
            Path(os.environ.get(MULTIPROCESS_DIRECTORY) or settings.VAR_DIR / "metrics" / str(port))
        )
        # Its "no issues" line is not a log line: with JSON logs every line must be one.
        quiet = {"stdout": io.StringIO()} if settings.LOG_FORMAT == "json" else {}
        call_command("check", deploy=settings.PRODUCTION, fail_level="ERROR", verbosity=0, **quiet)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)

        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "pledge", "worker"])
        shown_host = f"[{host}]" if ":" in host else host
        serving = (
            f"Pledge is serving http://{shown_host}:{port}/ "
            f"(staff console: http://{shown_host}:{port}/console/). Stop with Ctrl+C."
        )
        if settings.LOG_FORMAT == "json":
            log.info(serving)  # every line a JSON object
        else:
            self.stdout.write(serving)
        databases_close()
        logging.getLogger("_granian").addFilter(ManyThreadsAreMeant())
        try:
            Granian(
                "pledge.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                workers=workers,
                blocking_threads=settings.PLEDGE_WEB_THREADS,
                log_access=False,
                log_dictconfig=granian_logging(),
            ).serve()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
