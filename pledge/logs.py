"""Log lines never carry an emailed link's secret (SECURITY.md C4).

The privacy portal, the guardian's confirmation, the newsletter confirmation and the booking
page carry their token in the path. Django logs the path of every 4xx and 5xx response ("Not
Found: /privacy/my-data/<token>/", "Method Not Allowed", a CSRF refusal), so the handler's
filter replaces any path segment long enough to be such a token before the line is written.
Public ids (UUIDs, 36 characters) stay readable.
"""

import logging
import re

TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_\-.:]{40,}(?=/|\s|\?|$)")
REDACTED = "[link-token]"


def redact(text: str) -> str:
    return TOKEN.sub(REDACTED, text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
