"""Periodic jobs: APScheduler inside ``pledge worker`` enqueues django-tasks tasks.

DESIGN.md asks for a maintained scheduler rather than cron. Every worker runs one
``BackgroundScheduler``; at each tick it claims the job's next run with a conditional UPDATE
(``ScheduledJob``), and only the worker whose UPDATE changed the row enqueues the task, so two
workers never run a period twice. The tasks are idempotent anyway (rollups upsert, retention
and salt deletion are "delete what is older than"), so a claim lost to a crash costs nothing
but a delay.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.db import IntegrityError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)
TOLERANCE = timedelta(seconds=2)  # a tick that fires a moment early still claims its run


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks task
    every: timedelta


PERIODIC_JOBS = (
    Job("tracking.refresh_rollups", "pledge.tracking.tasks.refresh_rollups", timedelta(minutes=5)),
    Job("tracking.forget_salts", "pledge.tracking.tasks.forget_salts", timedelta(minutes=30)),
    Job("mail.retry_waiting", "pledge.mail.tasks.retry_waiting", timedelta(minutes=2)),
    Job("meetings.send_reminders", "pledge.meetings.tasks.send_reminders", timedelta(minutes=10)),
    Job("people.purge", "pledge.people.tasks.purge", timedelta(hours=1)),
    Job("cases.remind", "pledge.cases.tasks.remind", timedelta(hours=1)),
    Job("inbox.poll", "pledge.inbox.tasks.poll", timedelta(minutes=1)),
    Job("vault.audit_checkpoint", "pledge.vault.tasks.checkpoint", timedelta(hours=1)),
    Job(
        "vault.forget_limit_counters",
        "pledge.vault.tasks.forget_limit_counters",
        timedelta(minutes=10),
    ),
)


def job_claim(job: Job, *, now=None) -> bool:
    """Claim the job's run due now; True for exactly one caller per period."""
    from pledge.models import ScheduledJob

    now = now or timezone.now()
    try:
        with transaction.atomic():
            ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    except IntegrityError:
        pass  # another worker created it at the same moment
    claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now + TOLERANCE).update(
        next_run_at=now + job.every, last_claimed_at=now
    )
    return claimed == 1


def task_of(job: Job):
    module, _, name = job.task.rpartition(".")
    return getattr(import_module(module), name)


def job_tick(job: Job) -> bool:
    """Claim the job's run, then enqueue it. Returns whether this worker enqueued."""
    if not job_claim(job):
        return False
    task_of(job).enqueue()
    return True


def scheduled_tick(job: Job) -> bool:
    """What the scheduler's thread runs: a tick that never kills the thread, then the
    thread's database connection given back (it lives outside any request)."""
    from django.db import close_old_connections

    try:
        return job_tick(job)
    except Exception:
        log.exception("periodic job %s could not be enqueued", job.name)
        return False
    finally:
        close_old_connections()


def scheduler_start(jobs=PERIODIC_JOBS):
    """Start the background scheduler with every periodic job; returns it (call shutdown())."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    start = timezone.now() + timedelta(seconds=5)
    for job in jobs:
        scheduler.add_job(
            scheduled_tick,
            "interval",
            args=[job],
            id=job.name,
            seconds=job.every.total_seconds(),
            next_run_time=start,
            coalesce=True,
            max_instances=1,
        )
    scheduler.start()
    return scheduler
