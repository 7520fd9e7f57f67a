"""Mail's personal data: messages sent to a person or their address, subscriptions, signups.

Registered with people's registry from ``MailConfig.ready``.
"""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.logs import redact
from pledge.mail.kinds import message_kind_name
from pledge.mail.models import (
    CampaignRecipient,
    Message,
    Subscription,
    SubscriptionRequest,
    Suppression,
)
from pledge.mail.services import message_shown
from pledge.people.registry import PersonalDataProvider, TimelineEntry, provider_register, when
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import normalise_email


def messages_of(person):
    """Messages linked to the person, or sent to their address before they were one; never
    those kept under a legal hold (an earlier erasure's certificate)."""
    condition = Q(person_id=person.pk)
    digests = lookup_digests(Message, "to_index", person.email or "")
    if digests:
        condition |= Q(to_index__in=digests)
    return Message.objects.filter(condition, hold="")


def messages_export(person) -> list[dict]:
    return [
        {
            "id": str(message.public_id),
            "kind": message.kind,
            "to": message.to,
            "subject": message.subject,
            # As sent, but an emailed link's secret (a portal or booking link) is not handed
            # out again in a file that may travel further than the mailbox did; mail stored
            # before links were kept apart is redacted as the logs are.
            "body": redact(message_shown(message)),
            "language": message.language,
            "status": message.status,
            "created_at": when(message.created_at),
            "sent_at": when(message.sent_at),
        }
        for message in messages_of(person).order_by("created_at", "id")
    ]


def messages_timeline(person) -> list[TimelineEntry]:
    """The emails sent to the person: subject, status and kind (the body is in the outbox)."""
    return [
        TimelineEntry(
            at=message.created_at,
            kind="email",
            summary=message.subject,
            detail=message.get_status_display(),
            source=message_kind_name(message.kind),
        )
        for message in Message.objects.filter(person_id=person.pk)
    ]


def messages_erase(person) -> int:
    return messages_of(person).delete()[0]


def subscriptions_export(person) -> list[dict]:
    return [
        {
            "list": subscription.list_key,
            "status": subscription.status,
            "confirmed_at": when(subscription.confirmed_at),
            "unsubscribed_at": when(subscription.unsubscribed_at),
        }
        for subscription in Subscription.objects.filter(person_id=person.pk).order_by("list_key")
    ]


def subscriptions_erase(person) -> int:
    return Subscription.objects.filter(person_id=person.pk).delete()[0]


def signups_of(person) -> list[SubscriptionRequest]:
    """Unconfirmed signups for the person's address. They live a week at most, so reading the
    few that exist is cheaper than indexing them."""
    address = normalise_email(person.email or "")
    if not address:
        return []
    return [
        request
        for request in SubscriptionRequest.objects.all()
        if normalise_email(request.email) == address
    ]


def signups_export(person) -> list[dict]:
    return [
        {
            "lists": request.lists,
            "language": request.language,
            "consent_text": request.consent_text,
            "created_at": when(request.created_at),
            "expires_at": when(request.expires_at),
        }
        for request in signups_of(person)
    ]


def signups_erase(person) -> int:
    ids = [request.pk for request in signups_of(person)]
    return SubscriptionRequest.objects.filter(pk__in=ids).delete()[0] if ids else 0


def suppressions_of(person):
    digests = lookup_digests(Suppression, "email_index", person.email or "")
    return (
        Suppression.objects.filter(email_index__in=digests)
        if digests
        else Suppression.objects.none()
    )


def suppressions_export(person) -> list[dict]:
    return [
        {
            "email": suppression.email,
            "reason": suppression.get_reason_display(),
            "created_at": when(suppression.created_at),
        }
        for suppression in suppressions_of(person).order_by("created_at", "id")
    ]


def suppressions_erase(person) -> int:
    return suppressions_of(person).delete()[0]


def deliveries_export(person) -> list[dict]:
    rows = (
        CampaignRecipient.objects.filter(person_id=person.pk)
        .select_related("campaign")
        .order_by("id")
    )
    return [
        {
            "mailing": row.campaign.subject.get(row.language) or row.campaign.name,
            "kind": row.campaign.get_kind_display(),
            "language": dict(settings.LANGUAGES).get(row.language, row.language),
            "status": row.get_status_display(),
            "sent_at": when(row.sent_at),
            "unsubscribed_at": when(row.unsubscribed_at),
        }
        for row in rows
    ]


def deliveries_erase(person) -> int:
    """The rows stay for the campaign's counts, with no one behind them."""
    return CampaignRecipient.objects.filter(person_id=person.pk).update(person=None)


def deliveries_timeline(person) -> list[TimelineEntry]:
    rows = CampaignRecipient.objects.filter(person_id=person.pk).select_related("campaign")
    return [
        TimelineEntry(
            at=row.sent_at or row.campaign.started_at or row.campaign.created_at,
            kind="email",
            summary=row.campaign.subject.get(row.language) or row.campaign.name,
            detail=row.get_status_display(),
            source=row.campaign.get_kind_display(),
        )
        for row in rows
    ]


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="mail.messages",
            title=_("Emails we sent you"),
            description=_(
                "Every email we sent to you or to your address, and the copies of your meeting"
                " emails our expert received, as sent."
            ),
            models=("mail.Message",),
            export=messages_export,
            erase=messages_erase,
            timeline=messages_timeline,
            labels={
                "kind": _("Kind"),
                "to": _("To"),
                "subject": _("Subject"),
                "body": _("Text"),
                "language": _("Language"),
                "status": _("Status"),
                "created_at": _("Written"),
                "sent_at": _("Sent"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="mail.subscriptions",
            title=_("Mailing lists"),
            description=_("The lists you subscribed to, and when you left them."),
            models=("mail.Subscription",),
            export=subscriptions_export,
            erase=subscriptions_erase,
            labels={
                "list": _("List"),
                "status": _("Status"),
                "confirmed_at": _("Confirmed"),
                "unsubscribed_at": _("Left"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="mail.signups",
            title=_("Unconfirmed signups"),
            description=_("Newsletter signups for your address still waiting for confirmation."),
            models=("mail.SubscriptionRequest",),
            export=signups_export,
            erase=signups_erase,
            labels={
                "lists": _("Lists"),
                "consent_text": _("The words you saw"),
                "created_at": _("Asked"),
                "expires_at": _("Expires"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="mail.deliveries",
            title=_("Newsletters and notices we sent you"),
            description=_(
                "Each mailing sent to you: which, in which language, and what became of it."
            ),
            models=("mail.CampaignRecipient",),
            export=deliveries_export,
            erase=deliveries_erase,
            timeline=deliveries_timeline,
            labels={
                "mailing": _("Mailing"),
                "kind": _("Kind"),
                "language": _("Language"),
                "status": _("Status"),
                "sent_at": _("Sent"),
                "unsubscribed_at": _("Unsubscribed"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="mail.suppressions",
            title=_("Addresses we no longer mail"),
            description=_("Your address, if mail to it bounced or you reported our mail as spam."),
            models=("mail.Suppression",),
            export=suppressions_export,
            erase=suppressions_erase,
            labels={
                "email": _("Address"),
                "reason": _("Why"),
                "created_at": _("Since"),
            },
        )
    )
