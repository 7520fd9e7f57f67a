"""``pledge backup FILE``: a consistent snapshot of the database and the uploads, in one file.

The site keeps serving and writing meanwhile. What the file holds, and how it is written, is in
``pledge/backup.py``; docs/backup.md says how to keep backups and their key ring.
"""

from django.core.management.base import BaseCommand, CommandError

from pledge.backup import (
    ENGINE_NAMES,
    BackupError,
    backup_write,
    counts_words,
    human_size,
    quantity,
)
from pledge.vault.keys import KeyRingError


class Command(BaseCommand):
    help = (
        "Write a backup of the database (a consistent snapshot, taken while the site runs) and "
        "of the uploaded files to FILE. The key ring is never in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="Where to write the backup (a tar file).")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")

    def handle(self, *args, file, force, **options):
        try:
            written = backup_write(path=file, force=force)
        except (BackupError, KeyRingError) as error:
            raise CommandError(str(error)) from None
        manifest = written.manifest
        self.stdout.write(
            f"Backup written to {written.path} ({human_size(written.size)}): the "
            f"{ENGINE_NAMES[manifest['engine']]} database as of {manifest['created_at']} "
            f"({counts_words(manifest)}; the audit chain ends at entry "
            f"#{manifest['audit_head']['sequence']}) and "
            f"{quantity(len(manifest['uploads']), 'uploaded file', 'uploaded files')}."
        )
        key_ids = ", ".join(key["id"] for key in manifest["keys"])
        self.stdout.write(
            f"Keep the key ring (PLEDGE_KEYS: {key_ids}) apart from this backup: without it the "
            "backup reveals no personal value. And keep the key ring itself, safely and in "
            "another place: without it no backup can be read."
        )
