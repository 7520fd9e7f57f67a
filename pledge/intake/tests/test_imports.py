"""Importing people (P06, P07): declared sources only, provenance, merge, notice, no half rows."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from pledge.intake.imports import ImportRefused, import_file, import_read
from pledge.mail.models import Message
from pledge.people.models import Person, Provenance
from pledge.people.services import person_find_by_email, person_upsert
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock]


CSV = (
    "email,name,phone,company,language\n"
    "wang@importer.cn,王五,+86 139 0000 0001,导入公司,zh-hans\n"
    "not-an-email,Bad Row,,,\n"
    "ada@importer.cn,Ada,,Importer Ltd,en\n"
    "WANG@importer.cn,Duplicate,,,\n"
    "eve@importer.cn,Eve,12,,\n"
).encode()


def test_an_import_merges_by_address_and_reports_bad_rows_with_their_line():
    person_upsert(
        actor=Actor.system("test"), source="web_form", email="Ada@Importer.cn", name="Ada"
    )
    batch, read = import_file(
        CSV, source="third_parties", basis="consent", file_name="x.csv", actor=Actor.system("test")
    )
    assert batch.done == 2 and batch.created == 1
    assert Person.objects.count() == 2  # Ada merged, not duplicated
    assert [line for line, _ in read.errors] == [3, 5, 6]
    assert batch.rows == []  # the file's rows are not kept once imported


def test_a_row_a_form_would_refuse_is_reported_not_imported():
    """I5: a name or company with a line break or a bidi override, a web address as a name."""
    rows = (
        "email,name,company\n"
        'a@importer.cn,"Line\r\nBreak",\n'
        "b@importer.cn,Reversed \u202eemanr,\n"
        "c@importer.cn,https://evil.example/,\n"
        'd@importer.cn,Dee,"Acme\nBcc: x@example.com"\n'
        "e@importer.cn,Eve,Acme\n"
    ).encode()
    read = import_read(rows, source="third_parties", basis="consent")
    assert [line for line, _ in read.errors] == [2, 3, 4, 5]
    assert [row["email"] for row in read.rows] == ["e@importer.cn"]


def test_every_imported_person_carries_provenance_and_is_sent_the_notice():
    import_file(
        CSV, source="third_parties", basis="consent", file_name="x.csv", actor=Actor.system("test")
    )
    wang = person_find_by_email("wang@importer.cn")
    provenance = Provenance.objects.get(person=wang)
    assert (provenance.kind, provenance.source, provenance.legal_basis) == (
        "import",
        "third_parties",
        "consent",
    )
    assert provenance.notice_due is not None
    notice = Message.objects.get(kind="import_notice", person=wang)
    assert notice.language == "zh-hans"


def test_only_declared_sources_and_bases_are_accepted():
    with pytest.raises(ImportRefused, match="not a source declared"):
        import_read(CSV, source="bought_list", basis="consent")
    with pytest.raises(ImportRefused, match="not a legal basis"):
        import_read(CSV, source="third_parties", basis="because")


def test_columns_the_source_does_not_declare_are_refused():
    with pytest.raises(ImportRefused, match="does not declare"):
        import_read(CSV, source="visitors", basis="consent")  # visitors: no phone declared


def test_the_command_imports_with_a_progress_bar(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(CSV)
    output, errors = StringIO(), StringIO()
    call_command(
        "import",
        "people",
        str(path),
        "--source",
        "third_parties",
        "--basis",
        "consent",
        stdout=output,
        stderr=errors,
    )
    assert "Imported 2 rows (2 new people" in output.getvalue()
    assert "people.csv, line 3: The email address is missing or not valid." in errors.getvalue()
    assert "[##############################] 2/2 100%" in errors.getvalue()


def test_the_command_refuses_an_undeclared_source_with_the_fix(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(CSV)
    with pytest.raises(CommandError, match="Use one of: third_parties, visitors, social_media"):
        call_command("import", "people", str(path), "--source", "x", "--basis", "consent")


def test_the_console_previews_then_imports(
    client_for, administrator, django_capture_on_commit_callbacks
):
    client = client_for(administrator)
    response = client.post(
        "/en/console/import/",
        {"file": SimpleUploadedFile("p.csv", CSV), "source": "third_parties", "basis": "consent"},
    )
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "2 rows are ready to import." in preview and "3 rows will not be imported" in preview
    assert not Person.objects.exists()  # nothing imported before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"])
    assert Person.objects.count() == 2
    assert "Imported 2 rows" in client.get(response["Location"]).content.decode()


def test_only_who_may_import_can(client_for, privacy_officer):
    assert client_for(privacy_officer).get("/en/console/import/").status_code == 403
