"""Cases: deadlines from the inventory, one service per transition with who and when, history
in the audit log, reminders before the deadline (P18, P24)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from pledge.cases.models import Case, CaseStatus, Identity
from pledge.cases.reminders import case_reminders_send
from pledge.cases.services import (
    CaseClosed,
    case_assign,
    case_complete,
    case_history,
    case_identity_set,
    case_open,
    case_refuse,
)
from pledge.mail.models import Message
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def complaint(actor, **extra):
    return case_open(
        kind="complaint",
        channel="email",
        actor=actor,
        requester_email="unhappy@example-mail.cn",
        details="You emailed me after I asked you not to.",
        language="en",
        **extra,
    )


def test_a_complaint_email_becomes_a_case_with_a_deadline_p24(
    privacy_officer, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = complaint(Actor.staff(privacy_officer))
    assert case.status == CaseStatus.RECEIVED
    assert case.due_at - case.opened_at == timedelta(days=30)  # [rights] deadline_days
    assert case.opened_by == "staff:pat"
    acknowledgement = next(
        m for m in smtp_server.messages if m.recipients == [case.requester_email]
    )
    assert case.reference in acknowledgement["Subject"]
    body = acknowledgement.get_body(("plain",)).get_content()
    assert f"{case.due_at.astimezone(SHANGHAI):%Y-%m-%d}" in body  # the reader's date


def test_deadlines_are_dated_in_shanghai_when_utc_is_a_day_behind(
    privacy_officer, local_new_year, time_machine
):
    """Opened at 00:00:01 on 1 January 2027 in Shanghai (31 December 2026 in UTC): due on
    31 January in Shanghai, 30 January in UTC. The requester, the officer's reminder and the
    console all read the Shanghai date."""
    case = complaint(Actor.staff(privacy_officer))
    assert f"{case.due_at:%Y-%m-%d}" == "2027-01-30"  # UTC, as stored
    received = Message.objects.get(kind="case_received")
    assert "2027-01-31" in received.body_text and "2027-01-30" not in received.body_text
    time_machine.move_to(case.due_at + timedelta(hours=1), tick=False)
    case_reminders_send()
    assert "2027-01-31 00:00" in reminders()[-1].body_text


def test_a_right_with_its_own_deadline_gets_it():
    case = case_open(
        kind="unsubscribe",
        channel="email",
        actor=Actor.system("test"),
        requester_email="a@b.cn",
        language="en",
    )
    assert case.due_at - case.opened_at == timedelta(days=2)  # unsubscribe: deadline_days = 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        case_open(
            kind="sale", channel="email", actor=Actor.system("test"), requester_email="a@b.cn"
        )


def test_the_case_finds_the_person_behind_the_address():
    person, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="Known@Acme-Robots.cn"
    )
    case = case_open(
        kind="access",
        channel="email",
        actor=Actor.system("test"),
        requester_email="known@acme-robots.cn",
    )
    assert case.person == person


def test_staff_without_manage_cases_cannot_open_or_work_a_case(sales_expert, privacy_officer):
    with pytest.raises(PermissionDenied):
        complaint(Actor.staff(sales_expert))
    assert AuditEntry.objects.filter(action="access.refused").exists()
    case = complaint(Actor.staff(privacy_officer))
    with pytest.raises(PermissionDenied):
        case_complete(case=case, actor=Actor.staff(sales_expert), resolution="no")


def test_each_transition_records_who_and_when_and_the_history_shows_it(
    privacy_officer, smtp_server, django_capture_on_commit_callbacks
):
    case = complaint(Actor.staff(privacy_officer))
    case = case_assign(case=case, owner=privacy_officer, actor=Actor.staff(privacy_officer))
    assert case.status == CaseStatus.IN_PROGRESS and case.assigned_by == "staff:pat"
    case = case_identity_set(
        case=case,
        identity=Identity.VERIFIED_STAFF,
        actor=Actor.staff(privacy_officer),
        note="called back",
    )
    assert case.verified_by == "staff:pat" and case.verified_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        case = case_complete(
            case=case,
            actor=Actor.staff(privacy_officer),
            resolution="We removed you from every list.",
        )
    assert case.status == CaseStatus.DONE and case.completed_at is not None
    answer = [m for m in smtp_server.messages if "Our answer" in m["Subject"]]
    assert "We removed you from every list." in answer[0].get_body(("plain",)).get_content()
    actions = [entry.action for entry in case_history(case)]
    assert actions == [
        "case.opened",
        "case.assigned",
        "case.identity",
        "case.completed",
    ]


def test_a_closed_case_takes_no_more_transitions(privacy_officer):
    case = complaint(Actor.staff(privacy_officer))
    case_refuse(
        case=case, actor=Actor.staff(privacy_officer), reason="We could not confirm who you are."
    )
    with pytest.raises(CaseClosed):
        case_complete(case=case, actor=Actor.staff(privacy_officer))
    with pytest.raises(ValueError):
        case_refuse(
            case=complaint(Actor.staff(privacy_officer)),
            actor=Actor.staff(privacy_officer),
            reason=" ",
        )


def test_only_case_workers_can_own_a_case(privacy_officer, marketer):
    with pytest.raises(PermissionDenied):
        case_assign(
            case=complaint(Actor.staff(privacy_officer)),
            owner=marketer,
            actor=Actor.staff(privacy_officer),
        )


# --- Reminders -----------------------------------------------------------------------------


def reminders() -> list[Message]:
    return list(Message.objects.filter(kind="case_reminder").order_by("id"))


def test_reminders_come_a_week_before_two_days_before_and_when_overdue(
    privacy_officer, time_machine
):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    case = complaint(Actor.staff(privacy_officer))
    case_assign(case=case, owner=privacy_officer, actor=Actor.staff(privacy_officer))
    assert case_reminders_send() == 0  # 30 days left
    time_machine.move_to(start + timedelta(days=24), tick=False)  # six days left
    assert case_reminders_send() == 1
    assert case_reminders_send() == 0  # idempotent: the level is claimed
    time_machine.move_to(start + timedelta(days=28, hours=1), tick=False)
    assert case_reminders_send() == 1
    time_machine.move_to(start + timedelta(days=31), tick=False)
    assert case_reminders_send() == 1
    assert case_reminders_send() == 0
    sent = reminders()
    assert [message.to for message in sent] == ["pat@letsgonex.com"] * 3  # the owner
    assert "Overdue" in sent[-1].subject or "逾期" in sent[-1].subject
    assert Case.objects.get(pk=case.pk).reminder_level == 3
    # No personal value in a reminder: reference, kind and deadline only.
    assert "unhappy@example-mail.cn" not in sent[-1].body_text


def test_a_case_without_owner_reminds_every_privacy_officer(privacy_officer, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    complaint(Actor.staff(privacy_officer))
    time_machine.move_to(start + timedelta(days=29), tick=False)
    case_reminders_send()
    assert [message.to for message in reminders()] == ["pat@letsgonex.com"]


def test_a_closed_case_is_not_reminded(privacy_officer, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    case = complaint(Actor.staff(privacy_officer))
    case_complete(case=case, actor=Actor.staff(privacy_officer))
    time_machine.move_to(start + timedelta(days=40), tick=False)
    assert case_reminders_send() == 0


def test_pledge_cases_remind_runs_the_same_service(privacy_officer, capsys):
    case = complaint(Actor.staff(privacy_officer))
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    call_command("cases", "remind")
    assert "reminded 1 case" in capsys.readouterr().out
    assert len(reminders()) == 1
