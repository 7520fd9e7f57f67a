"""Request bodies: refused over their cap before a byte is read, and read by few threads at once.

Every request passes here before the beacon and Django (``pledge/wsgi.py``). A body whose
``Content-Length`` is over its cap is answered 413 at once, so a 300 MB upload is neither read
nor spooled to disk (SECURITY.md I7). The cap is the largest legitimate body: for the public
site, the largest file a form declares in the inventory (the CV) plus Django's limit on form
data; for the console's CSV import, its file plus the same; for the beacon, its own 4 KB. A
body sent in chunks, without a length, is refused (411).

A body that fits is read here, whole, then handed on in memory. Why here: granian (2.8) reads a
WSGI body in Rust with no time limit, and a thread blocked in ``wsgi.input.read`` cannot be
interrupted. Reading in a helper thread and answering 408 when a deadline passes was tried and
measured: granian then stalls the whole worker until the slow client goes away. So the deadline
belongs in front, to nginx (``client_body_timeout``, ``deploy/nginx-pledge.conf``), which reads
every body before Pledge sees it; and here, without nginx, only some of a worker's threads may
wait on a body at a time. Once slow clients hold those, every further body is answered 503 at
once, and the other threads keep serving pages (docs/architecture.md, "Request bodies").
"""

import io
import threading
import time

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pledge.console.views.imports import MAX_UPLOAD as CONSOLE_UPLOAD_MAX
from pledge.inventory.loader import current_inventory
from pledge.tracking.beacon import BEACON_PATH, PIXEL_PATH, respond
from pledge.tracking.beacon import MAX_BODY as BEACON_BODY_MAX

# The one console page that takes a large body: the CSV import's upload.
CONSOLE_IMPORT_PATHS = ("/console/import/", "/en/console/import/")
# Web threads of a worker kept for requests without a body (pages, the pixel) whatever the
# bodies do; the others may read bodies.
THREADS_RESERVED = 2
RETRY_SECONDS = 10
# How long a body may wait for a permit while permits are being given back. Under load they
# turn over in milliseconds (a thread that has read its body may wait for the interpreter lock
# a few times 5 ms before it lets go): refusing at once there turned away about one beacon
# event in a thousand at 64 connections. When none came back for this long, slow clients hold
# them, and a body is refused at once: waiting would only take threads from the pages.
PERMIT_WAIT_SECONDS = 0.1
BAD_LENGTH = _("The request's length is not valid.")
LENGTH_REQUIRED = _("Send the request with its length (Content-Length), not in chunks.")
TOO_LARGE = _("This request is too large.")
BUSY = _("The site is busy. Please try again in a minute.")


def declared_file_max() -> int:
    """The largest file any form of the inventory accepts, in bytes."""
    return max(
        (
            field.max_bytes or 0
            for form in current_inventory().forms.values()
            for field in form.fields.values()
        ),
        default=0,
    )


def body_cap(path: str) -> int:
    """The largest body a request for ``path`` may carry."""
    if path in (BEACON_PATH, PIXEL_PATH):
        return BEACON_BODY_MAX
    if path in CONSOLE_IMPORT_PATHS:
        return CONSOLE_UPLOAD_MAX + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return declared_file_max() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class ReadingPermits:
    """Permits to wait on a body: one per web thread less THREADS_RESERVED, in this process."""

    def __init__(self, count: int):
        self.free = threading.BoundedSemaphore(count)
        self.given_back = time.monotonic()

    def take(self) -> bool:
        if self.free.acquire(blocking=False):
            return True
        if time.monotonic() - self.given_back > PERMIT_WAIT_SECONDS:
            return False  # held by slow clients
        return self.free.acquire(timeout=PERMIT_WAIT_SECONDS)

    def give_back(self) -> None:
        self.given_back = time.monotonic()
        self.free.release()


_permits = None
_permits_lock = threading.Lock()


def reading_permits() -> ReadingPermits:
    """This process's permits, built once from the settings."""
    global _permits
    if _permits is None:
        with _permits_lock:
            if _permits is None:
                threads = settings.PLEDGE_WEB_THREADS
                _permits = ReadingPermits(max(1, threads - THREADS_RESERVED))
    return _permits


def reading_permits_reset() -> None:
    """Forget the permits so the next body builds them from the settings again (tests)."""
    global _permits
    _permits = None


def body_refuse(environ, start_response, status: str, message, headers=()):
    """A short plain answer in the language of the address (``/en/`` English, else Chinese)."""
    language = "en" if environ.get("PATH_INFO", "").startswith("/en/") else settings.LANGUAGE_CODE
    with translation.override(language):
        text = str(message)
    return respond(
        start_response, status, text.encode(), "text/plain; charset=utf-8", headers=headers
    )


class BodyGuard:
    """Caps, then reads, every request body before ``application`` sees the request."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return body_refuse(environ, start_response, "400 Bad Request", BAD_LENGTH)
        if length == 0 and environ.get("HTTP_TRANSFER_ENCODING"):
            # A chunked body has no length to cap or to read by: none is taken (RFC 9110 411).
            return body_refuse(environ, start_response, "411 Length Required", LENGTH_REQUIRED)
        if length == 0:
            return self.application(environ, start_response)
        if length > body_cap(environ.get("PATH_INFO", "")):
            return body_refuse(environ, start_response, "413 Content Too Large", TOO_LARGE)
        permits = reading_permits()
        if not permits.take():
            return body_refuse(
                environ,
                start_response,
                "503 Service Unavailable",
                BUSY,
                headers=[("Retry-After", str(RETRY_SECONDS))],
            )
        try:
            body = environ["wsgi.input"].read(length)
        finally:
            permits.give_back()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)
