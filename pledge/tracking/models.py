"""What tracking keeps: consent records, page views, the request log, salts and rollups.

Page views and request-log rows are written by the ingest writer (``ingest.py``) with one
batched INSERT per group commit, never by the ORM per request; their columns are exactly the
declared fields (P08, SECURITY.md P2). Consent records are proof: append-only, each pointing at
the exact banner text the visitor saw (DESIGN.md: "consent proof").
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentMethod(models.TextChoices):
    ACCEPT_ALL = "accept_all", _("Accepted all")
    REJECT_ALL = "reject_all", _("Refused all")
    CHOOSE = "choose", _("Chose by category")
    WITHDRAW = "withdraw", _("Withdrew consent")


class BannerText(models.Model):
    """The exact words of the consent banner as shown, once per version and language.

    A consent record points here, so the proof shows what the visitor read, not today's text.
    """

    hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=10)
    text = models.TextField()
    first_shown_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.language}:{self.hash[:12]}"


class ConsentRecord(models.Model):
    """One choice a browser made on the banner (P09): append-only proof of consent.

    ``consent_id`` is the random id kept in the consent cookie, the same for every choice that
    browser makes, so its history reads as a chain. ``visitor_key`` is the returning-visitor
    cookie given with analytics consent; stitching (P10) checks it here before linking visits.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consent_id = models.CharField(max_length=32)
    visitor_key = models.CharField(max_length=32, blank=True)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cookie_consents",
    )
    # Every choosable category, granted (true) or refused (false).
    choices = models.JSONField()
    method = models.CharField(max_length=12, choices=ConsentMethod.choices)
    banner_text = models.ForeignKey(BannerText, on_delete=models.PROTECT)
    declarations_hash = models.CharField(max_length=16)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=10)
    # The browser sent Global Privacy Control or Do Not Track: analytics and marketing stay off.
    privacy_signal = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            # A browser's history, and the proof page's lookup by its id.
            models.Index(fields=["consent_id", "created_at"], name="consent_browser_history"),
            # Stitching asks for the latest choice made with a visitor cookie.
            models.Index(fields=["visitor_key", "created_at"], name="consent_visitor_latest"),
        ]

    def __str__(self):
        return f"{self.consent_id} {self.method} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def granted(self) -> list[str]:
        return [category for category, given in self.choices.items() if given]

    @property
    def refused(self) -> list[str]:
        return [category for category, given in self.choices.items() if not given]


class Visitor(models.Model):
    """A returning-visitor cookie linked to a person by stitching (P10).

    Only exists once a consenting visitor submitted a form: anonymous visitors have no row.
    Their page views are found through ``key``; erasing the person removes the row and the
    page views with it.
    """

    key = models.CharField(max_length=32, unique=True)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="visitors")
    stitched_at = models.DateTimeField()

    def __str__(self):
        return self.key


class PageView(models.Model):
    """One page view counted by the beacon. Fields: the inventory's visit counting, no more.

    Without analytics consent ``visitor_hash`` is a salted daily hash (the salt is forgotten
    after 48 hours) and nothing else identifies the browser; with it, ``visitor_key`` holds the
    returning-visitor cookie. No IP address and no user agent are stored (P09, P03).
    """

    event_id = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField()
    path = models.CharField(max_length=500)
    referrer_domain = models.CharField(max_length=253, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    ref = models.CharField(max_length=100, blank=True)
    browser_family = models.CharField(max_length=50, blank=True)
    os_family = models.CharField(max_length=50, blank=True)
    device_class = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=35, blank=True)
    is_bot = models.BooleanField(default=False)
    visitor_hash = models.CharField(max_length=32, blank=True)
    visitor_key = models.CharField(max_length=32, blank=True)
    seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # Rollups and retention scan by time.
            models.Index(fields=["at"], name="pageview_at"),
            # A stitched visitor's earlier visits (P10).
            models.Index(fields=["visitor_key", "at"], name="pageview_visitor"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.path}"


class RequestLogEntry(models.Model):
    """One page request, with the declared fields only (P08); the IP kept as declared."""

    at = models.DateTimeField()
    path = models.CharField(max_length=500)
    referrer_domain = models.CharField(max_length=253, blank=True)
    browser_family = models.CharField(max_length=50, blank=True)
    browser_version = models.CharField(max_length=20, blank=True)
    os_family = models.CharField(max_length=50, blank=True)
    device_class = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=35, blank=True)
    # Truncated network ("203.0.113.0/24"), keyed hash ("h:..."), or the full address
    # encrypted under the key ring, as the inventory's request_log.ip_mode says.
    ip_address = models.CharField(max_length=200, blank=True)
    is_bot = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["at"], name="requestlog_at")]  # retention

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.path}"


class DailySalt(models.Model):
    """The random salt of one day's anonymous visitor hashes; deleted after 48 hours."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.day)


class RollupPeriod(models.TextChoices):
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")
    MONTH = "month", _("Month")  # the sums of a site month's day rows: long ranges read these


class Rollup(models.Model):
    """Page views and distinct visitors per period and dimension value (P15, aggregate only).

    Dashboards read these, never the raw page views. ``dimension`` is one of ``total``,
    ``page``, ``referrer``, ``browser``, ``language``, ``campaign``, ``device``; bots are left
    out. ``bounces`` counts the visitors whose only view of the period this was (a bounce);
    None in rows counted before bounces were, so no rate is made up for those days.
    """

    period = models.CharField(max_length=5, choices=RollupPeriod.choices)
    start = models.DateTimeField()
    dimension = models.CharField(max_length=10)
    value = models.CharField(max_length=500)
    views = models.PositiveIntegerField()
    visitors = models.PositiveIntegerField()
    seconds = models.PositiveBigIntegerField(default=0)
    bounces = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "dimension", "value"], name="rollup_unique"
            )
        ]
        indexes = [
            # The dashboard reads one period and dimension over a range of starts.
            models.Index(fields=["period", "dimension", "start"], name="rollup_read"),
        ]

    def __str__(self):
        return f"{self.period} {self.start:%Y-%m-%d %H:%M} {self.dimension}={self.value}"
