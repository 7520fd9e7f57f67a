"""``pledge cases remind``: the cases app's periodic work by hand (what expires is deleted by
``pledge purge``, with everything else past its period)."""

from django.core.management.base import BaseCommand

from pledge.cases.reminders import case_reminders_send


class Command(BaseCommand):
    help = "Data-subject request cases: deadline reminders."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "remind", help="Email the reminders now due (a week, two days, overdue); idempotent."
        )

    def handle(self, *args, action, **options):
        sent = case_reminders_send()
        self.stdout.write(f"reminded {sent} case{'s' if sent != 1 else ''}")
