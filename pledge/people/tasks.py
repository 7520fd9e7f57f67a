"""Background work of people: the hourly purge of what has outlived its retention."""

from django_tasks import task

from pledge.people.retention import retention_purge
from pledge.vault.actors import Actor


@task()
def purge() -> int:
    """What ``pledge purge --yes`` deletes, run by the scheduler (pledge/scheduler.py)."""
    return retention_purge(actor=Actor.system("purge"), dry_run=False).total
