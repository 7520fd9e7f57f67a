"""``pledge cases remind`` and ``pledge cases purge``: the cases app's periodic work by hand."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from pledge.cases.models import Case, Disclosure
from pledge.cases.portal import LINK_HOURS, links_purge
from pledge.cases.providers import DISCLOSURE_HOLD, HOLD
from pledge.cases.reminders import case_reminders_send
from pledge.inventory.loader import current_inventory
from pledge.mail.services import messages_purge


def portal_link_mail_purge(*, dry_run: bool = False) -> int:
    """The emails that carried portal links, once the links have expired."""
    before = timezone.now() - timedelta(hours=LINK_HOURS)
    return sum(
        messages_purge(kind=kind, before=before, dry_run=dry_run)
        for kind in ("portal_link", "portal_email_confirm")
    )


def closed_cases_purge(*, dry_run: bool = False) -> int:
    """Cases closed longer ago than the rights_requests legal hold keeps them (3 years for
    the organisation), and the erasure certificates kept with them."""
    hold = current_inventory().legal_holds.get(HOLD)
    if hold is None or not hold.days:
        return 0
    before = timezone.now() - timedelta(days=hold.days)
    old = Case.objects.filter(completed_at__lt=before) | Case.objects.filter(refused_at__lt=before)
    certificates = messages_purge(
        kind="erasure_certificate", before=before, dry_run=dry_run, hold=HOLD
    )
    return (old.count() if dry_run else old.delete()[0]) + certificates


def held_disclosures_purge(*, dry_run: bool = False) -> int:
    """Disclosures of erased people, once the processing_records hold has run out."""
    hold = current_inventory().legal_holds.get(DISCLOSURE_HOLD)
    if hold is None or not hold.days:
        return 0
    before = timezone.now() - timedelta(days=hold.days)
    old = Disclosure.objects.filter(person__isnull=True, created_at__lt=before)
    return old.count() if dry_run else old.delete()[0]


PURGES = {
    "expired portal links": links_purge,
    "emails of expired portal links": portal_link_mail_purge,
    "cases and certificates past their legal hold": closed_cases_purge,
    "disclosures of erased people past their legal hold": held_disclosures_purge,
}


class Command(BaseCommand):
    help = "Data-subject request cases: deadline reminders, and deleting expired portal links."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "remind", help="Email the reminders now due (a week, two days, overdue); idempotent."
        )
        purge = actions.add_parser(
            "purge", help="Delete expired portal links and their emails; counts only, unless --yes."
        )
        purge.add_argument("--yes", action="store_true", help="Really delete.")

    def handle(self, *args, action, **options):
        if action == "remind":
            sent = case_reminders_send()
            self.stdout.write(f"reminded {sent} case{'s' if sent != 1 else ''}")
            return
        yes = options["yes"]
        for label, job in PURGES.items():
            count = job(dry_run=not yes)
            self.stdout.write(f"{'deleted' if yes else 'would delete'} {count}: {label}")
        if not yes:
            self.stdout.write("Nothing was deleted: run `pledge cases purge --yes` to delete.")
