"""What the inventory declares about cookies, consent and the request log, read in one place.

Everything in ``tracking`` that depends on the site's declarations (which cookies exist and in
which category, how long a choice is kept, which request fields are logged and how the IP is
kept) asks this module, and only this module. The inventory (``pledge.inventory``) is being
built on its own branch; until it lands, this module answers with a stand-in holding Gonex's
declarations in the inventory's own shape (attribute names of ``pledge.inventory.schema``), so
switching to ``current_inventory()`` is a change to this file alone.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import get_language

COOKIE_CATEGORIES = ("necessary", "preferences", "analytics", "marketing")
# Categories a visitor chooses; "necessary" needs no consent.
CHOOSABLE_CATEGORIES = COOKIE_CATEGORIES[1:]


@dataclass(frozen=True)
class Text:
    """A declared text in every language of the site; ``str()`` gives the active one."""

    values: dict

    def get(self, language: str) -> str:
        return self.values.get(language) or self.values.get(settings.LANGUAGE_CODE, "")

    def __str__(self) -> str:
        return self.get(get_language() or settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class Cookie:
    key: str
    category: str
    description: Text
    set_when: Text
    declared_name: str | None = None
    name_setting: str | None = None
    lifetime_days: int | None = None
    lifetime_setting: str | None = None
    browser_session: bool = False
    first_party: bool = True
    purposes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        if self.name_setting:
            return getattr(settings, self.name_setting)
        return self.declared_name or ""

    @property
    def lifetime_seconds(self) -> int | None:
        if self.browser_session:
            return None
        if self.lifetime_setting:
            return int(getattr(settings, self.lifetime_setting))
        return (self.lifetime_days or 0) * 86400

    @property
    def needs_consent(self) -> bool:
        return self.category != "necessary"


@dataclass(frozen=True)
class ConsentSettings:
    accepted_days: int
    refused_days: int
    honour_global_privacy_control: bool
    cookie: str


@dataclass(frozen=True)
class RequestLog:
    fields: dict
    ip_mode: str  # full | truncated | hashed
    ipv4_prefix: int
    ipv6_prefix: int
    retention_days: int
    purposes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitCounting:
    fields: tuple[str, ...]
    salt_rotation_hours: int = 24
    salt_kept_hours: int = 48
    purposes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declarations:
    domain: str
    cookies: dict = field(default_factory=dict)
    consent: ConsentSettings | None = None
    request_log: RequestLog | None = None
    visit_counting: VisitCounting | None = None


def _t(zh: str, en: str) -> Text:
    return Text({"zh-hans": zh, "en": en})


# --- Stand-in: Gonex's declarations (sites/gonex/inventory.toml on the inventory branch) ----
STAND_IN = Declarations(
    domain="letsgonex.cn",
    cookies={
        "session": Cookie(
            key="session",
            name_setting="SESSION_COOKIE_NAME",
            lifetime_setting="SESSION_COOKIE_AGE",
            category="necessary",
            purposes=("essential.service.authentication",),
            description=_t(
                "在您登录或提交表单期间保持您的会话。",
                "Keeps your session while you are signed in or sending a form.",
            ),
            set_when=_t(
                "仅在需要它的页面上设置:登录、帐户和表单页面。",
                "Only on the pages that need it: sign-in, account and form pages.",
            ),
        ),
        "csrf": Cookie(
            key="csrf",
            name_setting="CSRF_COOKIE_NAME",
            lifetime_setting="CSRF_COOKIE_AGE",
            category="necessary",
            purposes=("essential.service.security",),
            description=_t(
                "防止其他网站冒用您的名义提交表单。",
                "Stops other sites from sending forms in your name.",
            ),
            set_when=_t("仅在包含表单的页面上设置。", "Only on pages with a form."),
        ),
        "consent": Cookie(
            key="consent",
            declared_name="pledge_consent",
            lifetime_days=365,
            category="necessary",
            purposes=("functional.storage.privacy_preferences",),
            description=_t(
                "记住您接受或拒绝了哪些 Cookie,以免每次都询问您。",
                "Remembers which cookies you accepted or refused, so we do not ask you every time.",
            ),
            set_when=_t(
                "在您做出选择时设置;拒绝的选择保存时间较短。",
                "When you make your choice; a refusal is kept for a shorter time.",
            ),
        ),
        "visitor": Cookie(
            key="visitor",
            declared_name="pledge_visitor",
            lifetime_days=365,
            category="analytics",
            purposes=("analytics.reporting.content_performance",),
            description=_t(
                "识别您是否曾经访问过本网站,以便统计回访。",
                "Recognises you as a returning visitor, to count return visits.",
            ),
            set_when=_t(
                "仅在您同意分析类 Cookie 后设置。", "Only after you accept analytics cookies."
            ),
        ),
        "arrival": Cookie(
            key="arrival",
            declared_name="pledge_arrival",
            browser_session=True,
            category="marketing",
            purposes=("analytics.reporting.campaign_insights",),
            description=_t(
                "记录您是否通过推广或联盟链接到达本网站。",
                "Records whether you arrived through a promotional or affiliate link.",
            ),
            set_when=_t(
                "仅在您同意营销类 Cookie 后、通过此类链接到达时设置。",
                "Only after you accept marketing cookies, when you arrive through such a link.",
            ),
        ),
    },
    consent=ConsentSettings(
        accepted_days=365, refused_days=180, honour_global_privacy_control=True, cookie="consent"
    ),
    request_log=RequestLog(
        fields={
            key: key
            for key in (
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
        },
        ip_mode="truncated",
        ipv4_prefix=24,
        ipv6_prefix=48,
        retention_days=180,
        purposes=("essential.service.security", "analytics.reporting.content_performance"),
    ),
    visit_counting=VisitCounting(
        fields=(
            "time",
            "path",
            "referrer_domain",
            "browser_family",
            "os_family",
            "device_class",
            "language",
        ),
        salt_rotation_hours=24,
        salt_kept_hours=48,
        purposes=("analytics.reporting.content_performance",),
    ),
)


def _declarations() -> Declarations:
    return STAND_IN


# --- What the rest of tracking calls ----------------------------------------------------------


def site_domain() -> str:
    """The site's domain name: part of the anonymous visitor hash (one count per site)."""
    return _declarations().domain


def cookies() -> tuple[Cookie, ...]:
    """Every declared cookie."""
    return tuple(_declarations().cookies.values())


def cookie(key: str) -> Cookie:
    """The cookie declared under ``key`` (``consent``, ``visitor``, ``arrival`` ...)."""
    return _declarations().cookies[key]


def cookies_by_category() -> dict[str, tuple[Cookie, ...]]:
    """Every category in order, each with its cookies (possibly none)."""
    return {
        category: tuple(c for c in cookies() if c.category == category)
        for category in COOKIE_CATEGORIES
    }


def choosable_categories() -> tuple[str, ...]:
    """The categories the banner asks about: those not necessary that declare a cookie."""
    grouped = cookies_by_category()
    return tuple(category for category in CHOOSABLE_CATEGORIES if grouped[category])


def consent_settings() -> ConsentSettings:
    return _declarations().consent


def request_log() -> RequestLog:
    return _declarations().request_log


def visit_counting() -> VisitCounting:
    return _declarations().visit_counting


def cookie_declarations_hash() -> str:
    """A fingerprint of the cookie declarations: a choice made under others is asked again."""
    content = [
        [c.key, c.name, c.category, c.lifetime_seconds, list(c.purposes)]
        for c in sorted(cookies(), key=lambda c: c.key)
    ]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def policy_version_number() -> int | None:
    """The number of the published policy version in force, or None before the first one."""
    return None
