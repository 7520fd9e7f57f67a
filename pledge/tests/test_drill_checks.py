"""The drill's checks fail when what they guard is broken (drill/checks.py): each is fed a
made-up log of what clients were told, and the database or mail server disagreeing with it.

The drill itself (`make drill`) runs the real cluster; these tests make sure a pass there
cannot come from a check that never fails.
"""

import threading
import time
from types import SimpleNamespace

import pytest
from django.utils import timezone

from drill.checks import (
    errors_check,
    events_check,
    faults_check,
    forms_check,
    limits_check,
    sessions_check,
)
from drill.run import FORMS, Fault
from drill.traffic import Log, Record


def passed(rows) -> dict[str, bool]:
    return {name: ok for name, _, ok in rows}


def mail_server(*recipients: str):
    return SimpleNamespace(
        lock=threading.Lock(),
        received=[(f"<{to}>", to, "We received your request") for to in recipients],
    )


@pytest.mark.clock  # a page view is stored with its time
@pytest.mark.django_db
def test_an_acknowledged_event_missing_from_the_database_fails():
    from pledge.tracking.models import PageView

    log = Log()
    log.events_acknowledged = ["a" * 32, "b" * 32]
    PageView.objects.create(event_id="a" * 32, at=timezone.now(), path="/")
    assert passed(events_check(log))["beacon events lost"] is False
    PageView.objects.create(event_id="b" * 32, at=timezone.now(), path="/")
    assert passed(events_check(log))["beacon events lost"] is True


@pytest.mark.django_db
def test_a_thanked_visitor_with_nothing_stored_or_no_email_fails():
    log = Log()
    log.forms_acknowledged = [(form, f"drill-{index:012x}") for index, form in enumerate(FORMS)]
    log.forms_sent = list(log.forms_acknowledged)
    outcome = passed(forms_check(SimpleNamespace(mail=mail_server()), log))
    assert outcome["form submissions lost"] is False
    assert outcome["visitors thanked but sent no email"] is False
    assert outcome["form submissions acknowledged"] is True  # every kind of form was sent


def test_a_staff_page_answered_signed_out_or_by_one_server_only_fails():
    log = Log()
    log.staff_pages = [("drill0", "127.0.0.1:1", True), ("drill0", "127.0.0.1:1", True)]
    assert passed(sessions_check(log))["staff pages signed in (on app servers)"] is False
    log.staff_pages.append(("drill0", "127.0.0.1:2", False))
    assert passed(sessions_check(log))["staff sessions lost"] is False


def test_more_than_the_limit_in_one_window_fails_and_two_windows_allow_two_limits(settings):
    settings.PLEDGE_BEACON_RATE_LIMIT, settings.PLEDGE_FORM_LIMIT_PER_IP = 240, 20
    over = passed(limits_check((480, 241, 1), (30, 20, 1)))
    assert over["beacon limit 240/min, one address"] is False
    across = passed(limits_check((480, 300, 2), (30, 20, 1)))
    assert across["beacon limit 240/min, one address"] is True
    assert (
        passed(limits_check((480, 240, 1), (30, 21, 1)))["form limit 20/hour, one address"] is False
    )


@pytest.mark.clock
def test_an_error_outside_every_fault_window_fails():
    now = time.time()
    fault = Fault("restart Redis", now - 10, recovered=now - 9)
    log = Log()
    log.requests = [Record(now - 9.5, "page", 500), Record(now - 8, "page", 200)]
    assert passed(errors_check(log, [fault]))["errors outside fault windows"] is True
    log.requests.append(Record(now, "page", 502))
    assert passed(errors_check(log, [fault]))["errors outside fault windows"] is False


@pytest.mark.clock
def test_a_fault_never_recovered_from_or_a_kill_of_an_idle_worker_fails():
    now = time.time()
    never = Fault("restart Redis", now)
    idle = Fault("kill -9 worker 1 mid-task, restart", now, recovered=now, mid_task=False)
    outcome = passed(faults_check([never, idle]))
    assert outcome["faults not recovered from"] is False
    assert outcome["worker killed while idle"] is False
