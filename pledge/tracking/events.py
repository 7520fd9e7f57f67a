"""Turning a raw request into the declared fields, and nothing else (P08, SECURITY.md P2).

Paths lose their query string except ``ref``, ``source`` and ``utm_*``; a referrer becomes its
domain; a user agent becomes browser family and version, OS, device class and a bot flag
(crawlerdetect marks bots, they are kept and left out of the rollups); an IP address is
truncated, hashed or kept as the inventory says, before anything is stored.
"""

import hashlib
import ipaddress
import os
import re
import threading
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from crawlerdetect import CrawlerDetect
from django.utils.translation import pgettext_lazy
from user_agents import parse as parse_user_agent

from pledge.logs import redact
from pledge.tracking import declarations
from pledge.vault.keys import current_ring

MAX_PATH = 500
MAX_VALUE = 100
CAMPAIGN_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref")
LANGUAGE = re.compile(r"^[a-z]{1,8}(-[a-z0-9]{1,8}){0,2}$")
HOST = re.compile(r"^[a-z0-9.-]{1,253}$")
IP_CONTEXT = "tracking.RequestLogEntry.ip_address"

_crawler_detect = threading.local()

# The device classes ``device_of`` gives, as people read them (the dashboard's devices table).
DEVICE_LABELS = {
    "computer": pgettext_lazy("device", "Computer"),
    "phone": pgettext_lazy("device", "Phone"),
    "tablet": pgettext_lazy("device", "Tablet"),
    "bot": pgettext_lazy("device", "Bot"),
    "other": pgettext_lazy("device", "Other"),
}


def path_and_campaign(url: str) -> tuple[str, dict]:
    """The path of ``url`` and its campaign parameters; every other query parameter dropped."""
    parts = urlsplit(url[:2000])
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    campaign = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        key = key.lower()
        if key == "source":
            key = "utm_source"
        if key in CAMPAIGN_KEYS and key not in campaign:
            campaign[key] = value.strip()[:MAX_VALUE]
    # An emailed link's secret (booking, guardian, portal) never lands in the log (C4).
    return redact(path)[:MAX_PATH], campaign


def referrer_domain(referrer: str, own_host: str = "") -> str:
    """The referring site's host name; "" for none, for this site itself, or for nonsense."""
    if not referrer:
        return ""
    try:
        host = (urlsplit(referrer[:2000]).hostname or "").lower()
    except ValueError:
        return ""
    own = own_host.split(":")[0].lower()
    if not host or host == own or not HOST.match(host):
        return ""
    return host


def language_of(value: str) -> str:
    """The first language tag of a navigator.language or Accept-Language value."""
    tag = value.split(",")[0].split(";")[0].strip().lower().replace("_", "-")
    return tag if LANGUAGE.match(tag) else ""


def _crawler() -> CrawlerDetect:
    detector = getattr(_crawler_detect, "detector", None)
    if detector is None:
        detector = _crawler_detect.detector = CrawlerDetect()
    return detector


def parsers_warm() -> None:
    """Build the user-agent and crawler patterns now, once, at start-up: built lazily, the
    first burst after a restart had every waiting thread building them at once (two tenths
    of a second each, under the GIL)."""
    device_of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36")
    _crawler().isCrawler("warm-up")


@lru_cache(maxsize=4096)
def device_of(user_agent: str) -> tuple[str, str, str, str, bool]:
    """(browser family, browser version, OS family, device class, is bot) of a user agent.

    Cached: a site sees few distinct user agents, and parsing one costs far more than a lookup.
    """
    if not user_agent.strip():
        return "", "", "", "other", True  # scripts, not browsers, send none
    parsed = parse_user_agent(user_agent[:1000])
    is_bot = parsed.is_bot or _crawler().isCrawler(user_agent[:1000])
    if is_bot:
        device = "bot"
    elif parsed.is_tablet:
        device = "tablet"
    elif parsed.is_mobile:
        device = "phone"
    elif parsed.is_pc:
        device = "computer"
    else:
        device = "other"
    version = ".".join(str(part) for part in parsed.browser.version[:2])
    return (
        parsed.browser.family[:50],
        version[:20],
        parsed.os.family[:50],
        device,
        bool(is_bot),
    )


def ip_kept(ip: str) -> str:
    """The IP address as the inventory says to keep it: truncated, keyed hash, or full.

    A full address is personal data: it is stored encrypted under the key ring (C1).
    """
    log = declarations.request_log()
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if log.ip_mode == "truncated":
        prefix = log.ipv4_prefix if address.version == 4 else log.ipv6_prefix
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    if log.ip_mode == "hashed":
        return "h:" + current_ring().digest(str(address), context=IP_CONTEXT)
    return current_ring().encrypt(str(address), context=IP_CONTEXT)


def ip_shown(value: str) -> str:
    """What a stored IP value says, for the person's export (decrypts a full address)."""
    if value.startswith("pl1."):
        return current_ring().decrypt(value, context=IP_CONTEXT)
    return value


# --- Anonymous counting: a salted daily hash, the salt forgotten after 48 hours ------------

_salts: dict[date, bytes] = {}
_salts_lock = threading.Lock()


def salt_for(day: date) -> bytes:
    """The random salt of ``day``, shared by every process through the database.

    Read once per process and day; created by whichever process needs it first.
    """
    salt = _salts.get(day)
    if salt is not None:
        return salt
    with _salts_lock:
        salt = _salts.get(day)
        if salt is None:
            salt = _salt_load_or_create(day)
            for old in [known for known in _salts if known < day]:
                del _salts[old]  # forget yesterday's salt in memory too
            _salts[day] = salt
    return salt


def _salt_load_or_create(day: date) -> bytes:
    from django.db import IntegrityError, connection, transaction

    from pledge.tracking.models import DailySalt

    try:
        found = DailySalt.objects.filter(day=day).values_list("salt", flat=True).first()
        if found is None:
            try:
                with transaction.atomic():
                    DailySalt.objects.create(day=day, salt=os.urandom(16))
            except IntegrityError:
                pass  # another process created it first
            found = DailySalt.objects.values_list("salt", flat=True).get(day=day)
        return bytes(found)
    finally:
        if not connection.in_atomic_block:
            connection.close()  # the beacon's threads keep no database connection


def salts_cache_clear() -> None:
    with _salts_lock:
        _salts.clear()


def visitor_hash(day: date, ip: str, user_agent: str) -> str:
    """Plausible's daily visitor id: hash(salt of the day, site, IP, user agent).

    The IP and the user agent are inputs only, never stored; once the day's salt is deleted
    the id can never be computed again.
    """
    message = f"{declarations.site_domain()}\x00{ip}\x00{user_agent}".encode()
    return hashlib.blake2b(message, key=salt_for(day), digest_size=16).hexdigest()
