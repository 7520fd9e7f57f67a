"""Outgoing mail, one row per message: the queue, the outbox and the person's timeline at once."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField
from pledge.vault.keys import normalise_email


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    HELD = "held", _("Kept in the outbox (no mail server configured)")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One outgoing email. Recipient, subject and bodies are personal: encrypted at rest.

    ``kind`` names the template and purpose (``demo_confirmation``, ``guardian_consent`` ...);
    ``person_id`` links it to the person it was sent to, for their timeline and access export.
    ``to_index`` finds the messages sent to an address before a person existed behind it (a
    newsletter confirmation), so the access export and erasure reach them too. A message kept
    under a legal hold (``hold``: an erasure certificate) is left out of that index.

    No stored copy holds a live secret: a portal, booking, guardian or newsletter link is kept
    in ``private_links`` only until delivery (or, with the outbox backend, as the recipient's
    copy), and the bodies show where it goes (``mail.services.message_shown``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=60)
    language = models.CharField(max_length=10)
    to = EncryptedTextField()
    to_index = BlindIndexField(source="to", normalise=normalise_email, unless="hold")
    hold = models.CharField(max_length=40, blank=True)
    subject = EncryptedTextField()
    body_text = EncryptedTextField()
    body_html = EncryptedTextField(blank=True)
    headers = EncryptedJSONField(default=dict, blank=True)
    attachments = EncryptedJSONField(default=list, blank=True)
    # Private links (a token that acts as a password) by name, added to the bodies only when
    # the message is handed to the mail server, then emptied; the bodies hold placeholders.
    private_links = EncryptedJSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The outbox page lists newest first; the retry job finds queued ones.
            models.Index(fields=["status", "created_at"], name="message_status_created"),
            # The console's outbox: every message, newest first.
            models.Index(fields=["created_at", "id"], name="message_created"),
        ]

    def __str__(self):
        return f"{self.kind} {self.public_id}"


class SubscriptionRequest(models.Model):
    """A newsletter signup waiting for its emailed confirmation (double opt-in, P13).

    Until the link is followed nothing is subscribed and no person is created; unconfirmed
    requests are deleted when they expire.
    """

    email = EncryptedTextField()
    lists = models.JSONField()
    language = models.CharField(max_length=10)
    consent_text = models.TextField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"subscription request {self.pk}"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscription(models.Model):
    """A person on a mailing list, confirmed by email; unsubscribing keeps the row as proof."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="subscriptions"
    )
    list_key = models.CharField(max_length=60)
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices)
    confirmed_at = models.DateTimeField()
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "list_key"], name="subscription_unique")
        ]

    def __str__(self):
        return f"{self.list_key}: {self.status}"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", _("The address bounced")
    COMPLAINT = "complaint", _("The recipient reported our mail as spam")
    STAFF = "staff", _("Suppressed by staff")


class Suppression(models.Model):
    """An address no campaign or notice is sent to again: it bounced for good, or its owner
    complained (a feedback report). Found by blind index; personal, so exported and erased with
    the person whose address it is."""

    email = EncryptedTextField()
    email_index = BlindIndexField(source="email", normalise=normalise_email)
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    # What said so, for staff: a DSN's status code, a report's feedback type. No personal data.
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"suppression {self.pk} ({self.reason})"


class CampaignKind(models.TextChoices):
    LIST = "list", _("Mail to a mailing list")
    POLICY_NOTICE = "policy_notice", _("Notice of a policy change")
    ACQUISITION_NOTICE = "acquisition_notice", _("Notice of an acquisition")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    SENT = "sent", _("Sent")


class Campaign(models.Model):
    """One mailing: a campaign to a declared list, or a notice the law requires (P14, P23).

    ``subject`` and ``body`` hold the text per language (``{"zh-hans": ..., "en": ...}``), the
    body in Markdown; nothing here is personal. Recipients are resolved when sending starts,
    never earlier, into ``CampaignRecipient`` rows; ``excluded`` keeps how many were left out,
    per reason, at that moment.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=CampaignKind.choices, default=CampaignKind.LIST)
    list_key = models.CharField(max_length=60, blank=True)
    name = models.CharField(max_length=200)
    subject = models.JSONField(default=dict)
    body = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    # Messages a minute; None takes PLEDGE_CAMPAIGN_RATE.
    rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # A notice: the policy version it announces (P23); the acquirer's name is in the body (P14).
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    excluded = models.JSONField(default=dict, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="campaign_status_created")]

    def __str__(self):
        return self.name

    @property
    def title(self) -> str:
        """What staff read it as, in their language: the name marketing gave a campaign; for a
        notice, what it announces (its ``name`` holds the acquirer of an acquisition)."""
        if self.kind == CampaignKind.POLICY_NOTICE:
            return _("Notice of policy version %(number)s") % {"number": self.policy_version}
        if self.kind == CampaignKind.ACQUISITION_NOTICE:
            return _("Notice of the acquisition by %(acquirer)s") % {"acquirer": self.name}
        return self.name


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Left out at sending (no longer allowed)")
    # Claimed by a worker that stopped before it knew whether the mail server took the message:
    # never sent again, so nobody gets it twice.
    INTERRUPTED = "interrupted", _("Interrupted (not sent again)")
    CANCELLED = "cancelled", _("Not sent (campaign cancelled)")


class CampaignRecipient(models.Model):
    """One person a campaign goes to: the claim a worker takes before sending (a conditional
    UPDATE from queued to sending), and the outcome the report counts. An erased person's rows
    keep their outcome and lose the person."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_deliveries",
    )
    language = models.CharField(max_length=10)
    status = models.CharField(
        max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="campaign_recipient_unique")
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="campaign_recipient_status"),
        ]

    def __str__(self):
        return f"campaign {self.campaign_id} recipient {self.pk}"
