"""Log lines never carry an emailed link's secret (SECURITY.md C4), and may be JSON.

The privacy portal, the guardian's confirmation, the newsletter confirmation and the booking
page carry their token in the path. Django logs the path of every 4xx and 5xx response ("Not
Found: /privacy/my-data/<token>/", "Method Not Allowed", a CSRF refusal), so the handler's
filter replaces any path segment long enough to be such a token before the line is written.
Public ids (UUIDs, 36 characters) stay readable.

With ``LOG_FORMAT=json`` (settings.py) each line is one JSON object: ``time`` (UTC, ISO 8601),
``level``, ``logger``, ``message``, ``request_id`` while a request is in progress (the id its
audit entries carry and its ``X-Request-ID`` header returns), and ``exception`` when there is
one. Nothing else of the record is written (no request, no body, no query string), and an
email address or an IP address inside a message, such as a mail server's refusal naming its
recipient, is replaced before the line leaves (loopback, where the server listens, excepted).
Nothing here imports Django: settings.py names these classes before the apps are loaded.
"""

import contextvars
import ipaddress
import json
import logging
import re
from datetime import UTC, datetime

TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_\-.:]{40,}(?=/|\s|\?|$)")
REDACTED = "[link-token]"
# The local part leaves out "/", "=", "?" and "&", so a path or a query around an address stays.
EMAIL = re.compile(r"[\w.!#$%'*+^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:])"
)
IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")

# The id of the request in progress; set by pledge.vault.middleware.RequestIdMiddleware, which
# hands the same id to the audit log. "" outside requests (commands, tasks, other threads).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("log_request_id", default="")


def redact(text: str) -> str:
    return TOKEN.sub(REDACTED, text)


def _address(match: re.Match) -> str:
    """An IP address becomes ``[ip]``; what only looks like one (a time, a version) stays, and
    so do loopback and "any" (``127.0.0.1``, ``::``), which are where the server listens, never
    a visitor."""
    try:
        address = ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return match.group(0) if address.is_loopback or address.is_unspecified else "[ip]"


def anonymise(text: str) -> str:
    """``text`` without email addresses and IP addresses."""
    text = EMAIL.sub("[email]", text)
    text = IPV6.sub(_address, text)
    return IPV4.sub(_address, text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``): the fields of the module's docstring."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": anonymise(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = anonymise(redact(self.formatException(record.exc_info)))
        elif record.exc_text:
            line["exception"] = anonymise(redact(record.exc_text))
        if record.stack_info:
            line["stack"] = anonymise(redact(self.formatStack(record.stack_info)))
        return json.dumps(line, ensure_ascii=False)
