"""How long the cases app's records live, for ``pledge purge`` (``pledge.people.retention``).

A rights request, its answer and the erasure certificate are kept the ``rights_requests`` hold's
period after the request closed; disclosures the ``processing_records`` hold's period after
they were made; a portal link and the email that carried it a day. While someone's request is
open, nothing of theirs expires (the hold registered here).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.cases.models import Case, CaseStatus, Disclosure, PortalLink
from pledge.mail.expiry import message_kinds_own_period
from pledge.mail.models import Message
from pledge.people.retention import (
    RetentionRule,
    cutoff,
    hold_register,
    rule_register,
    without_held,
)

OPEN = (CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS)
LINK_EMAILS = ("portal_link", "portal_email_confirm")
CERTIFICATE = "erasure_certificate"


def requests_expired(now):
    since = cutoff("requests", now)
    return Case.objects.filter(Q(completed_at__lt=since) | Q(refused_at__lt=since)).exclude(
        status__in=OPEN
    )


def certificates_expired(now):
    return Message.objects.filter(kind=CERTIFICATE, created_at__lt=cutoff("requests", now))


def portal_links_expired(now):
    return PortalLink.objects.filter(expires_at__lte=now)


def link_emails_expired(now):
    """The emails that carried portal links, once the links have expired."""
    return Message.objects.filter(kind__in=LINK_EMAILS, created_at__lt=cutoff("portal_links", now))


def disclosures_expired(now):
    return without_held(Disclosure.objects.filter(created_at__lt=cutoff("disclosures", now)))


def register() -> None:
    message_kinds_own_period(*LINK_EMAILS, CERTIFICATE)
    hold_register(
        "cases.open_requests",
        lambda: Case.objects.filter(status__in=OPEN, person__isnull=False).values("person_id"),
    )
    for key, title, models, declared, expired in (
        ("cases.requests", _("Rights requests"), ("cases.Case",), "requests", requests_expired),
        (
            "cases.certificates",
            _("Erasure certificates"),
            ("mail.Message",),
            "requests",
            certificates_expired,
        ),
        (
            "cases.portal_links",
            _("“My data” links"),
            ("cases.PortalLink",),
            "portal_links",
            portal_links_expired,
        ),
        (
            "cases.portal_link_emails",
            _("Emails of “My data” links"),
            ("mail.Message",),
            "portal_links",
            link_emails_expired,
        ),
        (
            "cases.disclosures",
            _("Disclosures"),
            ("cases.Disclosure",),
            "disclosures",
            disclosures_expired,
        ),
    ):
        rule_register(
            RetentionRule(
                key=key, title=title, models=models, declarations=(declared,), expired=expired
            )
        )
