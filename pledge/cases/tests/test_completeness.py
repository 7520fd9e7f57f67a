"""The key test of the rights issue (P02, P18; SECURITY.md P4, P5).

One person has a record in every personal table. Their export must contain every one of them;
after their erasure nothing of them may remain anywhere (tables, blind indexes, name tokens,
files on disk, the audit log) apart from what the inventory's legal holds keep, while another
person's data is untouched. Runs on SQLite and on PostgreSQL.
"""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps

from pledge.cases.models import Case
from pledge.cases.rights import rights_archive, rights_erase
from pledge.cases.tests.seeding import PDF, deletion_case, seed_everything
from pledge.intake.models import ImportBatch
from pledge.intake.uploads import upload_directory
from pledge.mail.models import Message
from pledge.people.models import PersonNameToken, Tombstone
from pledge.people.optouts import contact_suppressed, tombstone_find
from pledge.people.registry import covered_models, providers, registry_export
from pledge.people.services import NAME_CONTEXT
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_verify
from pledge.vault.keys import current_ring, name_tokens, normalise_email, normalise_phone
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def private_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ada():
    return seed_everything("ada")


@pytest.fixture
def bo():
    return seed_everything("bo")


def every_row_as_text():
    """(model label, row, text of every concrete field) for every row of every table, with
    encrypted fields decrypted by the ORM."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = model._meta.concrete_fields
        for row in model._default_manager.all():
            values = []
            for model_field in fields:
                value = getattr(row, model_field.attname)
                values.append(
                    json.dumps(value, ensure_ascii=False, default=str)
                    if isinstance(value, dict | list)
                    else str(value)
                )
            yield model._meta.label, row, " ".join(values)


def held(label: str, row) -> bool:
    """Records the inventory's legal holds keep after an erasure, by design."""
    if label == "cases.Case":
        return row.hold == "rights_requests"
    if label == "mail.Message":
        return row.hold == "rights_requests"
    if label == "cases.Disclosure":  # the processing records, unlinked from the person
        return row.hold == "processing_records" and row.person_id is None
    if label == "people.Organization":
        # An opt-out the person asked for their whole organisation outlives them (P01, P15);
        # the organisation's own name and domain stay with it, no longer naming the person.
        return row.opt_outs.filter(lifted_at__isnull=True, requested_by__isnull=True).exists()
    return False


def digests_of(seeded) -> set[str]:
    """Every blind index value that could point at the person."""
    ring = current_ring()
    email = normalise_email(seeded.needles["email"])
    values = set()
    for context in (
        "people.Person.email",
        "mail.Message.to",
        "cases.PortalLink.email",
        "mail.Suppression.email",
    ):
        values.update(ring.digests(email, context=context))
    values.update(
        ring.digests(normalise_phone(seeded.needles["phone"]), context="people.Person.phone")
    )
    for token in name_tokens(seeded.needles["name"]):
        values.update(ring.digests(token, context=NAME_CONTEXT))
    return values


def test_the_seed_covers_every_personal_table(ada):
    """If this fails, a new personal table is not seeded in seeding.py: add a record there."""
    missing = [
        label
        for label, provider in covered_models().items()
        if provider != "exempt" and not apps.get_model(label)._default_manager.exists()
    ]
    assert not missing, f"seed a record in {missing} (pledge/cases/tests/seeding.py)"


def test_the_export_contains_every_record_of_every_personal_table(ada, bo, privacy_officer):
    exported = registry_export(ada.person)
    empty = [provider.key for provider in providers() if not exported[provider.key]]
    assert not empty, f"providers that found nothing of a seeded person: {empty}"

    case = Case.objects.filter(person=ada.person).first()
    archive = rights_archive(person=ada.person, actor=Actor.staff(privacy_officer), case=case)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = set(zipped.namelist())
        data = zipped.read("data.json").decode()
        readme = zipped.read("README.txt").decode()
        cv = [name for name in names if name.startswith("files/")]
        assert cv and zipped.read(cv[0]) == PDF
        for provider in providers():
            assert f"csv/{provider.key}.csv" in names, provider.key
            assert provider.key in readme
    sections = json.loads(data)["sections"]
    assert set(sections) == {provider.key for provider in providers()}
    for name, needle in ada.needles.items():
        assert needle in data, f"the export lacks the seeded {name}"
    # P07: where each record came from
    assert sections["people.person"]["records"][0]["source"] == "web_form"
    # and nothing of the other person
    for needle in bo.needles.values():
        assert needle not in data


def test_erasure_leaves_nothing_but_what_the_law_holds(
    ada, bo, privacy_officer, django_capture_on_commit_callbacks
):
    others_before = {
        key: json.dumps(records, sort_keys=True, default=str)
        for key, records in registry_export(bo.person).items()
    }
    case = deletion_case(ada.person, privacy_officer)
    with django_capture_on_commit_callbacks(execute=True):  # files go, mail leaves, on commit
        report = rights_erase(person=ada.person, actor=Actor.staff(privacy_officer), case=case)

    # Every provider now finds nothing for the person.
    after = registry_export(ada.person)
    assert not any(after.values()), {key: len(records) for key, records in after.items()}

    # No value of theirs in any row of any table (decrypted), except what a legal hold keeps.
    leftovers = [
        (label, row.pk, name)
        for label, row, text in every_row_as_text()
        for name, needle in ada.needles.items()
        if needle.casefold() in text.casefold() and not held(label, row)
    ]
    assert not leftovers, leftovers
    # The held records are exactly the cases and the certificate, each naming its hold.
    kept = {
        (label, row.hold)
        for label, row, text in every_row_as_text()
        if ada.needles["email"].casefold() in text.casefold()
    }
    assert kept == {("cases.Case", "rights_requests"), ("mail.Message", "rights_requests")}

    # No search index points at them: blind indexes, name tokens.
    digests = digests_of(ada)
    indexed = [
        (label, row.pk)
        for label, row, text in every_row_as_text()
        if any(digest in text for digest in digests)
    ]
    assert not indexed, indexed
    assert not PersonNameToken.objects.filter(person_id=ada.person.pk).exists()

    # Their row left the pending import; the neighbour's row stays to be imported.
    pending = [row["email"] for batch in ImportBatch.objects.all() for row in batch.rows]
    assert ada.needles["email"] not in pending and "neighbour-ada@elsewhere.cn" in pending

    # The encrypted file is gone from disk; the other person's is still there.
    assert not (upload_directory() / ada.stored_names[0]).exists()
    assert (upload_directory() / bo.stored_names[0]).exists()

    # The other person's data is untouched.
    others_after = {
        key: json.dumps(records, sort_keys=True, default=str)
        for key, records in registry_export(bo.person).items()
    }
    assert others_after == others_before

    # The audit log says who erased and how much, never what; the chain still verifies.
    erased = AuditEntry.objects.get(action="person.erased")
    assert erased.actor_label == "staff:pat"
    assert erased.object_id == str(ada.person.public_id)
    assert erased.details["removed"]["intake.submissions"] == 2  # the submission and its file
    for entry in AuditEntry.objects.all():
        text = json.dumps([entry.reason, entry.details], ensure_ascii=False)
        assert not any(needle in text for needle in ada.needles.values()), entry.action
    assert audit_verify().intact

    # A keyed fingerprint stays, with the opt-out that stood; nothing else of the address.
    tombstone = tombstone_find(ada.needles["email"])
    assert tombstone is not None and tombstone.erased
    assert tombstone.opt_outs == ["affiliate_sharing"]
    assert Tombstone.objects.count() == 1
    assert not contact_suppressed(ada.needles["email"])  # they never asked not to be contacted

    # The report and the certificate name what was kept and why.
    assert sorted(item.title for item in report.kept) == [
        "Who we gave your information to",
        "Your requests and complaints",
    ]
    certificate = Message.objects.get(kind="erasure_certificate")
    assert certificate.person_id is None and certificate.to_index == ""
    assert "Network operators must keep network logs" in certificate.body_text


def test_the_seed_files_live_where_the_test_looks(ada):
    assert Path(upload_directory() / ada.stored_names[0]).exists()
