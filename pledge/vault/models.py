"""The audit log, and the permissions that staff roles are made of."""

import uuid

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One thing that happened, chained to the entry before it by a keyed hash (P22).

    Entries name objects by type and id and never hold personal values, so erasing a person
    leaves the chain intact and reveals nothing. ``sequence`` has no gaps: a deleted entry
    shows as a missing number, an edited one as a hash that no longer matches its contents,
    an inserted one as a broken link to its predecessor. ``hash`` is an HMAC under the key
    named by ``key_id`` (pledge/vault/audit.py), so recomputing it takes the key ring, not
    only the database.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who acted (vault.actors.Actor.label), as text that survives the account: "staff:alice",
    # "person:<link id>", "visitor:form", "system:cases.remind".
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The ring key whose audit key sealed ``hash``; "" for entries written before seals, whose
    # hash is plain SHA-256 (they may only precede the first sealed entry).
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["sequence"]
        indexes = [
            # The person page and the privacy officer look up an object's history.
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The one row holding the chain's last sequence and hash.

    Appending locks this row (SELECT ... FOR UPDATE), so concurrent writers queue instead of
    forking the chain; the verifier also checks that the last entry is the one recorded here,
    so deleting entries from the end shows too.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self):
        return f"head #{self.sequence}"


class Access(models.Model):
    """Holds the permissions staff roles are built from (pledge/vault/access.py); no rows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_person", "See a person's personal data"),
            ("view_all_leads", "See and assign every lead, not only one's own"),
            ("work_own_leads", "Work the leads and meetings assigned to oneself"),
            ("view_aggregates", "See aggregate statistics"),
            ("manage_lists", "Manage mailing lists and campaigns"),
            ("read_feedback", "Read visitor feedback"),
            ("read_mailbox", "Read the service mailbox"),
            ("manage_cases", "Work data-subject requests and complaints"),
            ("view_disclosures", "See and record disclosures"),
            ("view_audit_log", "See and verify the audit log"),
            ("manage_staff", "Create staff accounts and give roles"),
            ("export_people", "Export many people's data at once"),
            ("import_people", "Import people from files"),
            ("manage_assessments", "Write impact assessments of processings (PIPL Art. 55)"),
        ]

    def __str__(self):
        return "access"


class LimitCounter(models.Model):
    """One rate-limit counter or claim when Redis is not configured (pledge/vault/limits.py).

    ``key`` is a keyed hash and a window (C4: never an address or an email). A row past
    ``expires`` counts for nothing and is deleted by the periodic job; live rows are never
    deleted, whatever their number, unlike Django's database cache, which culls live keys.
    """

    key = models.CharField(primary_key=True, max_length=200)
    expires = models.FloatField()  # Unix time, as the limiters' windows are counted
    count = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["expires"], name="limit_counter_expires")]

    def __str__(self):
        return f"{self.key}: {self.count}"
