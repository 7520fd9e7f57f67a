"""``pledge import people FILE.csv --source KEY --basis BASIS``: import people from a file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledge.intake.imports import ImportRefused, import_file
from pledge.inventory.schema import LEGAL_BASES
from pledge.progress import progress_bar
from pledge.vault.actors import Actor


class Command(BaseCommand):
    help = "Import people from a CSV file (columns: email, name, phone, company, language)."

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True)
        people = kinds.add_parser("people", help="Import people.")
        people.add_argument("file", help="a CSV file with a header line")
        people.add_argument(
            "--source", required=True, help="a source declared under [other_sources]"
        )
        people.add_argument("--basis", required=True, choices=LEGAL_BASES, help="the legal basis")

    def handle(self, *args, kind, file, source, basis, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            batch, read = import_file(
                path.read_bytes(),
                source=source,
                basis=basis,
                file_name=path.name,
                actor=Actor.system("import"),
                progress=progress_bar("importing", self.stderr._out),
            )
        except ImportRefused as refused:
            raise CommandError(str(refused)) from None
        for line, problem in read.errors:
            self.stderr.write(f"{path.name}, line {line}: {problem} (not imported)")
        self.stdout.write(
            f"Imported {batch.done} rows ({batch.created} new people, "
            f"{batch.done - batch.created} merged into people already held); "
            f"{len(read.errors)} rows refused. A notice was queued for each person imported."
        )
