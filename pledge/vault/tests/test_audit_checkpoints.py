"""Checkpoints of the audit chain's end: what a seal alone cannot show (C5, finding 4).

A checkpoint is (sequence, hash, time) signed with the ring's audit key and appended to a file
outside the database, so cutting entries from the end, or rewriting history with a stolen key,
no longer passes `pledge audit verify --checkpoints`.
"""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pledge.scheduler import PERIODIC_JOBS, job_tick
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record, checkpoint_parse
from pledge.vault.keys import KeyRing, new_entry
from pledge.vault.models import AuditHead
from pledge.vault.tests.test_audit import chain_rewrite, execute, seed, stolen_key

pytestmark = [pytest.mark.clock, pytest.mark.usefixtures("english"), pytest.mark.django_db]


def audit(*args) -> str:
    output = StringIO()
    call_command("audit", *args, stdout=output)
    return output.getvalue()


def refused(*args) -> str:
    """The command's error, after checking it exits with status 1."""
    with pytest.raises(CommandError) as error:
        audit(*args)
    assert error.value.returncode == 1
    return str(error.value)


@pytest.fixture
def checkpoints(settings):
    return settings.PLEDGE_AUDIT_CHECKPOINTS


@pytest.fixture
def audit_log_lines():
    """What pledge.vault.audit logs (caught by a handler of our own: the suite may run with
    pytest's logging plugin off)."""

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("pledge.vault.audit")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_checkpoint_is_a_signed_line_in_the_file_and_the_log(checkpoints, audit_log_lines):
    entries = seed(3)
    output = audit("checkpoint")
    assert f"entry #3, hash {entries[-1].hash}" in output
    [line] = checkpoints.read_text().splitlines()
    checkpoint = checkpoint_parse(line)
    assert (checkpoint.sequence, checkpoint.hash) == (3, entries[-1].hash)
    assert audit_log_lines == [f"audit checkpoint {line}"]

    assert "nothing to write" in audit("checkpoint")  # no entry since: no new line
    audit_record(actor=Actor.system("test"), action="test.later")
    audit("checkpoint")
    assert [checkpoint_parse(line).sequence for line in checkpoints.read_text().splitlines()] == [
        3,
        4,
    ]
    assert "All 2 checkpoints in" in audit("verify", "--checkpoints")


def test_the_scheduler_publishes_a_checkpoint_hourly(checkpoints):
    job = next(job for job in PERIODIC_JOBS if job.task == "pledge.vault.tasks.checkpoint")
    assert job.every.total_seconds() == 3600
    seed(2)
    assert job_tick(job) is True
    assert checkpoint_parse(checkpoints.read_text()).sequence == 2


def test_a_rewrite_with_the_stolen_key_is_named_by_the_checkpoint_after_it_c5(checkpoints):
    seed(5)
    audit("checkpoint")
    chain_rewrite(3, stolen_key)
    assert "Audit chain intact: 5 entries" in audit("verify")  # the seals cannot tell
    problem = refused("verify", "--checkpoints")
    assert "the checkpoint on line 1 (entry #5, " in problem
    assert "no longer matches the chain: entry #5 or one before it was rewritten." in problem


def test_entries_cut_from_the_end_are_named_by_the_checkpoint_c5(checkpoints):
    entries = seed(5)
    audit("checkpoint")
    execute("DELETE FROM vault_auditentry WHERE sequence > 3")
    AuditHead.objects.update(sequence=3, hash=entries[2].hash)
    assert "Audit chain intact: 3 entries" in audit("verify")
    problem = refused("verify", "--checkpoints", str(checkpoints))
    assert "the checkpoint on line 1 (entry #5, " in problem
    assert "entry #5 is gone (deleted or cut from the end)" in problem


def test_a_forged_or_damaged_checkpoint_line_is_reported(checkpoints):
    entries = seed(3)
    audit("checkpoint")
    line = checkpoints.read_text().strip()
    forged = line.replace(entries[-1].hash, entries[0].hash).replace(" 3 ", " 1 ")
    signed_elsewhere = line.replace(line.split()[-1], "ab" * 32)
    checkpoints.write_text(f"{line}\n{forged}\n\n{signed_elsewhere}\nnot a checkpoint\n")
    problem = refused("verify", "--checkpoints")
    assert "line 1" not in problem
    assert "the checkpoint on line 2 (entry #1, " in problem
    assert "the checkpoint on line 4 (entry #3, " in problem
    assert problem.count("is forged: its signature does not match.") == 2
    assert "line 5 is not a checkpoint Pledge wrote: damaged or forged." in problem
    # ...and no checkpoint is written after a line Pledge did not sign.
    assert "No checkpoint written: line 5" in refused("checkpoint")


def test_no_checkpoint_is_written_over_a_broken_chain(checkpoints):
    entries = seed(3)
    audit("checkpoint")
    audit_record(actor=Actor.system("test"), action="test.step4")
    execute("UPDATE vault_auditentry SET reason = 'x' WHERE sequence = 4")
    assert "No checkpoint written: entry #4" in refused("checkpoint")
    execute("UPDATE vault_auditentry SET reason = 'x' WHERE id = %s", [entries[0].id])
    assert "Audit chain BROKEN: entry #1" in refused("verify", "--checkpoints")
    assert len(checkpoints.read_text().splitlines()) == 1


def test_a_missing_empty_or_unusable_checkpoint_file_fails_the_check(
    settings, checkpoints, tmp_path
):
    seed(1)
    assert f"There is no checkpoint file at {checkpoints}." in refused("verify", "--checkpoints")
    assert f"There is no checkpoint file at {tmp_path}." in refused(
        "verify", "--checkpoints", str(tmp_path)
    )
    checkpoints.write_text("\n")
    assert "holds no checkpoint" in refused("verify", "--checkpoints")
    checkpoints.write_bytes(b"\xff\xfe\x00 not text\n")
    assert "line 1 is not a checkpoint Pledge wrote" in refused("verify", "--checkpoints")
    settings.PLEDGE_AUDIT_CHECKPOINTS = checkpoints / "under-a-file"
    assert f"The checkpoint file {checkpoints}/under-a-file cannot be used: " in refused(
        "checkpoint"
    )


def test_checkpoints_verify_across_a_key_rotation_and_name_a_dropped_key(settings, checkpoints):
    old = settings.PLEDGE_KEYS.split(",")[0]
    seed(2)
    audit("checkpoint")
    settings.PLEDGE_KEYS = f"{new_entry('knew')},{old}"
    audit_record(actor=Actor.system("test"), action="test.after")
    audit("checkpoint")
    assert [line.split()[4] for line in checkpoints.read_text().splitlines()] == [
        KeyRing(old).primary.id,
        "knew",
    ]
    assert "All 2 checkpoints" in audit("verify", "--checkpoints")

    settings.PLEDGE_KEYS = settings.PLEDGE_KEYS.split(",")[0]
    assert "PLEDGE_KEYS no longer holds" in refused("verify", "--checkpoints")
