"""Background work of the mail app: thin tasks that take ids and call a service."""

from django_tasks import task

from pledge.mail.services import message_deliver, messages_retry


@task()
def deliver(message_id: int) -> str:
    return message_deliver(message_id)


@task()
def retry_waiting() -> int:
    return messages_retry()
