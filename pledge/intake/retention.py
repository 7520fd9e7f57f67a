"""What intake deletes on time: unconfirmed minors' submissions, reply addresses, orphan files.

Each function is idempotent and returns how many things it removed (or would remove, with
``dry_run``); the scheduler runs them daily and ``pledge purge`` runs them by hand.
"""

import time
from datetime import timedelta

from django.utils import timezone

from pledge.intake.models import FeedbackReplyAddress, GuardianPending, StoredFile
from pledge.intake.uploads import upload_delete, upload_directory

ORPHAN_AFTER = timedelta(days=1)


def guardian_pending_purge(*, dry_run: bool = False) -> int:
    """P19: a minor's submission no guardian confirmed in time is deleted, files included."""
    expired = GuardianPending.objects.filter(expires_at__lte=timezone.now())
    if dry_run:
        return expired.count()
    count = 0
    for pending in expired:
        for stored in pending.payload.get("files", {}).values():
            upload_delete(stored["stored_name"])
        pending.delete()
        count += 1
    return count


def feedback_replies_purge(*, dry_run: bool = False) -> int:
    """P20: a feedback's reply address lives only a short time."""
    expired = FeedbackReplyAddress.objects.filter(delete_after__lte=timezone.now())
    if dry_run:
        return expired.count()
    return expired.delete()[0]


def uploads_sweep(*, dry_run: bool = False) -> int:
    """Encrypted files no record points to (a submission that rolled back), after a day."""
    referenced = set(StoredFile.objects.values_list("stored_name", flat=True))
    for pending in GuardianPending.objects.all():
        referenced |= {
            stored["stored_name"] for stored in pending.payload.get("files", {}).values()
        }
    cutoff = time.time() - ORPHAN_AFTER.total_seconds()
    orphans = [
        path
        for path in upload_directory().glob("*.bin")
        if path.name not in referenced and path.stat().st_mtime < cutoff
    ]
    if not dry_run:
        for path in orphans:
            upload_delete(path.name)
    return len(orphans)
