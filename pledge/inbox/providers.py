"""The inbox's personal data: mail a person sent to the service mailbox.

Registered with people's registry from ``InboxConfig.ready``: found by the person link, or by
the sender's address for mail that came before they were a person; erased with them.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.inbox.models import InboundMessage
from pledge.people.registry import PersonalDataProvider, TimelineEntry, provider_register, when
from pledge.vault.fields import lookup_digests


def messages_of(person):
    condition = Q(person_id=person.pk)
    digests = lookup_digests(InboundMessage, "sender_index", person.email or "")
    if digests:
        condition |= Q(sender_index__in=digests)
    return InboundMessage.objects.filter(condition)


def inbound_export(person) -> list[dict]:
    """Each message as the person sent it: what they wrote, and each attachment's name, type
    and size (the attachments themselves stay inside the stored message, never opened)."""
    return [
        {
            "received_at": when(message.received_at),
            "sender": message.sender,
            "subject": message.subject,
            "classification": str(message.get_classification_display()),
            "text": message.text,
            "attachments": [
                {
                    "name": attachment.get("name", ""),
                    "type": attachment.get("type", ""),
                    "size": attachment.get("size", 0),
                }
                for attachment in message.attachments or []
            ],
        }
        for message in messages_of(person).order_by("received_at", "id")
    ]


def inbound_timeline(person) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=message.received_at,
            kind="email_received",
            summary=str(_("Email received: %(subject)s") % {"subject": message.subject}),
            detail=f"{message.get_classification_display()}: {message.get_outcome_display()}",
            source=str(message.get_source_display()),
        )
        for message in messages_of(person).defer("raw")
    ]


def inbound_erase(person) -> int:
    return messages_of(person).delete()[0]


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="inbox.messages",
            title=_("Emails you sent us"),
            description=_(
                "The emails you sent to our service mailbox: when, the subject, what you wrote "
                "and what we understood you asked for."
            ),
            models=("inbox.InboundMessage",),
            export=inbound_export,
            erase=inbound_erase,
            timeline=inbound_timeline,
            labels={
                "received_at": _("Received"),
                "sender": _("From"),
                "subject": _("Subject"),
                "classification": _("What we understood"),
                "text": _("What you wrote"),
                "attachments": _("Attachments (name, type, size)"),
            },
            order=40,  # before the person's cases and messages: nothing of theirs cascades it
        )
    )
