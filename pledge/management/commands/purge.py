"""``pledge purge``: delete every record past its declared retention period (SECURITY.md P6).

A dry run unless ``--yes``: it prints, per kind of record, how many would go. With ``--yes``
it deletes them in small batches, resumable (run it again after an interruption), audited once
with the counts. The scheduler runs the same every hour (``pledge.people.tasks.purge``).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from pledge.people.retention import retention_purge, rules
from pledge.vault.actors import Actor


class Command(BaseCommand):
    help = (
        "Delete every record past its retention period, as the inventory declares it. "
        "Shows counts only, unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="Really delete.")
        parser.add_argument(
            "--only", default="", help="Only this rule (its key, e.g. intake.submissions)."
        )

    def handle(self, *args, yes, only, **options):
        keys = {rule.key for rule in rules()}
        if only and only not in keys and not only.startswith("intake.orphan"):
            raise CommandError(
                f"No retention rule is called {only!r}. Rules: {', '.join(sorted(keys))}."
            )
        report = retention_purge(actor=Actor.system("purge"), dry_run=not yes, only=only)
        verb = "deleted" if yes else "would delete"
        with translation.override("en"):  # the command speaks English, as every other does
            for purged in report.rules:
                self.stdout.write(f"{verb} {purged.count}: {purged.title} ({purged.key})")
        self.stdout.write(f"{verb} {report.total} in all.")
        if not yes:
            self.stdout.write("Nothing was deleted: run `pledge purge --yes` to delete.")
