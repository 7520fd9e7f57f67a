"""``pledge worker``: runs background tasks from every queue, and the periodic jobs' scheduler."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

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
        parser.set_defaults(queue_name="*", reload=False)

    def handle(self, *args, no_scheduler=False, inbound_port=None, **options):
        # --batch drains the queue and exits: no point scheduling more from it.
        scheduler = None if no_scheduler or options.get("batch") else scheduler_start()
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
