"""The shape of ``inventory.toml``: what may be declared, each entry typed and described.

These frozen pydantic models check the shape (names, types, allowed values); the rules that
relate entries to each other and to fideslang's taxonomy live in ``rules.py``. Every field's
``description`` is also the fix shown when it is missing or wrong, so write it for the person
editing the file. Collections are keyed TOML tables (``[forms.demo.fields.email]``), so every
entry has a stable dotted name that errors and other apps use.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses
from itertools import pairwise
from types import MappingProxyType
from typing import Annotated, Any, Literal

from django.utils.translation import gettext
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from pledge.inventory.text import LocalizedText

COOKIE_CATEGORIES = ("necessary", "preferences", "analytics", "marketing")
LEGAL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_interest",
    "legitimate_interests",
)
WIDGETS = (
    "text",
    "email",
    "phone",
    "textarea",
    "choice",
    "select",
    "multichoice",
    "checkbox",
    "file",
    "password",
    "datetime_preferences",
    "age_band",
    "mailing_lists",
)
CHOICE_WIDGETS = ("choice", "select", "multichoice")
# When a retention period starts: each is an event ``pledge purge`` can find in the data
# (``pledge.people.retention``), so the policy never states a period nothing enforces.
RETENTION_STARTS = (
    "collection",
    "last_contact",
    "withdrawal",
    "account_closure",
    "completion",
    "processing_end",
)
# What the request log can record (P08), in the order tracking writes its columns
# (``tracking.declarations.REQUEST_LOG_COLUMNS``).
REQUEST_LOG_FIELDS = (
    "time",
    "path",
    "referrer_domain",
    "browser_family",
    "browser_version",
    "os_family",
    "device_class",
    "language",
    "ip_address",
)
IP_MODES = ("full", "truncated", "hashed")


def _freeze(value: Mapping) -> Mapping:
    return MappingProxyType(dict(value))


class Declaration(BaseModel):
    """Base of every entry: frozen, unknown keys refused, keyed children told their key."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _tell_children_their_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra or {}
            value = data.get(info.alias or name)
            if extra.get("keyed") and isinstance(value, dict):
                data[info.alias or name] = {
                    key: ({**child, "key": key} if isinstance(child, dict) else child)
                    for key, child in value.items()
                }
        return data


def keyed(description: str, **options) -> Any:
    """The Field of a TOML table of entries keyed by name (see Declaration)."""
    return Field(description=description, json_schema_extra={"keyed": True}, **options)


def Keyed(model):  # capitalised: it reads as a type in annotations
    """A mapping of ``model`` entries by key, frozen after validation."""
    return Annotated[Mapping[str, model], AfterValidator(_freeze)]


Key = Annotated[str, Field(description="the entry's name (its TOML table key)")]
UseKeys = Annotated[
    tuple[str, ...],
    Field(
        description="one or more data uses (fideslang keys declared under [uses]), "
        'e.g. purposes = ["sales"]'
    ),
]
CategoryKeys = Annotated[
    tuple[str, ...],
    Field(
        description='fideslang data categories declared under [data_categories], e.g. ["user.name"]'
    ),
]


class ProtectionOfficer(Declaration):
    """The personal information protection officer (PIPL Art. 52), as the policy names them."""

    name: LocalizedText | None = Field(
        None, description="the officer's name or title, in every language (optional)"
    )
    contact: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description='the email address that reaches the officer, e.g. "dpo@example.com"',
    )


class Organization(Declaration):
    name: LocalizedText = Field(
        description='the organisation\'s name, e.g. { zh-hans = "Gonex", en = "Gonex" }'
    )
    legal_name: LocalizedText | None = Field(
        None,
        description="the legal entity's registered name, in every language (PIPL Art. 17: "
        "the policy names the handler)",
    )
    domain: str = Field(description='the site\'s domain name, e.g. "letsgonex.cn"')
    service_mailbox: str = Field(
        description='the address for questions and requests, e.g. "service@letsgonex.com"'
    )
    postal_address: LocalizedText | None = Field(
        None, description="the postal address for written requests, in every language"
    )
    country: str = Field("CN", description='the two-letter country code, e.g. "CN"')
    protection_officer: ProtectionOfficer | None = Field(
        None,
        description="the personal information protection officer (PIPL Art. 52): a table with "
        'contact = "dpo@example.com" and, optionally, name = { zh-hans = "…", en = "…" }',
    )


class DataCategory(Declaration):
    key: Key
    name: LocalizedText = Field(
        description="how the policy names this kind of data, in every language"
    )
    extension: bool = Field(
        False,
        description="true only for a category fideslang does not define, "
        "placed under an existing parent",
    )
    sensitive: bool = Field(
        False,
        description="true for sensitive personal information (PIPL Art. 28): a form collects "
        'it only with its own consent box, consent_subject = "sensitive:<this key>" (Art. 29)',
    )


class DataUse(Declaration):
    key: Key
    name: LocalizedText = Field(description="how the policy names this purpose, in every language")
    legal_basis: Literal[LEGAL_BASES] = Field(
        description="why the law allows it: " + ", ".join(LEGAL_BASES)
    )
    extension: bool = Field(False, description="true only for a use fideslang does not define")


class Choice(Declaration):
    value: str = Field(description='the value stored, e.g. "online"')
    label: LocalizedText = Field(description="what the visitor reads, in every language")
    description: LocalizedText | None = Field(
        None,
        description="a sentence about it, in every language (the careers page shows each "
        "open position's)",
    )


class FormField(Declaration):
    key: Key
    label: LocalizedText = Field(description="the field's label, in every language")
    help: LocalizedText | None = Field(None, description="a short help text, in every language")
    category: str = Field(description='the fideslang data category, e.g. "user.contact.email"')
    required: bool = Field(description="true if the visitor must fill it in, false if optional")
    purposes: UseKeys
    retention_days: int = Field(description="how many days it is kept, a whole number above 0")
    retention_from: Literal[RETENTION_STARTS] = Field(
        "collection", description="when the retention period starts: " + ", ".join(RETENTION_STARTS)
    )
    widget: Literal[WIDGETS] | None = Field(
        None, description="how it is asked: " + ", ".join(WIDGETS)
    )
    max_length: int | None = Field(None, description="the longest answer accepted, in characters")
    choices: tuple[Choice, ...] = Field(
        (), description='the options, e.g. [{ value = "online", label = {...} }]'
    )
    consent: bool = Field(
        False, description="true if this checkbox records a consent (never pre-ticked, P17)"
    )
    consent_text: LocalizedText | None = Field(
        None, description="the exact words the visitor agrees to"
    )
    consent_subject: str | None = Field(
        None,
        description="what a consent box is consent to, when not its purposes: a use "
        '("sales"), sharing with an affiliate ("share:<affiliate>", PIPL Art. 23), a recipient '
        'abroad ("abroad:<processor or affiliate>", Art. 39) or a sensitive category '
        '("sensitive:<category>", Art. 29)',
    )
    checked: bool = Field(False, description="true to show a box ticked; never for a consent (P17)")
    accept: tuple[str, ...] = Field((), description='file types accepted, e.g. [".pdf", ".docx"]')
    max_bytes: int | None = Field(None, description="the largest file accepted, in bytes")
    kept_apart: bool = Field(
        False, description="true if stored apart from the person's record (P20)"
    )

    @property
    def consent_subjects(self) -> tuple[str, ...]:
        """What ticking this consent box is consent to: its ``consent_subject``, else its
        purposes (a box asking for none is no consent)."""
        if not self.consent:
            return ()
        return (self.consent_subject,) if self.consent_subject else self.purposes


class Collection(Declaration):
    """A form of the site, or another channel personal data arrives through (the mailbox)."""

    key: Key
    name: LocalizedText = Field(description="the form's title, in every language")
    description: LocalizedText = Field(description="what the form is for, in every language")
    subjects: tuple[str, ...] = Field(description='fideslang data subjects, e.g. ["prospect"]')
    links_to_person: bool = Field(
        True, description="false if answers are never linked to a person (P20)"
    )
    at_least_one_of: tuple[str, ...] = Field(
        (), description="field keys of which one must be filled"
    )
    request_purposes: UseKeys = Field(
        (),
        description="what sending the form is consent to: answering the request itself, e.g. "
        '["essential.service.operations.support"] (PIPL Art. 14); every other purpose that '
        "needs consent is asked with its own box",
    )
    fields: Keyed(FormField) = keyed("the fields, each a table [forms.<form>.fields.<field>]")

    def field(self, key: str) -> FormField:
        return self.fields[key]

    @property
    def field_list(self) -> tuple[FormField, ...]:
        return tuple(self.fields.values())

    @property
    def consent_fields(self) -> tuple[FormField, ...]:
        return tuple(field for field in self.fields.values() if field.consent)

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(use for f in self.fields.values() for use in f.purposes))

    @property
    def asks_age(self) -> bool:
        return any(field.widget == "age_band" for field in self.fields.values())


class Cookie(Declaration):
    key: Key
    declared_name: str | None = Field(
        None, alias="name", description='the cookie\'s name, e.g. "pledge_consent"'
    )
    name_setting: str | None = Field(
        None, description='the Django setting holding the name, e.g. "SESSION_COOKIE_NAME"'
    )
    category: Literal[COOKIE_CATEGORIES] = Field(
        description="one of " + ", ".join(COOKIE_CATEGORIES)
    )
    purposes: UseKeys
    description: LocalizedText = Field(description="what the cookie does, in every language")
    set_when: LocalizedText = Field(description="when the site sets it, in every language")
    lifetime_days: int | None = Field(
        None, description="how many days it lasts, a whole number above 0"
    )
    lifetime_setting: str | None = Field(
        None, description="the Django setting holding its age in seconds"
    )
    browser_session: bool = Field(
        False, description="true if it is deleted when the browser closes"
    )
    first_party: bool = Field(True, description="true if set by the site itself")
    categories: CategoryKeys = ()

    @property
    def name(self) -> str:
        """The name the running settings give it (``__Host-session`` in production)."""
        if self.name_setting:
            from django.conf import settings

            return getattr(settings, self.name_setting)
        return self.declared_name or ""

    @property
    def lifetime_seconds(self) -> int | None:
        """Seconds it lasts, or None for a browser-session cookie."""
        from django.conf import settings

        if self.browser_session:
            return None
        if self.lifetime_setting:
            if self.lifetime_setting == "SESSION_COOKIE_AGE" and getattr(
                settings, "SESSION_EXPIRE_AT_BROWSER_CLOSE", False
            ):
                return None
            return int(getattr(settings, self.lifetime_setting))
        return (self.lifetime_days or 0) * 86400

    @property
    def needs_consent(self) -> bool:
        return self.category != "necessary"


class ConsentSettings(Declaration):
    accepted_days: int = Field(description="how many days an acceptance is remembered (about 365)")
    refused_days: int = Field(description="how many days a refusal is remembered (shorter)")
    honour_global_privacy_control: bool = Field(True, description="true to treat GPC as a refusal")
    cookie: str = Field(description='the key of the cookie that keeps the choice, e.g. "consent"')


class RequestLogField(Declaration):
    key: Key
    label: LocalizedText = Field(description="what the policy calls it, in every language")
    category: str = Field(description='the fideslang data category, e.g. "user.device.ip_address"')


class RequestLog(Declaration):
    fields: Keyed(RequestLogField) = keyed(
        "the recorded request fields: " + ", ".join(REQUEST_LOG_FIELDS)
    )
    ip_mode: Literal[IP_MODES] = Field(
        description="how the IP address is kept: " + ", ".join(IP_MODES)
    )
    ipv4_prefix: int = Field(24, description="bits of an IPv4 address kept when truncated")
    ipv6_prefix: int = Field(48, description="bits of an IPv6 address kept when truncated")
    retention_days: int = Field(
        description="how many days log rows are kept, a whole number above 0"
    )
    purposes: UseKeys


class VisitCounting(Declaration):
    fields: tuple[str, ...] = Field(description="request-log fields the anonymous counter uses")
    salt_rotation_hours: int = Field(24, description="hours between new random salts")
    salt_kept_hours: int = Field(48, description="hours before an old salt is deleted")
    purposes: UseKeys


class Recipient(Declaration):
    """A processor (P12) or an affiliate (P14): who may receive which data, for what."""

    key: Key
    name: LocalizedText = Field(description="who they are, in every language")
    function: LocalizedText = Field(
        description="what they do for the organisation, in every language"
    )
    purposes: UseKeys
    categories: CategoryKeys
    contract: str = Field("", description="the contract reference, for staff")
    country: str = Field("CN", description="where they process the data, a two-letter code")
    opt_out_right: str | None = Field(
        None, description="the key of the right that opts a person out"
    )


class MailingList(Declaration):
    key: Key
    name: LocalizedText = Field(description="the list's name, in every language")
    description: LocalizedText = Field(description="what it sends, in every language")
    kind: Literal["marketing", "service"] = Field(
        description="marketing (opt-in) or service (notices)"
    )
    purposes: UseKeys
    double_opt_in: bool = Field(description="true if a subscription is confirmed by email first")


class RightsChannel(Declaration):
    key: Key
    kind: Literal["email", "post", "web", "email_link"] = Field(
        description="email, post, web or email_link"
    )
    name: LocalizedText = Field(description="how to use it, in every language")
    address: str = Field("", description="the email address or page address, if any")


class Right(Declaration):
    key: Key
    name: LocalizedText = Field(description="the right's name, in every language")
    description: LocalizedText = Field(description="what it lets a person do, in every language")
    channels: tuple[str, ...] = Field(description="keys of [rights.channels] that accept it")
    promise: str = Field("", description='the promise it keeps, e.g. "P18"')
    scopes: tuple[Literal["person", "organisation"], ...] = Field(
        ("person",), description='who it covers: ["person"] or ["person", "organisation"]'
    )
    deadline_days: int | None = Field(
        None, description="its own deadline in days, if not the default"
    )


class Rights(Declaration):
    deadline_days: int = Field(description="days to answer a request (30 under GB/T 35273-2020)")
    deadline_basis: LocalizedText = Field(
        description="where the deadline comes from, in every language"
    )
    channels: Keyed(RightsChannel) = keyed("the ways to make a request")
    requests: Keyed(Right) = keyed("the rights a person has")

    def right(self, key: str) -> Right:
        return self.requests[key]

    def deadline_for(self, key: str) -> int:
        return self.requests[key].deadline_days or self.deadline_days


class AgeThreshold(Declaration):
    key: Key
    age: int = Field(description="the age in years below which the rule applies")
    rule: Literal["guardian_consent", "guardian_involvement"] = Field(
        description="guardian_consent (nothing kept until a guardian agrees) "
        "or guardian_involvement"
    )
    source: LocalizedText = Field(description="the law or clause it comes from, in every language")


@dataclass(frozen=True)
class AgeBand:
    """An answer to "how old are you?", derived from the thresholds (P19)."""

    key: str
    low: int  # youngest age in the band
    high: int | None  # oldest age in the band; None for "and over"
    rules: tuple[str, ...]  # rules of every threshold above the band

    @property
    def label(self) -> str:
        if self.low == 0:
            return gettext("Under %(age)d") % {"age": self.high + 1}
        if self.high is None:
            return gettext("%(age)d or over") % {"age": self.low}
        if self.high == self.low:
            return gettext("%(age)d years old") % {"age": self.low}
        return gettext("%(low)d to %(high)d") % {"low": self.low, "high": self.high}

    @property
    def needs_guardian_consent(self) -> bool:
        """Nothing is kept until a guardian confirms (P19; PIPL Art. 31 under 14)."""
        return "guardian_consent" in self.rules

    @property
    def needs_guardian_involvement(self) -> bool:
        return "guardian_involvement" in self.rules


class Minors(Declaration):
    sells_to_minors: bool = Field(False, description="true only if products are sold to minors")
    thresholds: Keyed(AgeThreshold) = keyed("the age thresholds (13, 14, 18)")

    @property
    def age_bands(self) -> tuple[AgeBand, ...]:
        """The bands a form's age question offers, youngest first."""
        ages = sorted({threshold.age for threshold in self.thresholds.values()})
        if not ages:
            return ()
        bounds = [(0, ages[0] - 1)]
        bounds += [(low, high - 1) for low, high in pairwise(ages)]
        bounds.append((ages[-1], None))
        bands = []
        for low, high in bounds:
            if low == 0:
                key = f"under_{high + 1}"
            elif high is None:
                key = f"{low}_and_over"
            elif high == low:
                key = f"age_{low}"
            else:
                key = f"{low}_to_{high}"
            rules = tuple(
                dict.fromkeys(
                    threshold.rule
                    for threshold in sorted(self.thresholds.values(), key=lambda t: t.age)
                    if high is not None and high < threshold.age
                )
            )
            bands.append(AgeBand(key=key, low=low, high=high, rules=rules))
        return tuple(bands)

    def age_band(self, key: str) -> AgeBand:
        return next(band for band in self.age_bands if band.key == key)


class LegalHold(Declaration):
    key: Key
    records: LocalizedText = Field(description="what is kept after erasure, in every language")
    reason: LocalizedText = Field(description="why the law requires it, in every language")
    law: LocalizedText = Field(description="the law and article, in every language")
    categories: CategoryKeys
    days: int | None = Field(None, description="how many days it is kept, a whole number above 0")
    kept_while: LocalizedText | None = Field(
        None, description="how long it is kept, if not in days"
    )


class RetentionPeriod(Declaration):
    """How long one kind of record is kept: what the policy's retention table says and what
    ``pledge purge`` enforces (``pledge.people.retention``). Form answers are declared on each
    form field instead; the request log in ``[request_log]``."""

    key: Key
    records: LocalizedText = Field(description="the records, as the policy names them")
    days: int | None = Field(
        None, description="how many days they are kept after the event, a whole number above 0"
    )
    starts: Literal[RETENTION_STARTS] = Field(
        "collection",
        alias="from",
        description="the event the days count from: " + ", ".join(RETENTION_STARTS),
    )
    hold: str | None = Field(
        None,
        description="the key of a [legal_holds.<key>] whose period applies instead of days",
    )


class OtherSource(Declaration):
    key: Key
    name: LocalizedText = Field(description="where the data comes from, in every language")
    description: LocalizedText = Field(description="what is received and how, in every language")
    categories: CategoryKeys
    purposes: UseKeys
    notice_within_days: int | None = Field(None, description="days to notify the person (P06)")


class OrganizationIdentification(Declaration):
    enabled: bool = Field(description="true if visitors' organisations are identified (P15)")
    # Only what pledge.tracking.identification does: the policy cannot promise another method.
    methods: tuple[Literal["declared_ip_ranges"], ...] = Field(
        description='how: ["declared_ip_ranges"] (each organisation\'s public networks)'
    )
    purposes: UseKeys
    categories: CategoryKeys
    opt_out_right: str = Field(description="the key of the right that stops it")


class Inventory(Declaration):
    """Everything the site declares. Read it through ``current_inventory()``."""

    schema_version: Literal[1] = Field(alias="schema", description="the file format version: 1")
    # The file keeps its tables' names (the published policies are fingerprinted over them).
    organization: Organization = Field(alias="organisation")
    data_categories: Keyed(DataCategory) = keyed("names of the data kinds used")
    uses: Keyed(DataUse) = keyed("the purposes, each with its legal basis")
    forms: Keyed(Collection) = keyed("the site's forms")
    channels: Keyed(Collection) = keyed(
        "other channels, such as the mailbox", default_factory=dict, validate_default=True
    )
    cookies: Keyed(Cookie) = keyed("every cookie the site sets")
    consent: ConsentSettings
    request_log: RequestLog
    visit_counting: VisitCounting
    processors: Keyed(Recipient) = keyed(
        "processors acting for the organisation (P12)", default_factory=dict, validate_default=True
    )
    affiliates: Keyed(Recipient) = keyed(
        "subsidiaries and affiliates (P14)", default_factory=dict, validate_default=True
    )
    mailing_lists: Keyed(MailingList) = keyed("newsletters and notices")
    rights: Rights
    minors: Minors
    legal_holds: Keyed(LegalHold) = keyed(
        "what the law requires to keep after erasure", default_factory=dict, validate_default=True
    )
    retention: Keyed(RetentionPeriod) = keyed(
        "how long each kind of record is kept", default_factory=dict, validate_default=True
    )
    other_sources: Keyed(OtherSource) = keyed(
        "where else personal data comes from", default_factory=dict, validate_default=True
    )
    organization_identification: OrganizationIdentification = Field(
        alias="organisation_identification"
    )

    # --- Lookups other apps use -------------------------------------------------------------

    def form(self, key: str) -> Collection:
        """The form declared as ``[forms.<key>]``; KeyError if there is none."""
        return self.forms[key]

    def channel(self, key: str) -> Collection:
        """A non-form channel, such as ``mailto``."""
        return self.channels[key]

    @property
    def collection_points(self) -> tuple[Collection, ...]:
        """Every form, then every other channel: all the ways personal data is collected."""
        return (*self.forms.values(), *self.channels.values())

    def cookie(self, key: str) -> Cookie:
        return self.cookies[key]

    def cookies_by_category(self) -> dict[str, tuple[Cookie, ...]]:
        """Cookies grouped by category, in the order necessary, preferences, analytics, marketing.

        Every category appears, possibly with no cookies, so a page can say "none".
        """
        return {
            category: tuple(c for c in self.cookies.values() if c.category == category)
            for category in COOKIE_CATEGORIES
        }

    def use(self, key: str) -> DataUse:
        return self.uses[key]

    def category(self, key: str) -> DataCategory:
        return self.data_categories[key]

    def processor(self, key: str) -> Recipient:
        return self.processors[key]

    def affiliate(self, key: str) -> Recipient:
        return self.affiliates[key]

    def mailing_list(self, key: str) -> MailingList:
        return self.mailing_lists[key]

    def retention_days(self, key: str) -> int | None:
        """The days ``[retention.<key>]`` keeps its records after their event (its legal hold's,
        if it names one); None while they are kept with no end (a hold's ``kept_while``)."""
        period = self.retention[key]
        if period.hold:
            return self.legal_holds[period.hold].days
        return period.days

    def legal_hold(self, key: str) -> LegalHold:
        return self.legal_holds[key]


# --- site.toml: what the site's pages and emails say about the organisation ------------------


SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
IMAGE_FILE = r"^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.(?:svg|webp|png|jpg|jpeg)$"
# The filing numbers every website served in mainland China shows in its footer: the ICP
# filing (MIIT, e.g. 沪ICP备12345678号-1, or an ICP licence 沪ICP证123456号) and the public
# security filing (MPS, e.g. 沪公网安备31010402000001号, fourteen digits). Empty: not shown.
ICP_FILING = r"^(?:|[\u4e00-\u9fff]ICP[备证]\d{4,12}号(?:-\d{1,3})?)$"
PUBLIC_SECURITY_FILING = r"^(?:|[\u4e00-\u9fff]公网安备 ?\d{14}号)$"


class Image(Declaration):
    """A picture of the site's own, served from its static/ folder (no other host, P21)."""

    file: str = Field(
        pattern=IMAGE_FILE,
        description='a file name in the site\'s static/ folder, e.g. "service-desk.svg" '
        "(SVG, WebP, PNG or JPEG)",
    )
    alt: LocalizedText = Field(
        description="what the picture shows, for people who cannot see it, in every language"
    )
    width: int = Field(
        gt=0, le=4000, description="its width in CSS pixels, e.g. 480 (the page keeps its place)"
    )
    height: int = Field(
        gt=0, le=4000, description="its height in CSS pixels, e.g. 320 (the page keeps its place)"
    )


class Offering(Declaration):
    """A product or a service, with its own page (/products/<key>/ or /services/<key>/)."""

    key: Annotated[
        str,
        Field(
            pattern=SLUG,
            description='its address, small letters, digits and hyphens, e.g. "service-desk"',
        ),
    ]
    kind: Literal["product", "service"] = Field(description='"product" or "service"')
    title: LocalizedText = Field(description="its name, the page's heading, in every language")
    summary: LocalizedText = Field(
        description="one or two sentences: its card on the home page and the page's description "
        "for search engines, in every language"
    )
    body: tuple[LocalizedText, ...] = Field(
        min_length=1,
        description='the page\'s paragraphs, e.g. body = [{ zh-hans = "…", en = "…" }]',
    )
    image: Image = Field(description="its illustration: a table with file, alt, width, height")


class Story(Declaration):
    """A customer story, told of a kind of customer: no invented names or figures."""

    customer: LocalizedText = Field(
        description='the kind of customer, e.g. { zh-hans = "一家区域物流公司", '
        'en = "A regional logistics company" }'
    )
    sector: LocalizedText = Field(description="the customer's sector, in every language")
    challenge: LocalizedText = Field(description="what they needed, in every language")
    result: LocalizedText = Field(description="what changed for them, in every language")
    offerings: tuple[str, ...] = Field(
        (), description='the offerings it tells of, by key, e.g. ["service-desk"]'
    )
    image: Image | None = Field(None, description="an illustration (optional)")


class StoriesPage(Declaration):
    description: LocalizedText = Field(
        description="the stories page's description for search engines, in every language"
    )
    intro: LocalizedText = Field(description="the sentence before the stories")
    items: tuple[Story, ...] = Field(
        min_length=1, description="the stories, each [[stories.items]]"
    )


class AboutPage(Declaration):
    description: LocalizedText = Field(
        description="the about page's description for search engines, in every language"
    )
    body: tuple[LocalizedText, ...] = Field(
        min_length=1, description="the page's paragraphs, in every language"
    )
    image: Image | None = Field(None, description="an illustration (optional)")


class HomePage(Declaration):
    title: LocalizedText = Field(
        description="the home page's heading (also its title), in every language"
    )
    lead: LocalizedText = Field(
        description="the sentence under the heading, what the organisation does, in every language"
    )
    description: LocalizedText = Field(
        description="the home page's description for search engines, in every language"
    )
    image: Image | None = Field(None, description="the picture beside the heading (optional)")
    note: LocalizedText | None = Field(
        None, description="a sentence under the cards (partnerships...), in every language"
    )


class CareersPage(Declaration):
    description: LocalizedText = Field(
        description="the careers page's description for search engines, in every language"
    )
    intro: LocalizedText = Field(
        description="the sentence before the open positions (those are the choices of the "
        "job application's position field, in inventory.toml)"
    )


class Colours(Declaration):
    brand: str = Field(
        pattern=r"^#[0-9a-fA-F]{6}$",
        description='the brand colour of the emails\' heading, e.g. "#0f5c4d" '
        "(the pages take theirs from static/site.css)",
    )


class SiteDownload(Declaration):
    key: Key
    title: LocalizedText = Field(description="the document's title, in every language")
    description: LocalizedText = Field(description="what the document is, in every language")


def mail_sender(value: str) -> str:
    """A From header: one name and one address, quoted as mail servers read it."""
    found = getaddresses([value])
    if "\n" in value or "\r" in value or len(found) != 1 or "@" not in found[0][1]:
        raise ValueError(f'{value!r} is not a sender such as "Name <mail@example.com>"')
    name, address = found[0]
    return str(Address(display_name=name, addr_spec=address))


class SiteProfile(Declaration):
    """``site.toml``: the public pages' and emails' own words, beyond the policy.

    The organisation's names, domain and mailbox stay in ``inventory.toml`` (the policy
    names them too); this file holds only what the policy never shows, so editing it never
    asks for a new policy version.
    """

    schema_version: Literal[1] = Field(alias="schema", description="the file format version: 1")
    legal_name: LocalizedText | None = Field(
        None,
        description="the legal entity, if not the organisation's name, in every language "
        "(shown in the footer)",
    )
    sender: Annotated[str, AfterValidator(mail_sender)] | None = Field(
        None,
        description='the From of the site\'s emails, e.g. "Gonex <service@letsgonex.com>" '
        "(default: the organisation's name and service mailbox)",
    )
    icp_filing: str = Field(
        "",
        pattern=ICP_FILING,
        description='the ICP filing number as issued, e.g. "沪ICP备12345678号-1", shown in '
        "the footer (empty: none shown)",
    )
    public_security_filing: str = Field(
        "",
        pattern=PUBLIC_SECURITY_FILING,
        description='the public security filing number as issued, e.g. "沪公网安备31010402000001号", '
        "shown in the footer (empty: none shown)",
    )
    colours: Colours
    home: HomePage
    careers: CareersPage
    offerings: Keyed(Offering) = keyed(
        "the products and services, each [offerings.<key>] with its own page",
        min_length=1,
    )
    stories: StoriesPage
    about: AboutPage
    downloads: Keyed(SiteDownload) = keyed(
        'documents for registered visitors, each [downloads."<file name in downloads/>"]',
        default_factory=dict,
        validate_default=True,
    )
