"""What the forms received and refused, as counts only (staff with ``view_aggregates``)."""

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from pledge.dates import site_date, site_days_start, site_zone
from pledge.intake.models import BlockedCount, Feedback, Submission
from pledge.vault.access import access_require


def forms_activity(*, actor, days: int = 14) -> dict:
    """Per form: submissions received and posts refused (by reason) over the last ``days``."""
    access_require(actor, "view_aggregates")
    since = site_days_start(days)
    received = dict(
        Submission.objects.filter(created_at__gte=since)
        .values_list("form")
        .annotate(count=Count("id"))
        .values_list("form", "count")
    )
    received["feedback"] = Feedback.objects.filter(created_at__gte=since).count()
    refused = {}
    for form, reason, count in (
        BlockedCount.objects.filter(day__gte=site_date(since))
        .values("form", "reason")
        .annotate(total=Sum("count"))
        .values_list("form", "reason", "total")
    ):
        refused.setdefault(form, {})[reason] = count
    by_day = list(
        Submission.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=site_zone()))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )
    return {"days": days, "received": received, "refused": refused, "by_day": by_day}
