"""People and organisations: who Pledge holds personal data about."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import BlindIndexField, EncryptedTextField
from pledge.vault.keys import normalise_email, normalise_phone


class Source(models.TextChoices):
    """Where a record came from (P06, P07); shown in the timeline and the access export."""

    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("Email")
    IMPORT = "import", _("Import")
    SOCIAL = "social", _("Social media")
    STAFF = "staff", _("Entered by staff")


class Organization(models.Model):
    """A company people belong to; do-not-contact can cover all of it (P01)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    domain = models.CharField(max_length=253, blank=True, db_index=True)
    # Its public networks as CIDR strings (from public registries), for P15's identification.
    networks = models.JSONField(default=list, blank=True)
    do_not_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~models.Q(domain=""), name="organization_domain_unique"
            )
        ]

    def __str__(self):
        return self.name or self.domain


class Person(models.Model):
    """Someone Pledge holds personal data about. Every personal value is encrypted at rest."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email_index = BlindIndexField(source="email", normalise=normalise_email)
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    language = models.CharField(max_length=10, default="zh-hans")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB_FORM)
    # The policy version in force when Pledge first held data about this person (P23).
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    do_not_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The console's people list: newest first, a page at a time.
            models.Index(fields=["created_at", "id"], name="person_created"),
        ]

    def __str__(self):
        return str(self.public_id)

    def after_key_rotation(self):
        """Name tokens are keyed too: rebuild them under the new primary key."""
        from pledge.people.services import person_name_tokens_refresh

        person_name_tokens_refresh(self)


class PersonNameToken(models.Model):
    """One blind-indexed search token of a person, so staff can search them (P22): a whole
    token of their name (32 hex characters), or the 16-bit digest of a fragment of their name
    or email (4 hex characters, ``people/search.py``)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_tokens")
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [
            # A search looks a digest up, then only among the people other digests found.
            models.Index(fields=["digest", "person"], name="person_name_token_person"),
        ]

    def __str__(self):
        return f"{self.person_id}:{self.digest[:8]}"


class ConsentMethod(models.TextChoices):
    FORM = "form", _("Checkbox on a form")
    FORM_SUBMISSION = "form_submission", _("Sending a form, after its notice")
    DOUBLE_OPT_IN = "double_opt_in", _("Confirmed by an emailed link")
    BANNER = "banner", _("Cookie banner")
    PORTAL = "portal", _("Privacy portal")
    GUARDIAN = "guardian", _("Confirmed by a guardian")
    STAFF = "staff", _("Recorded by staff")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link in an email")
    PREFERENCES = "preferences", _("Email preferences page")
    EMAIL = "email", _("By email to the service mailbox")


class Consent(models.Model):
    """One consent given or withdrawn, as proof: who, what, the exact words shown, when (P17).

    Append-only: the current state of a subject is its latest row. ``subject`` is a declared
    data use (``marketing.communications.email``) or a mailing list (``list:newsletter``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    subject = models.CharField(max_length=120)
    granted = models.BooleanField()
    text = models.TextField()  # the exact words shown, in the language shown
    text_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=10)
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    form = models.CharField(max_length=40, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "subject", "created_at"], name="consent_person_subject")
        ]

    def __str__(self):
        return f"{self.subject} {'granted' if self.granted else 'withdrawn'}"


class Account(models.Model):
    """A visitor's account for the pages that need registration (P05, P09).

    The login is the person's email, found by blind index; the Django user behind it holds no
    personal value (a random username, no email), so the auth tables stay free of plaintext.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="account")
    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="visitor_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"account {self.person_id}"


class Provenance(models.Model):
    """Where a person's data came from, each time it came (P06, P07): source, basis, when.

    ``source`` is a declared collection point or other source of the inventory (``demo``,
    ``third_parties`` ...); ``batch`` names the import it came in, if any.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="provenance")
    kind = models.CharField(max_length=20, choices=Source.choices)
    source = models.CharField(max_length=60)
    legal_basis = models.CharField(max_length=30)
    batch = models.UUIDField(null=True, blank=True)
    notice_due = models.DateField(null=True, blank=True)  # the notice owed to the person
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind}:{self.source}"


class OptOutKind(models.TextChoices):
    """What a person, or a whole organisation, asked the organisation not to do."""

    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")  # P01
    AFFILIATE_SHARING = "affiliate_sharing", _("No sharing with affiliates")  # P14
    ORGANIZATION_IDENTIFICATION = (
        "organisation_identification",
        _("No organisation identification"),
    )  # P15


class OptOutChannel(models.TextChoices):
    PORTAL = "portal", _("Privacy portal")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    STAFF = "staff", _("Entered by staff")
    GUARDIAN = "guardian", _("A parent or guardian")
    ERASURE = "erasure", _("Kept from before an erasure")


class OptOut(models.Model):
    """One opt-out (P01, P14, P15) of a person, or of a whole organisation, with who and when.

    It stands while ``lifted_at`` is empty; lifting it keeps the row as the record. An
    organisation's opt-out names the person who asked (``requested_by``), which erasing that
    person clears while the opt-out stands. ``Person.do_not_contact`` and
    ``Organization.do_not_contact`` mirror the standing do-not-contact rows for quick checks.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=30, choices=OptOutKind.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="opt_outs"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="opt_outs"
    )
    requested_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=OptOutChannel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            # Exactly one subject: a person, or an organisation.
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, organization__isnull=True)
                | models.Q(person__isnull=True, organization__isnull=False),
                name="opt_out_one_subject",
            ),
        ]
        indexes = [
            # "Has this person / organisation opted out of X?" on every outbound path.
            models.Index(fields=["person", "kind"], name="opt_out_person_kind"),
            models.Index(fields=["organization", "kind"], name="opt_out_organization_kind"),
        ]

    def __str__(self):
        return f"{self.kind} {'lifted' if self.lifted_at else 'standing'}"


class Tombstone(models.Model):
    """What stays of an erased person: a keyed fingerprint of their address, nothing else.

    ``digest`` is an HMAC of the normalised email under the key ring (it cannot be turned back
    into the address). Imports consult it so an erased person is not re-added from a list, and
    the opt-outs that stood at erasure keep applying (the inventory's ``suppression`` hold). A
    new form the person sends later is a new, consented record (docs/personal-data.md).
    """

    digest = models.CharField(max_length=32, unique=True)
    opt_outs = models.JSONField(default=list, blank=True)
    erased = models.BooleanField(default=False)  # False: a do-not-contact request, no erasure
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"tombstone {self.digest[:8]}"


# --- Personal information protection impact assessments (PIPL Art. 55-56) ------------------


class AssessmentOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")


class ImpactAssessmentChanged(Exception):
    """An assessment was about to be rewritten: each edit is a new version instead."""


class ImpactAssessmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Only the processing's end may be written later (``assessments_ended_mark``).
        if set(kwargs) - {"processing_ended_at"}:
            raise ImpactAssessmentChanged("an impact assessment is never rewritten")
        return super().update(**kwargs)


class ImpactAssessment(models.Model):
    """One version of the impact assessment of one processing (``pledge.people.assessments``).

    ``processing`` is the key ``pledge.inventory.processings`` derives (``affiliate:group``,
    ``organisation_identification``...). Versions count 1, 2 ... per processing; a new one is a
    new row and earlier rows never change, except ``processing_ended_at``, set on every version
    once the processing is no longer declared: the ``processing_records`` legal hold keeps them
    three years from then (Art. 56). Records about a processing, no one's personal data.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    processing = models.CharField(max_length=200)
    # The processing's name in each language when assessed, to name it after it has ended.
    processing_names = models.JSONField(default=dict)
    version = models.PositiveIntegerField()
    assessed_on = models.DateField()
    scope = models.TextField()
    risks = models.TextField()
    measures = models.TextField()
    outcome = models.CharField(max_length=30, choices=AssessmentOutcome.choices)
    review_due = models.DateField()
    # What the inventory declared for the processing when assessed, and its SHA-256: an
    # assessment covers that declaration only.
    declaration = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)
    processing_ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)  # the actor's label
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImpactAssessmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["processing", "version"], name="impact_assessment_one_per_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="impact_assessment_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=AssessmentOutcome.values),
                name="impact_assessment_outcome_known",
            ),
            models.CheckConstraint(
                condition=models.Q(review_due__gt=models.F("assessed_on")),
                name="impact_assessment_review_after_assessment",
            ),
        ]

    def __str__(self):
        return f"{self.processing} v{self.version}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and set(update_fields or ()) != {"processing_ended_at"}:
            raise ImpactAssessmentChanged(
                f"{self} is recorded: write a new version instead of changing it"
            )
        super().save(*args, **kwargs)
