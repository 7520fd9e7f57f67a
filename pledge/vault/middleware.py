"""Request ids for the audit log and log lines, and the staff session limits (SECURITY.md A7)."""

import secrets
import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.log import log_response

from pledge.logs import request_id_var as log_request_id_var
from pledge.vault.audit import request_id_var

LAST_SEEN = "staff_last_seen"
SIGNED_IN_AT = "staff_signed_in_at"
# The idle clock is written at most this often (a session write on every request would be a
# database write per page); settings.PLEDGE_STAFF_IDLE_MIN_SECONDS is twice this.
LAST_SEEN_EVERY = 30


class RequestIdMiddleware:
    """Gives each request an id that its audit entries carry and its response returns."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = secrets.token_hex(8)
        token = request_id_var.set(request.id)
        log_token = log_request_id_var.set(request.id)  # JSON log lines carry it (pledge/logs.py)
        try:
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs a 4xx or 5xx answer after the last middleware has returned, when
                # the id is no longer set; logged here with the same words, its line carries
                # the id, and Django's own call skips a response already logged.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
        finally:
            log_request_id_var.reset(log_token)
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = request.id
        return response


class StaffSessionMiddleware:
    """Ends a staff session after 30 minutes idle or 12 hours in all, whichever comes first.

    Django's own session lasts two weeks; staff sessions open personal data, so they get the
    limits of SECURITY.md A7. The clock is kept in the session, so it holds across workers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            if (
                now - last_seen > settings.PLEDGE_STAFF_IDLE_SECONDS
                or now - signed_in_at > settings.PLEDGE_STAFF_SESSION_SECONDS
            ):
                logout(request)
                request.session["staff_session_expired"] = True
            elif now - last_seen >= LAST_SEEN_EVERY or LAST_SEEN not in session:
                session[LAST_SEEN] = now
        return self.get_response(request)
