"""``pledge audit``: verify the audit chain (and its checkpoints), or publish a checkpoint."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pledge.vault.audit import (
    CheckpointError,
    audit_checkpoint,
    audit_verify,
    checkpoints_path,
    checkpoints_verify,
)


def file_unusable(path, error: OSError) -> str:
    return _("The checkpoint file %(path)s cannot be used: %(reason)s.") % {
        "path": path,
        "reason": error.strerror or error,
    }


class Command(BaseCommand):
    help = "Verify the tamper-evident audit log, or append a checkpoint of its end."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser("verify", help="Walk the whole chain; exit 1 if it is broken.")
        verify.add_argument(
            "--checkpoints",
            nargs="?",
            const="",
            metavar="FILE",
            help="Also check every checkpoint of FILE (default: PLEDGE_AUDIT_CHECKPOINTS).",
        )
        actions.add_parser(
            "checkpoint", help="Append the chain's end, signed, to PLEDGE_AUDIT_CHECKPOINTS."
        )

    def handle(self, *args, action, **options):
        if action == "checkpoint":
            self.checkpoint_write()
            return
        verdict = audit_verify()
        problems = [] if verdict.intact else [str(verdict)]
        if verdict.intact:
            self.stdout.write(str(verdict))
        if options["checkpoints"] is not None:
            problems += self.checkpoints_check(checkpoints_path(options["checkpoints"]))
        if problems:
            raise CommandError("\n".join(problems))

    def checkpoints_check(self, path) -> list[str]:
        """The checkpoints' problems; a file that holds none is one too."""
        if not path.is_file():
            return [_("There is no checkpoint file at %(path)s.") % {"path": path}]
        try:
            count, problems = checkpoints_verify(path)
        except OSError as error:
            return [file_unusable(path, error)]
        if not count:
            return [_("The checkpoint file %(path)s holds no checkpoint.") % {"path": path}]
        if not problems:
            self.stdout.write(
                ngettext(
                    "%(count)s checkpoint in %(path)s matches the chain.",
                    "All %(count)s checkpoints in %(path)s match the chain.",
                    count,
                )
                % {"count": count, "path": path}
            )
        return problems

    def checkpoint_write(self):
        try:
            checkpoint = audit_checkpoint()
        except CheckpointError as error:
            raise CommandError(
                _("No checkpoint written: %(problem)s") % {"problem": error}
            ) from None
        except OSError as error:
            raise CommandError(file_unusable(checkpoints_path(), error)) from None
        if checkpoint is None:
            self.stdout.write(_("No entry since the last checkpoint: nothing to write."))
            return
        self.stdout.write(
            _("Checkpoint written to %(path)s: entry #%(sequence)s, hash %(hash)s.")
            % {"path": checkpoints_path(), "sequence": checkpoint.sequence, "hash": checkpoint.hash}
        )
