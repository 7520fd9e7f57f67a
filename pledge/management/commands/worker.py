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
        parser.set_defaults(queue_name="*", reload=False)

    def handle(self, *args, no_scheduler=False, **options):
        # --batch drains the queue and exits: no point scheduling more from it.
        scheduler = None if no_scheduler or options.get("batch") else scheduler_start()
        try:
            return super().handle(*args, **options)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
