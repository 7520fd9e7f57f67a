"""``pledge restore FILE``: a backup written by ``pledge backup``, into an empty database.

Every check comes before the first write (``pledge/backup.py``); docs/backup.md describes the
restore and the drill that proves it.
"""

from django.core.management.base import BaseCommand, CommandError

from pledge.backup import (
    ENGINE_NAMES,
    BackupError,
    backup_restore,
    counts_words,
    database_where,
    quantity,
)
from pledge.vault.keys import KeyRingError


class Command(BaseCommand):
    help = (
        "Restore a backup written by `pledge backup` into the empty database at DATABASE_URL "
        "(and its uploaded files), with PLEDGE_KEYS set to the key ring kept with it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The backup to restore.")

    def handle(self, *args, file, **options):
        try:
            restored = backup_restore(path=file)
        except (BackupError, KeyRingError) as error:
            raise CommandError(str(error)) from None
        manifest = restored.manifest
        self.stdout.write(
            f"Restored the {ENGINE_NAMES[manifest['engine']]} backup of {manifest['created_at']} "
            f"into {database_where()}: {counts_words(manifest)}, "
            f"{quantity(len(manifest['migrations']), 'applied migration', 'applied migrations')}"
            f" and {quantity(len(manifest['uploads']), 'uploaded file', 'uploaded files')}."
        )
        unknown = restored.migrations_unknown
        if unknown:
            self.stdout.write(
                f"The backup holds {quantity(len(unknown), 'migration', 'migrations')} this code "
                f"does not know ({', '.join(unknown[:3])}): it was written by a newer Pledge. "
                "Run that version, or a newer one, against this database."
            )
        if restored.migrations_to_apply:
            count = len(restored.migrations_to_apply)
            self.stdout.write(
                f"This code is newer than the backup ({quantity(count, 'migration', 'migrations')}"
                " to apply): run `pledge migrate`."
            )
        head = manifest["audit_head"]
        self.stdout.write(
            "Then run `pledge audit verify`: the chain should be intact and end at entry "
            f"#{head['sequence']}, hash {head['hash']}."
        )
