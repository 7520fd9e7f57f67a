"""The audit chain: every change leaves an entry, and tampering is found and named (C5)."""

import hashlib
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from pledge.vault.actors import Actor
from pledge.vault.audit import (
    audit_chain_seal,
    audit_record,
    audit_verify,
    entry_content,
    entry_seal,
)
from pledge.vault.keys import KeyRing, current_ring, new_entry
from pledge.vault.models import AuditEntry, AuditHead

pytestmark = [pytest.mark.clock, pytest.mark.usefixtures("english")]


def seed(count=5):
    return [
        audit_record(
            actor=Actor.system("test"), action=f"test.step{i}", object_type="x", object_id=str(i)
        )
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
            audit_record(actor=Actor.system("test"), action=f"test.w{worker}.{step}")
        connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdict = audit_verify()
    assert verdict.intact and verdict.entries == 40


# --- Seals: a chain that only the key ring can extend (finding 4) ---------------------------


def old_algorithm(row):
    """How entries were hashed before seals: plain SHA-256, no key id."""
    return "", hashlib.sha256(entry_content(row)).hexdigest()


def plain_sha256(row):
    """What a seal covers, hashed without the key (which the database does not hold)."""
    message = row["key_id"].encode() + b"\x00" + entry_content(row)
    return row["key_id"], hashlib.sha256(message).hexdigest()


def stolen_key(row):
    """The real seal: what someone who also stole PLEDGE_KEYS can make."""
    key = current_ring().primary
    return key.id, entry_seal(row, key)


def chain_rewrite(from_sequence: int, seal, *, until: int | None = None):
    """What someone with write access to the database does: edit one entry, give it and every
    later entry (to ``until``) a new link and hash made by ``seal``, and point the head at the
    new end."""
    previous = "0" * 64
    rows = AuditEntry.objects.order_by("sequence").values()
    last = until or rows.last()["sequence"]
    for row in rows:
        if row["sequence"] == from_sequence:
            row["reason"] = "nothing happened"
        if from_sequence <= row["sequence"] <= last:
            row["previous_hash"] = previous
            row["key_id"], row["hash"] = seal(row)
            execute(
                "UPDATE vault_auditentry SET reason = %s, previous_hash = %s, key_id = %s, "
                "hash = %s WHERE id = %s",
                [row["reason"], previous, row["key_id"], row["hash"], row["id"]],
            )
        previous = row["hash"]
        if row["sequence"] == last:
            execute(
                "UPDATE vault_audithead SET hash = %s WHERE id = 1 AND sequence = %s",
                [previous, last],
            )


@pytest.mark.django_db
def test_entries_are_sealed_under_the_primary_key_not_hashed_c5():
    entry = seed(1)[0]
    ring = current_ring()
    assert entry.key_id == ring.primary.id
    fields = AuditEntry.objects.values().get(id=entry.id)
    assert entry.hash == entry_seal(fields, ring.primary)
    assert entry.hash != hashlib.sha256(entry_content(fields)).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("seal", "says"),
    [
        (plain_sha256, "does not match its hash: edited."),
        (old_algorithm, "is not sealed, but an entry before it is: rewritten with a plain hash."),
    ],
    ids=["plain-sha256", "old-algorithm"],
)
def test_a_middle_entry_edited_and_the_chain_recomputed_is_named_c5(seal, says):
    """Finding 4: edit entry #3, recompute #3 to #5 and the head; the verifier names #3."""
    entries = seed()
    chain_rewrite(3, seal)
    verdict = audit_verify()
    assert not verdict.intact
    assert verdict.problem.startswith(f"entry #3 (id {entries[2].id}, test.step3 at ")
    assert verdict.problem.endswith(says)
    assert verdict.entries == 2


@pytest.mark.django_db
def test_a_chain_rewritten_whole_with_plain_hashes_is_broken_c5():
    seed()
    chain_rewrite(1, old_algorithm)
    verdict = audit_verify()
    assert not verdict.intact
    assert "none of the 5 entries is sealed" in verdict.problem


@pytest.mark.django_db
def test_a_rewrite_with_the_stolen_key_needs_a_checkpoint_to_show():
    """What seals cannot do alone; test_audit_checkpoints.py shows the checkpoint catching it."""
    seed()
    chain_rewrite(3, stolen_key)
    assert audit_verify().intact


@pytest.mark.django_db
def test_the_chain_verifies_across_a_key_rotation_and_names_a_dropped_key_c2_c5(settings):
    old = settings.PLEDGE_KEYS.split(",")[0]
    new = new_entry("knew")
    before = seed(2)
    settings.PLEDGE_KEYS = f"{new},{old}"
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    after = audit_record(actor=Actor.system("test"), action="test.after")
    assert {entry.key_id for entry in before} == {KeyRing(old).primary.id}
    assert after.key_id == "knew"
    output = StringIO()
    call_command("audit", "verify", stdout=output)
    assert "Audit chain intact: 3 entries" in output.getvalue()

    settings.PLEDGE_KEYS = new  # the old key dropped: its entries can no longer be checked
    with pytest.raises(CommandError, match=r"entry #1 .* PLEDGE_KEYS no longer holds") as error:
        call_command("audit", "verify")
    assert error.value.returncode == 1


def legacy_seed(count: int):
    """Entries as Pledge wrote them before seals: key id "", plain SHA-256, and the head."""
    previous = "0" * 64
    for sequence in range(1, count + 1):
        row = {
            "sequence": sequence,
            "at": timezone.now(),
            "actor_id": None,
            "actor_label": "system",
            "action": f"test.old{sequence}",
            "object_type": "",
            "object_id": "",
            "reason": "",
            "request_id": "",
            "details": {},
            "previous_hash": previous,
        }
        previous = hashlib.sha256(entry_content(row)).hexdigest()
        AuditEntry.objects.create(**row, key_id="", hash=previous)
    AuditHead.objects.update_or_create(id=1, defaults={"sequence": count, "hash": previous})


@pytest.mark.django_db
def test_entries_from_before_seals_verify_and_the_migration_seal_pins_them():
    """Vault 0002 converts nothing: plain-hashed entries still verify, and the sealed entry it
    appends after them catches a later rewrite of theirs."""
    legacy_seed(3)
    last_plain_hash = AuditEntry.objects.get(sequence=3).hash
    audit_chain_seal(AuditEntry, AuditHead)
    sealed = AuditEntry.objects.get(sequence=4)
    assert (sealed.action, sealed.details, sealed.previous_hash, sealed.key_id) == (
        "audit.sealed",
        {"unsealed_entries": 3},
        last_plain_hash,
        current_ring().primary.id,
    )
    verdict = audit_verify()
    assert verdict.intact and verdict.entries == 4

    chain_rewrite(2, old_algorithm, until=3)
    verdict = audit_verify()
    assert not verdict.intact
    assert verdict.problem.startswith("entry #4 ")
    assert verdict.problem.endswith("does not link to the entry before it: inserted or reordered.")


@pytest.mark.django_db
def test_a_chain_of_plain_hashes_alone_is_not_taken_for_one_from_before_seals():
    """After the migration every chain holds a sealed entry; one without is a rewrite."""
    legacy_seed(3)
    assert "none of the 3 entries is sealed" in audit_verify().problem


@pytest.mark.django_db
def test_the_migration_seal_appends_nothing_to_an_empty_chain():
    audit_chain_seal(AuditEntry, AuditHead)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_console_names_the_rewritten_entry_in_the_readers_language(privacy_officer, client_for):
    entries = seed()
    chain_rewrite(3, plain_sha256)
    client = client_for(privacy_officer)
    chinese = client.get("/console/audit/?verify=1").content.decode()
    assert f"第 3 条记录（id {entries[2].id}，test.step3，" in chinese
    assert "与其哈希值不符：已被修改。" in chinese
    english = client.get("/en/console/audit/?verify=1").content.decode()
    assert f"entry #3 (id {entries[2].id}, test.step3 at " in english
    assert "does not match its hash: edited." in english


@pytest.mark.django_db
def test_an_entry_appended_during_the_walk_is_not_taken_for_a_cut(monkeypatch):
    """The hourly checkpoint walks a live log: an entry committed while it walks moves the
    head past what it read, which must not read as entries deleted from the end."""
    from pledge.vault import audit

    seed(3)
    checked = audit.entry_hash_problem

    def check_and_append(row, **options):
        if row["sequence"] == 2:
            audit_record(actor=Actor.system("test"), action="test.meanwhile")
        return checked(row, **options)

    monkeypatch.setattr(audit, "entry_hash_problem", check_and_append)
    verdict = audit_verify()
    assert verdict.intact, verdict.problem
    assert verdict.entries == AuditEntry.objects.count()
