"""Background work of meetings, enqueued by the scheduler (pledge/scheduler.py)."""

from django_tasks import task

from pledge.meetings.scheduling import meetings_remind


@task()
def send_reminders() -> int:
    return meetings_remind()
