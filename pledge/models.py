"""The project's own tables: the periodic jobs' claims (pledge/scheduler.py) and the workers'
heartbeats (pledge/health.py)."""

from django.db import models


class ScheduledJob(models.Model):
    """When a periodic job is next due. Claiming it is a conditional UPDATE of this row, so
    two workers' schedulers never enqueue the same run twice (Healthchecks' sendalerts)."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class WorkerHeartbeat(models.Model):
    """A running ``pledge worker`` (``host:pid``) and when it last said so, every 15 seconds.

    ``/readyz`` is ready only while some worker was seen within a minute (pledge/health.py).
    A worker stopping cleanly deletes its row; a crashed one's row goes after a day.
    """

    worker = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return self.worker
