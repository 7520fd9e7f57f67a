"""Mail that reached the service mailbox: stored once, encrypted, then classified and acted on.

Each message is kept whole (``raw``, base64 of its bytes, encrypted at rest) before anything is
read from it, so a message that cannot be parsed or acted on is never lost: it waits in triage
for staff (docs/inbox.md). Attachments stay inside ``raw``: never opened, executed or rendered;
``attachments`` lists their names, types and sizes for the console.
"""

import base64
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField
from pledge.vault.keys import normalise_email


class Source(models.TextChoices):
    IMAP = "imap", _("Read from the mailbox (IMAP)")
    SMTP = "smtp", _("Received by SMTP")
    LMTP = "lmtp", _("Received by LMTP")
    PIPE = "pipe", _("Handed over by the mail server (pipe)")


class Classification(models.TextChoices):
    CASE_REPLY = "case_reply", _("Reply about a case")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")
    REQUEST = "request", _("Request about personal data")
    COMPLAINT = "complaint", _("Complaint")
    BOUNCE = "bounce", _("Bounce (mail could not be delivered)")
    COMPLAINT_REPORT = "complaint_report", _("Spam complaint report")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    TRIAGE = "triage", _("For staff to decide")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Not handled yet")
    JOINED_CASE = "joined_case", _("Added to its case")
    UNSUBSCRIBED = "unsubscribed", _("Sender unsubscribed; confirmation sent")
    UNSUBSCRIBED_QUIETLY = (
        "unsubscribed_quietly",
        _("Sender unsubscribed; no confirmation (one was sent in the last day)"),
    )
    NOT_SUBSCRIBED = "not_subscribed", _("The sender is on no list: nothing done, nothing sent")
    UNKNOWN_SENDER = "unknown_sender", _("We hold nothing about the sender: nothing to do")
    CASE_OPENED = "case_opened", _("Case opened")
    AWAITING_CONFIRMATION = (
        "awaiting_confirmation",
        _("Case opened; waiting for the privacy officer to confirm"),
    )
    AWAITING_VERIFICATION = (
        "awaiting_verification",
        _(
            "Verification link sent to the address we hold; the opt-out waits for the requester "
            "to follow it"
        ),
    )
    CONFIRMED = "confirmed", _("Opt-out recorded after confirmation")
    SUPPRESSED = "suppressed", _("Address suppressed: no more mail to it")
    TEMPORARY_FAILURE = "temporary_failure", _("Temporary failure: nothing suppressed")
    KEPT = "kept", _("Kept; nothing to do")
    TRIAGE = "triage", _("Waiting for staff to decide")
    NOTHING = "nothing", _("Staff decided nothing needs doing")
    FAILED = "failed", _("Could not be handled: waiting for staff")


class Scope(models.TextChoices):
    PERSON = "person", _("The person")
    ORGANISATION = "organisation", _("Their whole organisation")


class InboundMessage(models.Model):
    """One message that reached the service mailbox.

    ``message_key`` is the SHA-256 of its Message-ID, or of its bytes when it has none (or was
    too large to read); ``raw_sha256`` is unique. A message is kept once: the same bytes, or
    the same Message-ID with the same content (only trace headers differ), is the same
    message; another with an earlier one's Message-ID is kept, for staff. Sender, subject, the text
    read from it (quotes stripped) and the attachments' names are personal: encrypted, the
    sender blind-indexed so a person's export and erasure find mail that came before they were
    a person. ``person`` goes with the person (CASCADE), ``case`` stays with the case.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message_key = models.CharField(max_length=68, db_index=True)
    raw_sha256 = models.CharField(max_length=64, unique=True)
    raw = EncryptedTextField()  # base64 of the bytes as received
    size = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices)
    received_at = models.DateTimeField()
    sender = EncryptedTextField(blank=True)
    sender_index = BlindIndexField(source="sender", normalise=normalise_email)
    subject = EncryptedTextField(blank=True)
    text = EncryptedTextField(blank=True)  # the message's own words, quotes stripped
    attachments = EncryptedJSONField(default=list, blank=True)  # [{name, type, size}]
    language = models.CharField(max_length=10, blank=True)
    # SPF, DKIM, DMARC as the receiving server wrote them in Authentication-Results.
    authentication = models.JSONField(default=dict, blank=True)
    parsed = models.BooleanField(default=False)  # False: too large or unreadable, kept whole
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbound_messages",
    )
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.TRIAGE
    )
    request_kind = models.CharField(max_length=60, blank=True)  # the case kind, for a request
    scope = models.CharField(max_length=12, choices=Scope.choices, blank=True)  # do not contact
    outcome = models.CharField(max_length=24, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.CharField(max_length=300, blank=True)  # why triage, or the error (no values)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [
            # The console's lists: triage first, newest first.
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome_received"),
        ]

    def __str__(self):
        return f"inbound message {self.public_id}"

    @property
    def raw_bytes(self) -> bytes:
        return base64.b64decode(self.raw)

    @property
    def classification_label(self) -> str:
        return str(self.get_classification_display())
