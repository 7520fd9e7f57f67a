"""``pledge keys``: generate a key entry, see what is under which key, rotate."""

from django.core.management.base import BaseCommand, CommandError

from pledge.progress import progress_bar
from pledge.vault.keys import KeyRingError, current_ring, new_entry
from pledge.vault.rotation import FILE_ROTATIONS, encrypted_models, rotate_model, stale_count


class Command(BaseCommand):
    help = "Manage the key ring that encrypts personal data (PLEDGE_KEYS)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("generate", help="Print a new key entry to put first in PLEDGE_KEYS.")
        actions.add_parser("status", help="Count values still under keys other than the primary.")
        rotate = actions.add_parser(
            "rotate", help="Re-encrypt every value under the primary key (resumable)."
        )
        rotate.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, action, **options):
        if action == "generate":
            self.stdout.write(new_entry())
            self.stderr.write(
                "Put this entry first in PLEDGE_KEYS (PLEDGE_KEYS=new,old), restart Pledge, run "
                "`pledge keys rotate`, and only then remove the old entry."
            )
            return
        try:
            ring = current_ring()
        except KeyRingError as error:
            raise CommandError(str(error)) from None
        if action == "status":
            self.stdout.write(
                f"Primary key: {ring.primary.id}; ring: {', '.join(k.id for k in ring.keys)}"
            )
            stale_total = 0
            for model in encrypted_models():
                count = stale_count(model)
                stale_total += count
                self.stdout.write(f"  {model._meta.label:<28} {count} rows under older keys")
            for label, (stale, _rotate) in FILE_ROTATIONS.items():
                count = stale()
                stale_total += count
                self.stdout.write(f"  {label:<28} {count} files under older keys")
            self.stdout.write(
                "Everything is under the primary key. Keep older keys in the ring all the "
                "same while the audit log must be verifiable: its entries stay sealed under "
                "the key that was primary when they were written."
                if not stale_total
                else "Run `pledge keys rotate` before removing any older key."
            )
            return
        for model in encrypted_models():
            rotate_model(
                model,
                batch_size=options["batch_size"],
                progress=progress_bar(model._meta.label, self.stderr._out),
            )
        for label, (_stale, rotate) in FILE_ROTATIONS.items():
            rotate(progress=progress_bar(label, self.stderr._out))
        self.stdout.write(f"Every personal value is now under key {ring.primary.id}.")
