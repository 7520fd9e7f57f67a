"""Background work of the mail app: thin tasks that take ids and call a service."""

from django_tasks import task

from pledge.mail.campaigns import campaign_send_batch, campaigns_wake
from pledge.mail.services import message_deliver, messages_retry


@task()
def deliver(message_id: int) -> str:
    return message_deliver(message_id)


@task()
def send_campaign_batch(campaign_id: int) -> int:
    """One batch of a campaign at its rate; it enqueues the next while the campaign sends."""
    return campaign_send_batch(campaign_id)


@task()
def retry_waiting() -> int:
    """Every 2 minutes: messages left behind, and campaigns whose task was lost."""
    return messages_retry() + campaigns_wake()
