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
