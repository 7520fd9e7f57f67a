"""How long mail received lives, for ``pledge purge`` (``pledge.people.retention``).

A message is stored whole (encrypted), so it goes at the shortest period ``[channels.mailto]``
declares for any of its parts (its technical headers); what a case needs of it lives on with
the case.
"""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from pledge.inbox.models import InboundMessage
from pledge.inventory.loader import current_inventory
from pledge.people.retention import (
    RetentionRule,
    contact_register,
    rule_register,
    without_held,
)

CHANNEL = "mailto"


def inbound_expired(now):
    channel = current_inventory().channels.get(CHANNEL)
    if channel is None or not channel.fields:
        return InboundMessage.objects.none()
    days = min(field.retention_days for field in channel.fields.values())
    return without_held(InboundMessage.objects.filter(received_at__lt=now - timedelta(days=days)))


def register() -> None:
    contact_register(
        "inbox.messages",
        lambda since: InboundMessage.objects.filter(
            received_at__gte=since, person__isnull=False
        ).values("person_id"),
    )
    rule_register(
        RetentionRule(
            key="inbox.messages",
            title=_("Mail received"),
            models=("inbox.InboundMessage",),
            expired=inbound_expired,
        )
    )
