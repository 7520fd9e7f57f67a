"""Periodic work of tracking, enqueued by the scheduler in ``pledge worker`` (pledge/scheduler.py).

Thin tasks calling idempotent services: running one twice, or in two workers, is harmless.
"""

from django_tasks import task

from pledge.tracking.rollups import rollups_refresh
from pledge.tracking.services import salts_forget


@task()
def refresh_rollups() -> int:
    return rollups_refresh()


@task()
def forget_salts() -> int:
    return salts_forget()
