"""Leads, experts, their availability, and the meetings booked with them (P25)."""

import uuid
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pledge.vault.fields import EncryptedTextField

ZONES = sorted(zoneinfo.available_timezones())
BUFFER_MAX_MINUTES = 120
NOTICE_MAX_HOURS = 720


class Expert(models.Model):
    """A sales expert: who they serve (forms, inquiry types, languages) and where they meet."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert"
    )
    display_name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    languages = models.JSONField(default=list)  # ["zh-hans", "en"]
    forms = models.JSONField(default=list)  # ["demo", "interest", "contact"]
    inquiry_types = models.JSONField(default=list, blank=True)  # contact form's; empty = all
    meeting_link = models.URLField(blank=True)  # their online meeting room
    office_address = models.TextField(blank=True)  # where they meet in person
    active = models.BooleanField(default=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    # Free minutes kept before and after each of their meetings: no slot is offered inside.
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    # How long ahead a visitor must book: no slot starts sooner than this many hours from now.
    notice_hours = models.PositiveSmallIntegerField(default=12)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(buffer_minutes__lte=BUFFER_MAX_MINUTES),
                name="expert_buffer_range",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_hours__lte=NOTICE_MAX_HOURS),
                name="expert_notice_range",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def language(self) -> str:
        """The language the expert is written to in: the first they serve, else the site's."""
        return (self.languages or [settings.LANGUAGE_CODE])[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Availability(models.Model):
    """A weekly window, in the expert's own time zone, when demos may be booked."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="window_order"
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOffKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    DAY_OFF = "day_off", _("Day off")


class TimeOff(models.Model):
    """An exception to the weekly windows: days (in the expert's zone, both ends included) on
    which no demo is booked, or only the hours from ``start`` to ``end`` of each of them."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="time_off")
    kind = models.CharField(max_length=12, choices=TimeOffKind.choices, default=TimeOffKind.DAY_OFF)
    first_day = models.DateField()
    last_day = models.DateField()
    start = models.TimeField(null=True, blank=True)  # both empty: the whole day
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_day", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="time_off_days"
            ),
            models.CheckConstraint(
                condition=models.Q(start__isnull=True, end__isnull=True)
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="time_off_hours",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.first_day}-{self.last_day}"


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    CLOSED = "closed", _("Closed")


class Lead(models.Model):
    """A submission the sales team works: its owner, status and notes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.OneToOneField(
        "intake.Submission", on_delete=models.CASCADE, related_name="lead"
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="leads")
    form = models.CharField(max_length=40)
    language = models.CharField(max_length=10)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    owner = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The secret of the visitor's booking link is never stored; only its hash.
    booking_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The inbox: an expert's open leads, newest first; the unassigned queue.
            models.Index(fields=["owner", "status", "created_at"], name="lead_owner_status"),
            # The inbox of all leads (view_all_leads), newest first, filtered or not.
            models.Index(fields=["created_at", "id"], name="lead_created"),
        ]

    def __str__(self):
        return f"{self.form} lead {self.public_id}"


class LeadNote(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"note on {self.lead_id}"


class MeetingMode(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")


class MeetingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    """A booked demo. ``sequence`` grows with each reschedule, as iCalendar requires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="meetings")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    mode = models.CharField(max_length=12, choices=MeetingMode.choices)
    location = EncryptedTextField(blank=True)  # the meeting link or the address
    status = models.CharField(
        max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.BOOKED
    )
    sequence = models.PositiveIntegerField(default=0)
    # The IANA zone the visitor chose the time in (empty: unknown, read as the site's), so the
    # expert sees both zones and later emails read in the visitor's.
    visitor_timezone = models.CharField(max_length=64, blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # No double booking: one booked meeting per expert and start time, whatever races.
            models.UniqueConstraint(
                fields=["expert", "starts_at"],
                condition=models.Q(status="booked"),
                name="meeting_expert_slot_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="meeting_status_start")]

    def __str__(self):
        return f"meeting {self.public_id}"
