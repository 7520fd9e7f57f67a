"""Background work of the cases app: thin tasks calling services."""

from django_tasks import task

from pledge.cases.reminders import case_reminders_send


@task()
def remind() -> int:
    """Deadline reminders; idempotent, so the scheduler may run it as often as it likes."""
    return case_reminders_send()
