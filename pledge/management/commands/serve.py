"""``pledge serve``: the production server, with the task worker beside it.

granian serves Django as WSGI (about nine times Django's ASGI throughput on this machine,
DESIGN.md); WhiteNoise serves static files. In the embedded default one command runs
everything, so the task worker is started as a child process and stopped with the server.
"""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


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

        call_command("check", deploy=settings.PRODUCTION, fail_level="ERROR", verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)

        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "pledge", "worker"])
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Pledge is serving http://{shown_host}:{port}/ "
            f"(staff console: http://{shown_host}:{port}/console/). Stop with Ctrl+C."
        )
        try:
            Granian(
                "pledge.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                workers=workers,
                blocking_threads=settings.PLEDGE_WEB_THREADS,
                log_access=False,
            ).serve()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
