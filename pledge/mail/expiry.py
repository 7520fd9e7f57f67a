"""How long mail's records live, for ``pledge purge`` (``pledge.people.retention``)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.mail.models import (
    CampaignRecipient,
    Message,
    Subscription,
    SubscriptionRequest,
    SubscriptionStatus,
    Suppression,
)
from pledge.people.retention import (
    RetentionRule,
    cutoff,
    nothing,
    reason_register,
    rule_register,
    without_held,
)

# Kinds of message whose own rule (an app above mail) says how long they live.
OWN_PERIOD_KINDS: set[str] = set()


def message_kinds_own_period(*kinds: str) -> None:
    """An app above declares kinds of message it expires itself (portal links, certificates)."""
    OWN_PERIOD_KINDS.update(kinds)


def emails_expired(now):
    """The emails we sent (the outbox), ``[retention.emails]`` after they were written."""
    old = Message.objects.filter(created_at__lt=cutoff("emails", now), hold="")
    return without_held(old.exclude(kind__in=sorted(OWN_PERIOD_KINDS)))


def deliveries_expired(now):
    """A campaign's row per recipient, as long as an email."""
    since = cutoff("emails", now)
    return without_held(
        CampaignRecipient.objects.filter(
            Q(sent_at__lt=since) | Q(sent_at__isnull=True, campaign__created_at__lt=since)
        )
    )


def subscriptions_expired(now):
    """A list left: the row (when they left) goes the declared days later; the consent
    withdrawn is kept as consents are."""
    return without_held(
        Subscription.objects.filter(
            status=SubscriptionStatus.UNSUBSCRIBED,
            unsubscribed_at__lt=cutoff("subscriptions", now),
        )
    )


def signups_expired(now):
    """P13: a signup never confirmed (nothing was subscribed)."""
    return SubscriptionRequest.objects.filter(
        Q(expires_at__lte=now) | Q(created_at__lt=cutoff("unconfirmed", now))
    )


def register() -> None:
    reason_register(
        "mail.subscriptions",
        lambda: Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).values("person_id"),
    )
    rule_register(
        RetentionRule(
            key="mail.emails",
            title=_("Emails sent"),
            models=("mail.Message",),
            declarations=("emails",),
            expired=emails_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="mail.deliveries",
            title=_("Campaign deliveries"),
            models=("mail.CampaignRecipient",),
            declarations=("emails",),
            expired=deliveries_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="mail.subscriptions",
            title=_("Subscriptions ended"),
            models=("mail.Subscription",),
            declarations=("subscriptions",),
            expired=subscriptions_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="mail.signups",
            title=_("Newsletter sign-ups never confirmed"),
            models=("mail.SubscriptionRequest",),
            declarations=("unconfirmed",),
            expired=signups_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="mail.suppressions",
            title=_("Suppressed addresses"),
            models=("mail.Suppression",),
            declarations=("suppressions",),
            expired=nothing(Suppression),  # kept while the request stands (the hold)
        )
    )
