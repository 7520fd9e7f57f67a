"""The project's own table: the periodic jobs' claims (pledge/scheduler.py)."""

from django.db import models


class ScheduledJob(models.Model):
    """When a periodic job is next due. Claiming it is a conditional UPDATE of this row, so
    two workers' schedulers never enqueue the same run twice (Healthchecks' sendalerts)."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
