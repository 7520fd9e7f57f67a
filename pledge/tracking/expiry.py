"""How long tracking's records live, for ``pledge purge`` (``pledge.people.retention``).

Page views go after ``[retention.page_views]``, linked to a person or not; the rollups counted
from them stay (they name no one). The request log goes after ``[request_log].retention_days``.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from pledge.people.retention import (
    RetentionRule,
    cutoff,
    expired_before,
    rule_register,
    without_held,
)
from pledge.tracking import declarations
from pledge.tracking.models import ConsentRecord, PageView, RequestLogEntry, Visitor


def page_views_expired(now):
    return PageView.objects.filter(at__lt=cutoff("page_views", now))


def visitors_expired(now):
    """A browser linked to a person, once none of its page views is left."""
    views = PageView.objects.filter(visitor_key=OuterRef("key"))
    return without_held(
        Visitor.objects.filter(stitched_at__lt=cutoff("page_views", now)).exclude(Exists(views))
    )


def cookie_consents_expired(now):
    """Proof of a cookie choice (an earlier version's shorter period applies to its own, P23)."""
    return without_held(
        ConsentRecord.objects.filter(expired_before("cookie_consents", now, "created_at"))
    )


def request_log_expired(now):
    """P08: the request log, after its declared days."""
    days = declarations.request_log().retention_days
    return RequestLogEntry.objects.filter(at__lt=now - timedelta(days=days))


def register() -> None:
    rule_register(
        RetentionRule(
            key="tracking.page_views",
            title=_("Page views"),
            models=("tracking.PageView",),
            declarations=("page_views",),
            expired=page_views_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="tracking.visitors",
            title=_("Browsers linked to people"),
            models=("tracking.Visitor",),
            declarations=("page_views",),
            expired=visitors_expired,
            order=110,  # after their page views
        )
    )
    rule_register(
        RetentionRule(
            key="tracking.cookie_consents",
            title=_("Cookie choices"),
            models=("tracking.ConsentRecord",),
            declarations=("cookie_consents",),
            expired=cookie_consents_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="tracking.request_log",
            title=_("Request log"),
            models=("tracking.RequestLogEntry",),
            expired=request_log_expired,
        )
    )
