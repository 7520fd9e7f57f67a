"""Periodic work of tracking, enqueued by the scheduler in ``pledge worker`` (pledge/scheduler.py).

Thin tasks calling idempotent services: running one twice, or in two workers, is harmless.
"""

from django_tasks import task

from pledge.tracking.rollups import rollups_refresh
from pledge.tracking.services import request_log_prune, salts_forget


@task()
def refresh_rollups() -> int:
    return rollups_refresh()


@task()
def prune_request_log() -> int:
    return request_log_prune()


@task()
def forget_salts() -> int:
    return salts_forget()
