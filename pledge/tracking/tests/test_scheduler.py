"""Periodic jobs: two workers' schedulers never enqueue the same run twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pledge.scheduler import PERIODIC_JOBS, job_claim, job_tick, task_of

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ROLLUPS = next(job for job in PERIODIC_JOBS if job.name == "tracking.refresh_rollups")


def test_a_run_is_claimed_once_then_again_after_its_interval():
    now = timezone.now()
    assert job_claim(ROLLUPS, now=now) is True
    assert job_claim(ROLLUPS, now=now) is False  # the second worker's tick at the same time
    assert job_claim(ROLLUPS, now=now + timedelta(minutes=1)) is False
    assert job_claim(ROLLUPS, now=now + ROLLUPS.every) is True


def test_every_periodic_job_names_a_task_that_runs():
    for job in PERIODIC_JOBS:
        assert hasattr(task_of(job), "enqueue"), job.name
        assert job_tick(job) is True  # enqueued (and, in tests, run at once)
        assert job_tick(job) is False
