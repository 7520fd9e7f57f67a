"""``pledge worker``: runs background tasks from every queue, and the periodic jobs' scheduler.

While it runs, a heartbeat thread tells /readyz it is alive (pledge/health.py). Its metrics
(mail sent, tasks finished) reach Prometheus through the web servers' /metrics when
``pledge serve`` started it (they share the metrics folder), or from its own
``--metrics-port`` when it runs apart (docs/operations.md).
"""

from django.core.management.base import CommandError
from django_tasks.signals import task_finished
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from pledge.health import Heartbeat
from pledge.metrics import metrics_serve, task_finished_count
from pledge.scheduler import scheduler_start


class Command(DatabaseWorkerCommand):
    help = "Run background tasks (mail, retention, rollups) and schedule the periodic ones."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not enqueue periodic jobs from this worker (another one does).",
        )
        parser.add_argument(
            "--inbound-port",
            type=int,
            default=None,
            help="Also receive the service mailbox's mail by SMTP on 127.0.0.1:PORT "
            "(pledge/inbox/receiver.py).",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="Serve this worker's Prometheus metrics on 127.0.0.1:PORT (a worker that "
            "`pledge serve` starts needs none: the web servers' /metrics includes it).",
        )
        parser.set_defaults(queue_name="*", reload=False)

    def handle(self, *args, no_scheduler=False, inbound_port=None, metrics_port=None, **options):
        # --batch drains the queue and exits: no point scheduling more from it, nor telling
        # /readyz that a long-running worker is there.
        batch = options.get("batch")
        metrics_server = None
        if metrics_port:
            try:
                metrics_server = metrics_serve(port=metrics_port)
            except OSError as error:
                raise CommandError(
                    f"--metrics-port {metrics_port}: 127.0.0.1:{metrics_port} cannot be "
                    f"listened on ({error.strerror}); choose a free port."
                ) from None
        task_finished.connect(task_finished_count, dispatch_uid="pledge.metrics.tasks")
        heartbeat = None if batch else Heartbeat().start()
        scheduler = None if no_scheduler or batch else scheduler_start()
        receiver = None
        if inbound_port:
            from pledge.inbox.receiver import receiver_start

            receiver = receiver_start(port=inbound_port)
        try:
            return super().handle(*args, **options)
        finally:
            if receiver is not None:
                receiver.stop()
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if heartbeat is not None:
                heartbeat.stop()  # a clean stop: this worker no longer counts as alive
            if metrics_server is not None:
                metrics_server.shutdown()
