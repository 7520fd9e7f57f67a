"""The retention registry, its checks, ``pledge purge`` and the more protective version (P10, P23)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pledge.intake.models import Submission
from pledge.inventory.services import policy_publish
from pledge.mail.models import SubscriptionRequest
from pledge.people.checks import retention_errors
from pledge.people.models import Consent, ConsentMethod, Person
from pledge.people.retention import (
    RetentionRule,
    retention_purge,
    rule_get,
    rule_register,
    rule_unregister,
)
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

START = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)


def person(email):
    return person_upsert(actor=Actor.system("test"), source="web_form", email=email, name="A")[0]


def submission(of, form="contact", version=None):
    return Submission.objects.create(
        form=form, person=of, answers={}, language="en", policy_version=version
    )


def signups(count):
    SubscriptionRequest.objects.bulk_create(
        SubscriptionRequest(
            email=f"s{n}@example.cn",
            lists=["newsletter"],
            language="en",
            consent_text="t",
            token_hash=f"{n:064d}",
            expires_at=START,
        )
        for n in range(count)
    )


def test_a_personal_model_without_a_rule_is_named_by_the_check():
    rule = rule_get("mail.signups")
    rule_unregister("mail.signups")
    try:
        errors = retention_errors()
    finally:
        rule_register(rule)
    assert [error.id for error in errors] == ["people.E003"]
    assert "mail.SubscriptionRequest" in errors[0].msg
    assert retention_errors() == []


def test_a_declaration_no_rule_reads_is_named_by_the_check():
    rule = rule_get("mail.subscriptions")
    rule_unregister("mail.subscriptions")
    rule_register(
        RetentionRule(
            key="mail.subscriptions",
            models=rule.models,
            expired=rule.expired,
            declarations=("no_such_period",),
        )
    )
    try:
        messages = [error.msg for error in retention_errors() if error.id == "people.E004"]
    finally:
        rule_register(rule)
    assert any("[retention.subscriptions]" in message for message in messages)
    assert any("[retention.no_such_period]" in message for message in messages)


def test_purge_deletes_in_batches_and_resumes(time_machine):
    time_machine.move_to(START, tick=False)
    signups(7)
    time_machine.move_to(START + timedelta(days=8), tick=False)
    report = retention_purge(actor=Actor.system("test"), dry_run=False, only="mail.signups", size=3)
    (purged,) = report.rules
    assert (purged.count, purged.batches) == (7, 3)
    assert purged.longest_batch > 0
    assert not SubscriptionRequest.objects.exists()
    entry = AuditEntry.objects.filter(action="retention.purged").latest("id")
    assert entry.details == {"mail.signups": 7}


def test_a_batch_that_fails_keeps_the_earlier_ones_and_a_rerun_finishes(time_machine):
    time_machine.move_to(START, tick=False)
    signups(5)
    time_machine.move_to(START + timedelta(days=8), tick=False)
    rule = rule_get("mail.signups")
    calls = []

    def fail_second(keys):
        calls.append(keys)
        if len(calls) == 2:
            raise RuntimeError("the machine stopped")
        return SubscriptionRequest.objects.filter(pk__in=keys).delete()[0]

    rule_register(
        RetentionRule(key=rule.key, models=rule.models, expired=rule.expired, remove=fail_second)
    )
    try:
        with pytest.raises(RuntimeError):
            retention_purge(actor=Actor.system("test"), dry_run=False, only=rule.key, size=2)
    finally:
        rule_register(rule)
    assert SubscriptionRequest.objects.count() == 3  # the first batch went, the second rolled back
    retention_purge(actor=Actor.system("test"), dry_run=False, only=rule.key, size=2)
    assert not SubscriptionRequest.objects.exists()


def test_the_command_is_a_dry_run_unless_told_and_names_unknown_rules(time_machine):
    time_machine.move_to(START, tick=False)
    signups(2)
    time_machine.move_to(START + timedelta(days=8), tick=False)
    output = StringIO()
    call_command("purge", stdout=output)
    assert "would delete 2: Newsletter sign-ups never confirmed (mail.signups)" in (
        output.getvalue()
    )
    assert "Nothing was deleted" in output.getvalue()
    assert SubscriptionRequest.objects.count() == 2
    call_command("purge", "--yes", stdout=StringIO())
    assert not SubscriptionRequest.objects.exists()
    with pytest.raises(CommandError, match="No retention rule is called 'signups'"):
        call_command("purge", "--only", "signups", stdout=StringIO())


def test_a_person_goes_only_when_nothing_keeps_them(time_machine):
    time_machine.move_to(START, tick=False)
    kept, left = person("kept@example.cn"), person("left@example.cn")
    submission(kept)
    time_machine.move_to(START + timedelta(days=729), tick=False)
    submission(kept)  # a second form: the last contact moves on
    time_machine.move_to(START + timedelta(days=731), tick=False)
    retention_purge(actor=Actor.system("test"), dry_run=False)
    assert Person.objects.filter(pk=kept.pk).exists()
    assert Submission.objects.filter(person=kept).count() == 2
    assert not Person.objects.filter(pk=left.pk).exists()


def test_an_earlier_version_promising_a_shorter_period_still_applies_p23(time_machine, use_site):
    """Data collected under a version that kept contact forms 365 days is deleted then, though
    the current version says 730; data collected under the current one keeps 730."""
    time_machine.move_to(START, tick=False)
    for field in ("name", "email", "phone", "company", "inquiry_type", "subject", "message"):
        use_site.edit_in(
            f"forms.contact.fields.{field}", "retention_days = 730", "retention_days = 365"
        )
    shorter = policy_publish(summary={"en": "v1"}, material=False, published_by="test")
    for field in ("name", "email", "phone", "company", "inquiry_type", "subject", "message"):
        use_site.edit_in(
            f"forms.contact.fields.{field}", "retention_days = 365", "retention_days = 730"
        )
    longer = policy_publish(summary={"en": "v2"}, material=True, published_by="test")
    early, late = person("early@example.cn"), person("late@example.cn")
    submission(early, version=shorter.number)
    submission(late, version=longer.number)
    time_machine.move_to(START + timedelta(days=366), tick=False)
    retention_purge(actor=Actor.system("test"), dry_run=False, only="intake.submissions")
    assert not Submission.objects.filter(person=early).exists()
    assert Submission.objects.filter(person=late).exists()


def test_a_shorter_period_of_an_earlier_version_applies_to_its_consents_p23(time_machine, use_site):
    time_machine.move_to(START, tick=False)
    use_site.edit_in("retention.consents", "days = 1095", "days = 365")
    shorter = policy_publish(summary={"en": "v1"}, material=False, published_by="test")
    use_site.edit_in("retention.consents", "days = 365", "days = 1095")
    longer = policy_publish(summary={"en": "v2"}, material=True, published_by="test")
    early, late = person("early@example.cn"), person("late@example.cn")
    for someone, version in ((early, shorter), (late, longer)):
        for granted in (True, False):
            Consent.objects.create(
                person=someone,
                subject="sales",
                granted=granted,
                text="t",
                text_hash="0" * 64,
                language="en",
                method=ConsentMethod.FORM,
                policy_version=version.number,
            )
    time_machine.move_to(START + timedelta(days=366), tick=False)
    retention_purge(actor=Actor.system("test"), dry_run=False, only="people.consents")
    assert not Consent.objects.filter(person=early).exists()
    assert Consent.objects.filter(person=late).count() == 2


def test_a_row_that_stops_expiring_while_the_purge_runs_stays(time_machine):
    """Between reading a batch and deleting it, someone sends a form: they are kept."""
    time_machine.move_to(START, tick=False)
    returning = person("back@example.cn")
    time_machine.move_to(START + timedelta(days=731), tick=False)
    rule = rule_get("people.people")

    def expired_then_contacted(now):
        rows = rule.expired(now)
        if not Submission.objects.filter(person=returning).exists() and rows.exists():
            list(rows)  # read, as a batch is
            submission(returning)  # ... and the person comes back before the delete
        return rows

    rule_register(
        RetentionRule(
            key=rule.key,
            models=rule.models,
            expired=expired_then_contacted,
            remove=rule.remove,
            order=rule.order,
        )
    )
    try:
        retention_purge(actor=Actor.system("test"), dry_run=False, only=rule.key)
    finally:
        rule_register(rule)
    assert Submission.objects.filter(person=returning).exists()
