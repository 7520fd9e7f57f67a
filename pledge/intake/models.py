"""What the site's forms collect: submissions, files, feedback kept apart, pending minors."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import EncryptedJSONField, EncryptedTextField


class GuardianState(models.TextChoices):
    """P19: where an age band is asked, what a guardian did."""

    NOT_ASKED = "not_asked", _("Not asked")
    ADULT = "adult", _("Adult")
    INVOLVED = "involved", _("Minor, with a guardian involved")
    CONFIRMED = "confirmed", _("Minor, a guardian confirmed by email")


class Submission(models.Model):
    """One form sent by a visitor, linked to the person it created or updated.

    ``answers`` holds the declared fields only (P04), encrypted as one document; the policy
    version in force and the source are stamped on it (P06, P07, P23).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.CharField(max_length=40)
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="submissions"
    )
    answers = EncryptedJSONField(default=dict)
    language = models.CharField(max_length=10)
    source = models.CharField(max_length=20, default="web_form")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    attribution = models.JSONField(default=dict, blank=True)
    guardian = models.CharField(
        max_length=12, choices=GuardianState.choices, default=GuardianState.NOT_ASKED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["form", "created_at"], name="submission_form_created")]

    def __str__(self):
        return f"{self.form} {self.public_id}"


class StoredFile(models.Model):
    """An uploaded file, encrypted on disk under a random name (SECURITY.md I8)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    field = models.CharField(max_length=40)
    original_name = EncryptedTextField()
    mimetype = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.public_id)


class Feedback(models.Model):
    """Feedback on the software, support, service or site: never linked to a person (P20)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    answers = EncryptedJSONField(default=dict)
    language = models.CharField(max_length=10)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.public_id)


class FeedbackReplyAddress(models.Model):
    """An optional address to answer feedback, kept apart and deleted after a short time (P20).

    It points to the feedback it answers and to nothing else: no person, no blind index.
    """

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="reply_to")
    email = EncryptedTextField()
    delete_after = models.DateTimeField()

    def __str__(self):
        return f"reply for {self.feedback_id}"


class GuardianPending(models.Model):
    """A minor's submission waiting for a guardian's confirmation (P19, PIPL Art. 31).

    Nothing reaches the person tables until the guardian follows the emailed link; until then
    everything waits here encrypted, and is deleted unconfirmed at ``expires_at``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.CharField(max_length=40)
    payload = EncryptedJSONField()
    guardian_email = EncryptedTextField()
    language = models.CharField(max_length=10)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return str(self.public_id)


class BlockedCount(models.Model):
    """Refused submissions per day, form and reason: staff see counts, never contents."""

    day = models.DateField()
    form = models.CharField(max_length=40)
    reason = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "form", "reason"], name="blocked_count_unique")
        ]

    def __str__(self):
        return f"{self.day} {self.form} {self.reason}: {self.count}"


class ImportBatch(models.Model):
    """One imported file (P06): its checked rows (encrypted, dropped once imported) and progress."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=60)
    legal_basis = models.CharField(max_length=30)
    file_name = models.CharField(max_length=200, blank=True)
    rows = EncryptedJSONField(default=list)
    errors = models.JSONField(default=list)  # [line, what to fix]; no values from the file
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"import {self.public_id}"


class PendingUpload(models.Model):
    """A checked file from a form that failed validation, held so the visitor need not send it
    again (SECURITY.md I8: encrypted on disk like every upload).

    It belongs to no person yet: the page shown again carries a random token, of which only the
    hash is kept here, and the next post of the same form and field names it. It becomes the
    submission's file when that post is stored, and is deleted at ``expires_at`` otherwise.
    """

    form = models.CharField(max_length=40)
    field = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64, unique=True)
    original_name = EncryptedTextField()
    mimetype = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"pending {self.form}.{self.field}"
