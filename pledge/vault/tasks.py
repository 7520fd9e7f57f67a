"""Background work of the vault: thin tasks calling services."""

from django_tasks import task

from pledge.vault.audit import audit_checkpoint
from pledge.vault.limits import counters_expired_delete


@task()
def checkpoint() -> int:
    """The audit chain's hourly checkpoint (pledge/scheduler.py); the sequence it pinned, or 0
    when nothing was appended. Raises, and so fails loudly in the worker's log, when the chain
    or the checkpoint file no longer fits."""
    published = audit_checkpoint()
    return published.sequence if published else 0


@task()
def forget_limit_counters() -> int:
    """Delete the rate limits' expired counters (pledge/scheduler.py); how many. Live ones stay,
    however many there are (pledge/vault/limits.py)."""
    return counters_expired_delete()
