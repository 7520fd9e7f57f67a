"""``pledge audit verify``: check the audit chain and name the first entry that does not fit."""

from django.core.management.base import BaseCommand, CommandError

from pledge.vault.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the tamper-evident audit log."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("verify", help="Walk the whole chain; exit 1 if it is broken.")

    def handle(self, *args, action, **options):
        verdict = audit_verify()
        if not verdict.intact:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
