"""The beacon: page views and time on page, answered before Django's stack (the hot path).

``pledge/wsgi.py`` wraps Django in ``BeaconApplication``: requests for ``/beacon`` (the script's
POST) and ``/beacon.gif`` (the no-script pixel) are parsed, rate limited, reduced to the
declared fields and handed to the group-commit writer here, with no middleware, no URL
resolving and no database round trip of their own; everything else goes to Django. The answer
(204, or the pixel) is sent only after the event's batch is committed.

Parameters, all optional: ``k`` kind (``view`` or ``leave``), ``id`` the view's event id (16 to
32 of ``[0-9A-Za-z_-]``, chosen by the script so a retry is stored once), ``p`` the page's path
and query, ``r`` the page's referrer, ``l`` the browser's language, and for ``leave`` ``v`` the
view's id and ``s`` the seconds the page was visible. Anything else is ignored (SECURITY.md P2).
"""

import itertools
import os
import re
import secrets
import time
from types import SimpleNamespace
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils import timezone

from pledge.dates import site_date
from pledge.metrics import instruments
from pledge.tracking import events
from pledge.tracking.consent import consent_from_environ, visitor_key_from
from pledge.tracking.ingest import LEAVE, VIEW, ingest_writer
from pledge.tracking.ratelimit import beacon_limiter
from pledge.vault.access import client_ip
from pledge.vault.limits import StoreUnavailable, limited_address

BEACON_PATH = "/beacon"
PIXEL_PATH = "/beacon.gif"
MAX_BODY = 4096
MAX_SECONDS = 24 * 60 * 60
EVENT_ID = re.compile(r"^[0-9A-Za-z_-]{16,32}$")
# A transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
COMMON_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload")


_id_prefix = secrets.token_hex(4)  # this process; renewed after a fork (below)
_id_pid = os.getpid()
_id_counter = itertools.count()


def new_event_id() -> str:
    """32 hex digits: milliseconds since 1970, then 80 bits unique to this process and event.

    Time first (like UUIDv7), so page views enter the event-id index at its end: a commit of
    hundreds of events touches a few index pages instead of one random page each (measured:
    7x cheaper commits on SQLite). beacon.js makes its ids the same way, with random bits.
    The rest is a random per-process prefix and a counter: unique without asking the
    kernel for randomness on every event.
    """
    global _id_prefix, _id_pid
    if _id_pid != os.getpid():
        _id_prefix, _id_pid = secrets.token_hex(4), os.getpid()
    return (
        f"{time.time_ns() // 1_000_000:012x}{_id_prefix}{next(_id_counter) & 0xFFFFFFFFFFFF:012x}"
    )


def is_https(environ) -> bool:
    if environ.get("wsgi.url_scheme") == "https":
        return True
    return bool(settings.PLEDGE_PROXY_COUNT) and (
        environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower() == "https"
    )


def respond(start_response, status: str, body: bytes = b"", content_type: str = "", headers=()):
    headers = [*COMMON_HEADERS, *headers]
    if settings.PRODUCTION:
        headers.append(HSTS)
    if content_type:
        headers.append(("Content-Type", content_type))
    if not status.startswith("204"):
        headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


def refuse(start_response, status: str, text: str, *, reason: str):
    """Answer ``status`` with ``text``, counted under ``reason`` (pledge_beacon_refused_total)."""
    instruments().beacon_refused.labels(reason).inc()
    return respond(start_response, status, text.encode(), "text/plain; charset=utf-8")


def read_parameters(environ, pixel: bool) -> dict | None:
    if pixel:
        query = environ.get("QUERY_STRING", "")
    else:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length > MAX_BODY:
            return None
        query = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
    return dict(parse_qsl(query[:MAX_BODY]))


def view_event(parameters: dict, environ) -> tuple:
    """The declared fields of one page view (SECURITY.md P2): nothing else leaves here."""
    consent, cookies = consent_from_environ(environ)
    user_agent = environ.get("HTTP_USER_AGENT", "")
    browser, _version, os_family, device, is_bot = events.device_of(user_agent)
    path, campaign = events.path_and_campaign(parameters.get("p") or "/")
    visitor_key = visitor_key_from(cookies, consent)
    now = timezone.now()
    anonymous = (
        ""
        if visitor_key
        else events.visitor_hash(
            site_date(now), client_ip(SimpleNamespace(META=environ)), user_agent
        )
    )
    event_id = parameters.get("id", "")
    return (
        event_id if EVENT_ID.match(event_id) else new_event_id(),
        now,
        path,
        events.referrer_domain(parameters.get("r", ""), environ.get("HTTP_HOST", "")),
        campaign.get("utm_source", ""),
        campaign.get("utm_medium", ""),
        campaign.get("utm_campaign", ""),
        campaign.get("utm_term", ""),
        campaign.get("utm_content", ""),
        campaign.get("ref", ""),
        browser,
        os_family,
        device,
        events.language_of(parameters.get("l") or environ.get("HTTP_ACCEPT_LANGUAGE", "")),
        is_bot,
        anonymous,
        visitor_key,
    )


def leave_event(parameters: dict) -> tuple | None:
    view_id = parameters.get("v", "")
    try:
        seconds = max(0, min(int(parameters.get("s", "")), MAX_SECONDS))
    except ValueError:
        return None
    if not EVENT_ID.match(view_id):
        return None
    return (seconds, view_id, seconds)


def beacon(environ, start_response):
    pixel = environ.get("PATH_INFO") == PIXEL_PATH
    if settings.PRODUCTION and not is_https(environ):
        return refuse(
            start_response, "403 Forbidden", "The beacon answers HTTPS only.", reason="https"
        )  # H3
    method = environ.get("REQUEST_METHOD", "")
    if method != ("GET" if pixel else "POST"):
        return refuse(
            start_response, "405 Method Not Allowed", "Method not allowed.", reason="method"
        )
    # Counted before the body is parsed: an address over its limit costs no more (B3).
    try:
        address = limited_address(client_ip(SimpleNamespace(META=environ)))
        allowed = beacon_limiter().allow(address)
    except StoreUnavailable:
        return refuse(
            start_response, "503 Service Unavailable", "Try again later.", reason="limits_store"
        )  # B4
    if not allowed:
        return refuse(
            start_response, "429 Too Many Requests", "Too many events.", reason="rate_limit"
        )  # B3
    parameters = read_parameters(environ, pixel)
    if parameters is None:
        return refuse(start_response, "413 Content Too Large", "Too large.", reason="too_large")
    if parameters.get("k", VIEW) == LEAVE:
        kind, values = LEAVE, leave_event(parameters)
        if values is None:
            return refuse(start_response, "400 Bad Request", "Bad event.", reason="bad_event")
    else:
        kind, values = VIEW, view_event(parameters, environ)
    if not ingest_writer().write(kind, values):
        return refuse(
            start_response, "503 Service Unavailable", "Try again later.", reason="not_stored"
        )
    # Stored, and counted by the writer with its commit (pledge_beacon_events_total, ingest.py).
    if pixel:
        return respond(start_response, "200 OK", PIXEL, "image/gif")
    return respond(start_response, "204 No Content")


class BeaconApplication:
    """Answers the beacon's two paths itself; hands every other request to Django."""

    def __init__(self, django_application):
        self.django_application = django_application

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in (BEACON_PATH, PIXEL_PATH):
            return beacon(environ, start_response)
        return self.django_application(environ, start_response)
