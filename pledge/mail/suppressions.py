"""Addresses no mailing reaches again: hard bounces and spam complaints (feedback reports).

The inbound mailbox calls ``address_suppress`` when a delivery status notification or a
complaint arrives; every campaign and notice asks ``suppressed`` (or filters with
``suppressed_digests``) before it sends.
"""

from django.db import transaction

from pledge.mail.models import Suppression, SuppressionReason
from pledge.vault.audit import audit_record
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import normalise_email


def suppression_find(email: str) -> Suppression | None:
    digests = lookup_digests(Suppression, "email_index", email or "")
    return Suppression.objects.filter(email_index__in=digests).first() if digests else None


def suppressed(email: str) -> bool:
    return suppression_find(email) is not None


@transaction.atomic
def address_suppress(*, email: str, reason: str, actor, detail: str = "") -> Suppression | None:
    """Stop every mailing to ``email`` (idempotent: an address is suppressed once, and the
    first reason stays). None for something that is not an address."""
    if not normalise_email(email or ""):
        return None
    reason = SuppressionReason(reason)
    existing = suppression_find(email)
    if existing is not None:
        return existing
    suppression = Suppression.objects.create(
        email=email.strip(), reason=reason, detail=detail[:200]
    )
    audit_record(
        actor=actor, action="mail.suppressed", target=suppression, details={"reason": reason}
    )
    return suppression


@transaction.atomic
def address_unsuppress(*, email: str, actor) -> bool:
    """Staff lift a suppression (the address works again, the recipient asked to be back)."""
    suppression = suppression_find(email)
    if suppression is None:
        return False
    audit_record(actor=actor, action="mail.unsuppressed", target=suppression)
    suppression.delete()
    return True
