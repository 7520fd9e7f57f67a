"""Background work of the inbox: polling the service mailbox, a thin task."""

from django.conf import settings
from django_tasks import task


@task()
def poll() -> int:
    """Read the service mailbox once (every minute, from the scheduler); nothing to do, and
    returns at once, when INBOUND_URL is unset."""
    if not settings.INBOUND_URL:
        return 0
    from pledge.inbox.imap import mailbox_poll

    return mailbox_poll().stored
