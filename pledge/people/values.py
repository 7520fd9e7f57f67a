"""What a person's details may hold, wherever they arrive: a form, an import, a correction.

One rule for each, so the portal's correction and a staff member's accept nothing a form would
refuse (a line break in a name, a web address, a phone that is not one).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PHONE = re.compile(r"^\+?[0-9 ()\-.]{6,30}$")
# Invisible characters no one-line answer needs: controls (CR, LF, TAB, NUL...), format
# characters (the bidirectional overrides U+202A-202E and isolates U+2066-2069, zero-width
# ones) and the line and paragraph separators.
CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
# Except the zero-width joiners: Persian and Indic names, and emoji, are written with them.
JOINERS = {"\u200c", "\u200d"}
# A web address: a scheme and "://", or "www.".
WEB_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://|\bwww\.", re.IGNORECASE)


def phone_valid(value: str) -> bool:
    """True if ``value`` is shaped like a phone number: 6 to 20 digits with spaces, +, -, dots
    and brackets. Files rely on it too: such a value holds no function and no reference, so a
    spreadsheet may keep it as it is (``pledge.csvfiles``)."""
    digits = re.sub(r"\D", "", value)
    return bool(PHONE.match(value.strip())) and 6 <= len(digits) <= 20


def validate_phone(value: str) -> None:
    if not phone_valid(value):
        raise ValidationError(
            _("Enter a phone number of 6 to 20 digits; spaces, +, - and brackets are fine.")
        )


def validate_single_line(value: str) -> None:
    """A one-line answer holds no line break nor invisible control: it is echoed into places
    (an email header, a log line, the console) where a CR LF starts something new and a U+202E
    shows the text reversed from what was typed (SECURITY.md I5)."""
    if any(
        unicodedata.category(character) in CONTROL_CATEGORIES and character not in JOINERS
        for character in value
    ):
        raise ValidationError(
            _(
                "Write this on one line, without line breaks, tabs or invisible control "
                "characters (if you pasted it, type it instead)."
            ),
            code="control_character",
        )


def validate_name(value: str) -> None:
    """No one's name holds a web address, and a name is shown to staff and in calendar invites,
    where mail programs make an address a link: refused, so a form is not a way to send one."""
    if WEB_ADDRESS.search(value):
        raise ValidationError(
            _("Enter only the name here, without a web address."), code="web_address"
        )
