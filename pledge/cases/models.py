"""Cases: every data-subject request and complaint, with its deadline, owner and state.

A case is opened by the portal (and closed at once when the person acted themselves), by staff
entering an emailed or posted request, or by a guardian for a minor (P18, P19, P24). Its
history is the audit log (entries on ``cases.Case``); its due date comes from the inventory's
``[rights]`` deadlines when it is opened.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import BlindIndexField, EncryptedTextField
from pledge.vault.keys import normalise_email


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS)


class CaseChannel(models.TextChoices):
    PORTAL = "portal", _("Privacy portal")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    STAFF = "staff", _("Entered by staff")
    GUARDIAN = "guardian", _("A parent or guardian")


class Identity(models.TextChoices):
    """How sure we are that the requester is the person (or their guardian)."""

    UNVERIFIED = "unverified", _("Not verified")
    LINK_SENT = "link_sent", _("Verification link sent")
    VERIFIED_EMAIL = "verified_email", _("Verified by an emailed link")
    VERIFIED_STAFF = "verified_staff", _("Verified by staff")
    FAILED = "failed", _("Could not be verified")


VERIFIED = (Identity.VERIFIED_EMAIL, Identity.VERIFIED_STAFF)


class Case(models.Model):
    """One request or complaint. ``kind`` is a key of the inventory's ``[rights.requests]``
    (access, copy, correction, deletion, ...) or ``other``.

    Who and when are kept per transition (``*_by`` hold the actor's audit label: "staff:pat",
    "person:<link id>", "guardian:<link id>", "visitor:guardian", "system:<job>"). Requester and subject are encrypted; when the person is erased the
    case stays, unlinked, under the inventory's ``rights_requests`` legal hold (``hold``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=CaseChannel.choices)
    status = models.CharField(
        max_length=12, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    identity = models.CharField(
        max_length=16, choices=Identity.choices, default=Identity.UNVERIFIED
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    requester_email = EncryptedTextField(blank=True)
    requester_name = EncryptedTextField(blank=True)
    # Whose data it is about, when not the requester's own: a guardian asking for a minor.
    subject_email = EncryptedTextField(blank=True)
    details = EncryptedTextField(blank=True)  # what was asked, in the requester's words
    identity_note = EncryptedTextField(blank=True)  # how staff verified, or why it failed
    resolution = EncryptedTextField(blank=True)  # the answer sent, or why it was refused
    language = models.CharField(max_length=10, default="zh-hans")
    result = models.JSONField(default=dict, blank=True)  # counts and sections, never values
    hold = models.CharField(max_length=40, blank=True)

    opened_at = models.DateTimeField()
    opened_by = models.CharField(max_length=150)
    due_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_owned",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.CharField(max_length=150, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=150, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(max_length=150, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refused_by = models.CharField(max_length=150, blank=True)
    # Reminders claimed so far (1: a week left, 2: two days left, 3: overdue), claimed with a
    # conditional update so two workers never send the same one.
    reminder_level = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_at__isnull=False),
                name="case_done_has_completed_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | models.Q(refused_at__isnull=False),
                name="case_refused_has_refused_at",
            ),
        ]
        indexes = [
            # The queue: open cases, soonest deadline first; the reminder job scans the same.
            models.Index(fields=["status", "due_at"], name="case_queue"),
        ]

    def __str__(self):
        return f"case {self.reference}"

    @property
    def reference(self) -> str:
        """What the requester and staff quote: short, and no personal value."""
        return str(self.public_id).split("-")[0].upper()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_verified(self) -> bool:
        return self.identity in VERIFIED


class PortalLink(models.Model):
    """An emailed link to the privacy portal: signed, expiring, stored only as a hash.

    Sent to whoever asks at ``/privacy/my-data/``, whether or not the address is known (so the
    page reveals nothing); the person behind ``email`` is looked up when it is opened. A link
    staff send for a case verifies the requester's identity when opened; a guardian's link
    names the minor in ``person`` and is sent to the guardian's address.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    email = EncryptedTextField()
    email_index = BlindIndexField(source="email", normalise=normalise_email)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_links",
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    on_behalf = models.BooleanField(default=False)  # a guardian's link for a minor (P19)
    # Sent to the new address a person asked to change to; confirming it moves them there.
    confirms_email = models.BooleanField(default=False)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="portal_link_expiry")]  # purge

    def __str__(self):
        return f"portal link {self.public_id}"


class DisclosureBasis(models.TextChoices):
    """Why personal data left the organisation (P12, P14, P16). There is no "sale": it cannot be chosen."""

    PROCESSOR = "processor", _("A processor working for us, under contract (P12)")
    AFFILIATE = "affiliate", _("A subsidiary or affiliate (P14)")
    LAW = "law", _("Required by law")
    COURT_ORDER = "court_order", _("A subpoena or court order (P16)")
    RIGHTS = "rights", _("To protect our rights or property")
    SAFETY = "safety", _("An emergency threatening someone's safety")
    LIABILITY = "liability", _("To prevent liability")


LEGAL_BASES = (
    DisclosureBasis.LAW,
    DisclosureBasis.COURT_ORDER,
    DisclosureBasis.RIGHTS,
    DisclosureBasis.SAFETY,
    DisclosureBasis.LIABILITY,
)


class Disclosure(models.Model):
    """One person's data given to someone outside the organisation: who received which categories, why,
    when, by whose hand (P12, P14, P16). An export to a processor or affiliate writes one per
    person exported, sharing a ``batch``. Erasure unlinks the row and keeps it under the
    inventory's ``processing_records`` hold: no longer tied to the person, it keeps only the
    recipient, categories, basis and (encrypted) reference, as held cases do."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disclosures",
    )
    recipient = models.CharField(max_length=60)  # a processor's or affiliate's key, or "authority"
    recipient_name = EncryptedTextField(blank=True)  # who, for an "authority" disclosure
    basis = models.CharField(max_length=20, choices=DisclosureBasis.choices)
    categories = models.JSONField(default=list)
    reference = EncryptedTextField(blank=True)  # the contract, order or request it answers
    batch = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=80)
    hold = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="disclosure_created")]

    def __str__(self):
        return f"disclosure {self.public_id}"
