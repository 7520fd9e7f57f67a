"""A batch of audit entries: appended together as the block ends, exactly what audit_record
would have left (the same entries, in order, none from a rolled-back savepoint or block)."""

import pytest
from django.db import transaction

from pledge.vault.actors import Actor
from pledge.vault.audit import audit_batch, audit_record, audit_verify
from pledge.vault.models import AuditEntry, AuditHead

pytestmark = [pytest.mark.clock, pytest.mark.usefixtures("english")]
ACTOR = Actor.system("test")


def actions():
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


@pytest.mark.django_db
def test_a_batch_appends_its_entries_in_order_as_it_ends_and_the_chain_verifies():
    audit_record(actor=ACTOR, action="test.before")
    with transaction.atomic(), audit_batch():
        audit_record(actor=ACTOR, action="test.one")
        audit_record(actor=ACTOR, action="test.two")
        assert actions() == ["test.before"]  # nothing appended yet: the head is not locked
        audit_record(actor=ACTOR, action="test.three")
    audit_record(actor=ACTOR, action="test.after")
    assert actions() == ["test.before", "test.one", "test.two", "test.three", "test.after"]
    assert AuditHead.objects.get().sequence == 5
    assert audit_verify().intact


@pytest.mark.django_db
def test_an_entry_of_a_savepoint_rolled_back_inside_a_batch_is_not_appended():
    with transaction.atomic(), audit_batch():
        audit_record(actor=ACTOR, action="test.kept")
        try:
            with transaction.atomic():
                audit_record(actor=ACTOR, action="test.rolled_back")
                raise ValueError
        except ValueError:
            pass
        audit_record(actor=ACTOR, action="test.kept_too")
    assert actions() == ["test.kept", "test.kept_too"]
    assert audit_verify().intact


@pytest.mark.django_db
def test_a_block_that_raises_appends_nothing():
    with pytest.raises(ValueError), transaction.atomic(), audit_batch():
        audit_record(actor=ACTOR, action="test.lost")
        raise ValueError
    assert actions() == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_entries_are_appended_as_they_are_recorded():
    with audit_batch():
        audit_record(actor=ACTOR, action="test.at_once")
        assert actions() == ["test.at_once"]


@pytest.mark.django_db
def test_a_batch_inside_a_batch_leaves_the_appending_to_the_outer_one():
    with transaction.atomic(), audit_batch():
        audit_record(actor=ACTOR, action="test.outer")
        with audit_batch():
            audit_record(actor=ACTOR, action="test.inner")
        assert actions() == []
    assert actions() == ["test.outer", "test.inner"]


@pytest.mark.django_db
def test_a_batch_refuses_what_is_not_an_actor_when_it_is_recorded():
    with pytest.raises(TypeError), transaction.atomic(), audit_batch():
        audit_record(actor="staff:alice", action="test.refused")
    assert actions() == []
