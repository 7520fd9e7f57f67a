"""Reminders before a case's legal deadline, so staff never miss one (P18, P24).

``case_reminders_send`` is idempotent: each reminder level (a week left, two days left,
overdue) is claimed with a conditional UPDATE, so however often it runs, and however many
workers run it, each case gets each reminder once. Cases whose deadline is near when opened
skip straight to the level they are at. ``pledge cases remind`` and the ``remind`` task call it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pledge.cases.kinds import kind_name_lazy
from pledge.cases.models import OPEN_STATUSES, Case
from pledge.cases.services import service_mailbox
from pledge.mail.services import mail_send
from pledge.meetings.experts import staff_time_zone
from pledge.vault.access import Role
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record


@dataclass(frozen=True)
class Level:
    number: int
    before_due: timedelta  # sent once the deadline is this close


LEVELS = (
    Level(1, timedelta(days=7)),
    Level(2, timedelta(days=2)),
    Level(3, timedelta(0)),  # overdue
)


def level_due(case: Case, now) -> int:
    """The highest reminder level a case has reached by ``now``."""
    reached = [level.number for level in LEVELS if case.due_at - level.before_due <= now]
    return max(reached, default=0)


def recipients(case: Case) -> list[tuple[str, str]]:
    """(address, time zone) of the owner; without one, of every privacy officer; without any,
    the service mailbox in the site's zone. Staff read the deadline in their own zone."""
    if case.owner is not None and case.owner.email:
        return [(case.owner.email, staff_time_zone(case.owner))]
    officers = (
        get_user_model()
        .objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .distinct()
    )
    found = sorted({(officer.email, staff_time_zone(officer)) for officer in officers})
    return found or [(service_mailbox(), settings.TIME_ZONE)]


def case_reminders_send(*, now=None) -> int:
    """Send every reminder that is due now and not yet sent; returns how many cases."""
    now = now or timezone.now()
    horizon = now + max(level.before_due for level in LEVELS)
    candidates = Case.objects.filter(
        status__in=OPEN_STATUSES, due_at__lte=horizon, reminder_level__lt=len(LEVELS)
    ).select_related("owner")
    sent = 0
    for case in candidates.iterator(chunk_size=200):
        level = level_due(case, now)
        if level <= case.reminder_level:
            continue
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, reminder_level__lt=level, status__in=OPEN_STATUSES
            ).update(reminder_level=level, reminded_at=now)
            if not claimed:
                continue  # another worker sent it
            overdue = case.due_at <= now
            for address, zone in recipients(case):
                mail_send(
                    kind="case_reminder",
                    to=address,
                    language=settings.LANGUAGE_CODE,
                    context={
                        "reference": case.reference,
                        "kind_name": kind_name_lazy(case.kind),
                        "due_at": case.due_at,
                        "days_left": max(0, (case.due_at - now).days),
                        "overdue": overdue,
                        "case_path": reverse("console:case", args=[case.public_id]),
                    },
                    actor=Actor.system("cases.remind"),
                    time_zone=zone,
                )
            audit_record(
                actor=Actor.system("cases.remind"),
                action="case.reminded",
                target=case,
                details={"level": level},
            )
        sent += 1
    return sent
