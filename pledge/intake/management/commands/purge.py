"""``pledge purge``: delete what has outlived its retention. A dry run unless ``--yes``."""

from django.core.management.base import BaseCommand

from pledge.intake.retention import feedback_replies_purge, guardian_pending_purge, uploads_sweep
from pledge.mail.subscriptions import subscription_requests_purge

JOBS = {
    "unconfirmed minors' submissions (P19)": guardian_pending_purge,
    "feedback reply addresses (P20)": feedback_replies_purge,
    "unconfirmed newsletter signups (P13)": subscription_requests_purge,
    "orphan uploaded files": uploads_sweep,
}


class Command(BaseCommand):
    help = "Delete what has outlived its retention period. Shows counts only, unless --yes."

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="Really delete.")

    def handle(self, *args, yes, **options):
        for label, job in JOBS.items():
            count = job(dry_run=not yes)
            verb = "deleted" if yes else "would delete"
            self.stdout.write(f"{verb} {count}: {label}")
        if not yes:
            self.stdout.write("Nothing was deleted: run `pledge purge --yes` to delete.")
