"""A browser's consent, read from its signed consent cookie and its privacy signals.

The consent cookie (declared ``consent``, strictly necessary) holds the browser's consent id,
the granted categories, the fingerprint of the cookie declarations it was given under and when,
signed with the site's key so it cannot be forged. Reading it needs no database: the beacon
path reads it for every event. Global Privacy Control (``Sec-GPC: 1``) and Do Not Track
(``DNT: 1``) are a refusal of analytics and marketing whatever the cookie says (P09).
"""

import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from django.core import signing
from django.http.cookie import parse_cookie

from pledge.tracking import declarations

SIGNING_SALT = "pledge.tracking.consent"
SIGNAL_REFUSES = frozenset({"analytics", "marketing"})
CATEGORY_LETTERS = {"preferences": "p", "analytics": "a", "marketing": "m"}
LETTER_CATEGORIES = {letter: category for category, letter in CATEGORY_LETTERS.items()}
TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Consent:
    """What this request may do. ``decided`` is False until a valid, current choice exists."""

    consent_id: str = ""
    granted: frozenset = frozenset()
    decided: bool = False
    privacy_signal: bool = False

    def allows(self, category: str) -> bool:
        if category == "necessary":
            return True
        if self.privacy_signal and category in SIGNAL_REFUSES:
            return False
        return self.decided and category in self.granted

    @property
    def asks(self) -> bool:
        """Whether the banner must ask: no current choice, and a signal does not settle it."""
        if self.decided:
            return False
        choosable = set(declarations.choosable_categories())
        return not (self.privacy_signal and choosable <= SIGNAL_REFUSES)


def new_token() -> str:
    """A random id for a consent or a returning visitor: 128 bits, hex."""
    return secrets.token_hex(16)


def encode(consent_id: str, granted, *, issued: int | None = None) -> str:
    letters = "".join(sorted(CATEGORY_LETTERS[c] for c in granted if c in CATEGORY_LETTERS))
    issued = int(time.time()) if issued is None else issued
    payload = f"{consent_id}.{letters or '-'}.{declarations.cookie_declarations_hash()}.{issued}"
    return signing.Signer(salt=SIGNING_SALT).sign(payload)


@lru_cache(maxsize=8192)
def _decode(value: str, declarations_hash: str) -> tuple[str, frozenset] | None:
    """(consent id, granted) of a valid cookie value under today's declarations, else None.

    Cached by value: the same browser sends the same cookie with every beacon event.
    """
    try:
        payload = signing.Signer(salt=SIGNING_SALT).unsign(value)
        consent_id, letters, given_under, _issued = payload.split(".")
    except (signing.BadSignature, ValueError):
        return None
    if not TOKEN.match(consent_id) or given_under != declarations_hash:
        return None  # asked again when the cookie declarations change (DESIGN.md)
    granted = frozenset(
        LETTER_CATEGORIES[letter] for letter in letters if letter in LETTER_CATEGORIES
    )
    return consent_id, granted


def privacy_signal(meta) -> bool:
    """Sec-GPC: 1 or DNT: 1, when the inventory says to honour it."""
    if not declarations.consent_settings().honour_global_privacy_control:
        return False
    return meta.get("HTTP_SEC_GPC", "").strip() == "1" or meta.get("HTTP_DNT", "").strip() == "1"


def consent_from_cookies(cookies: dict, meta) -> Consent:
    signal = privacy_signal(meta)
    value = cookies.get(declarations.cookie("consent").name, "")
    decoded = _decode(value, declarations.cookie_declarations_hash()) if value else None
    if decoded is None:
        return Consent(privacy_signal=signal)
    consent_id, granted = decoded
    return Consent(consent_id=consent_id, granted=granted, decided=True, privacy_signal=signal)


def consent_for(request) -> Consent:
    """The consent of a Django request (cached on it)."""
    consent = getattr(request, "_pledge_consent", None)
    if consent is None:
        consent = consent_from_cookies(request.COOKIES, request.META)
        request._pledge_consent = consent
    return consent


def consent_from_environ(environ) -> tuple[Consent, dict]:
    """The consent of a raw WSGI request, and its cookies (the beacon path)."""
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    return consent_from_cookies(cookies, environ), cookies


def visitor_key_from(cookies: dict, consent: Consent) -> str:
    """The returning-visitor cookie, honoured only with analytics consent (P09)."""
    if not consent.allows("analytics"):
        return ""
    value = cookies.get(declarations.cookie("visitor").name, "")
    return value if TOKEN.match(value) else ""
