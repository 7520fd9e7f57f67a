"""The audit chain: every change leaves an entry, and tampering is found and named (C5)."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from pledge.vault.audit import audit_record, audit_verify
from pledge.vault.models import AuditEntry

pytestmark = pytest.mark.clock


def seed(count=5):
    return [
        audit_record(actor="system", action=f"test.step{i}", object_type="x", object_id=str(i))
        for i in range(1, count + 1)
    ]


def execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_an_untouched_chain_verifies():
    seed()
    verdict = audit_verify()
    assert verdict.intact and verdict.entries == 5


@pytest.mark.django_db
def test_an_edited_entry_is_named():
    entries = seed()
    execute(
        "UPDATE vault_auditentry SET reason = 'nothing happened' WHERE id = %s", [entries[2].id]
    )
    verdict = audit_verify()
    assert not verdict.intact
    assert f"entry #3 (id {entries[2].id}, test.step3" in verdict.problem
    assert verdict.problem.endswith("edited.")


@pytest.mark.django_db
def test_a_deleted_middle_entry_is_named():
    entries = seed()
    execute("DELETE FROM vault_auditentry WHERE id = %s", [entries[1].id])
    verdict = audit_verify()
    assert not verdict.intact
    assert "entry #2 is missing before entry #3" in verdict.problem


@pytest.mark.django_db
def test_entries_deleted_from_the_end_are_noticed():
    entries = seed()
    execute("DELETE FROM vault_auditentry WHERE id = %s", [entries[-1].id])
    verdict = audit_verify()
    assert not verdict.intact
    assert "the head records #5" in verdict.problem


@pytest.mark.django_db
def test_an_inserted_entry_is_named():
    entries = seed()
    # Renumber the tail to make room, then slip a forged entry in as #3.
    for entry in reversed(entries[2:]):
        execute("UPDATE vault_auditentry SET sequence = sequence + 1 WHERE id = %s", [entry.id])
    forged = AuditEntry.objects.get(id=entries[1].id)
    forged.pk = None
    forged.sequence = 3
    forged.action = "test.forged"
    forged.save()
    verdict = audit_verify()
    assert not verdict.intact
    assert "entry #3" in verdict.problem and "test.forged" in verdict.problem


@pytest.mark.django_db
def test_audit_verify_command_fails_loudly_on_tampering():
    entries = seed()
    output = StringIO()
    call_command("audit", "verify", stdout=output)
    assert "Audit chain intact: 5 entries" in output.getvalue()
    execute("UPDATE vault_auditentry SET action = 'test.other' WHERE id = %s", [entries[0].id])
    with pytest.raises(CommandError, match=r"entry #1 .* edited"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_entries_carry_the_request_id_of_the_page_that_wrote_them(outsider, client_for):
    response = client_for(outsider).get("/console/staff/")
    assert response.status_code == 403
    entry = AuditEntry.objects.get(action="access.refused")
    assert entry.request_id == response["X-Request-ID"]
    assert entry.actor == outsider
    assert entry.details == {"permission": "manage_staff"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    def write(worker):
        for step in range(10):
            audit_record(actor="system", action=f"test.w{worker}.{step}")
        connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdict = audit_verify()
    assert verdict.intact and verdict.entries == 40
