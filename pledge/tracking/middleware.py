"""Per page request: the request log (P08), the arrival cookie (P09), cookies consent removed.

Runs inside Django for pages (the beacon never reaches it). It writes nothing itself: the
request-log row joins the ingest writer's next group commit, so a page costs no extra
database round trip. Cookies of a category the browser does not (or no longer) allow are
deleted on the way out, so withdrawing consent, a GPC signal or a change of the cookie
declarations takes effect on the next page.
"""

from django.conf import settings
from django.utils import timezone

from pledge.logs import redact
from pledge.tracking import declarations, events
from pledge.tracking.consent import consent_for
from pledge.tracking.ingest import REQUEST, ingest_writer
from pledge.tracking.services import arrival_cookie_value
from pledge.vault.access import client_ip

# Machines' addresses (pledge/health.py) are no page views, wherever they are answered.
NOT_LOGGED_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")


def logged(request, response) -> bool:
    """Page views of the public site: HTML answers to GET, not staff pages or static files."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path.startswith(NOT_LOGGED_PREFIXES):
        return False
    match = getattr(request, "resolver_match", None)
    if match is not None and "console" in match.namespaces:
        return False  # staff pages have the audit log; their addresses name people (C4)
    return response.get("Content-Type", "").startswith("text/html")


def request_log_values(request) -> tuple:
    """The declared request fields, and only those (P08)."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    browser, version, os_family, device, is_bot = events.device_of(user_agent)
    return (
        timezone.now(),
        redact(request.path)[: events.MAX_PATH],
        events.referrer_domain(request.META.get("HTTP_REFERER", ""), request.get_host()),
        browser,
        version,
        os_family,
        device,
        events.language_of(request.META.get("HTTP_ACCEPT_LANGUAGE", "")),
        events.ip_kept(client_ip(request)),
        is_bot,
    )


class TrackingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        consent = consent_for(request)
        for cookie in declarations.cookies():
            present = cookie.needs_consent and cookie.name in request.COOKIES
            if present and not consent.allows(cookie.category):
                response.delete_cookie(cookie.name, samesite="Lax")
        if logged(request, response):
            ingest_writer().submit(REQUEST, request_log_values(request))
            self.keep_arrival(request, response, consent)
        return response

    def keep_arrival(self, request, response, consent) -> None:
        """Arrival through a promotional or affiliate link, in a browser-session cookie (P09)."""
        if not consent.allows("marketing"):
            return
        path, campaign = events.path_and_campaign(request.get_full_path())
        if not campaign:
            return
        response.set_cookie(
            declarations.cookie("arrival").name,
            arrival_cookie_value(campaign, path),
            max_age=declarations.cookie("arrival").lifetime_seconds,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
