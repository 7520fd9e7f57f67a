"""An SMTP (or LMTP) receiver for the service mailbox, for a mail server that hands mail on.

``pledge inbox serve --port N [--lmtp]``, or ``pledge worker --inbound-port N`` beside the
worker. It listens on 127.0.0.1 unless told otherwise (the mail server in front of it talks to
the internet, not Pledge), accepts only recipients at the service mailbox (``INBOUND_RECIPIENTS``),
refuses a message over ``INBOUND_SMTP_MAX_BYTES`` with 552, and answers 250 only once the
message is stored: a message it cannot store gets a temporary 451, so the sender tries again.
"""

import asyncio
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections, connections

from pledge.inbox.models import Source
from pledge.inbox.services import inbound_receive
from pledge.inventory.loader import current_inventory
from pledge.vault.keys import normalise_email

log = logging.getLogger(__name__)
# aiosmtpd logs every envelope address at INFO: personal data that has no place in the logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def accepted_recipients() -> set[str]:
    addresses = settings.INBOUND_RECIPIENTS or [current_inventory().organization.service_mailbox]
    return {normalise_email(address) for address in addresses if normalise_email(address)}


def receive_stored(raw: bytes, source: str) -> None:
    """Runs in a worker thread: the ORM is synchronous, and each thread has its connection,
    given back after each message (an idle receiver holds none)."""
    close_old_connections()
    try:
        inbound_receive(raw, source=source)
    finally:
        connections.close_all()


class InboxHandler:
    def __init__(self, *, source: str):
        self.source = source
        self.recipients = accepted_recipients()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if normalise_email(address) not in self.recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, receive_stored, raw, self.source)
        except Exception:  # the database did not answer: the sender keeps it and retries
            log.exception("inbound message not stored")
            return "451 4.3.0 Not stored, try again later"
        return "250 OK: stored"


class InboxController(Controller):
    def __init__(self, *, hostname: str, port: int, lmtp: bool = False):
        self.lmtp = lmtp
        super().__init__(
            InboxHandler(source=Source.LMTP if lmtp else Source.SMTP),
            hostname=hostname,
            port=port,
            data_size_limit=settings.INBOUND_SMTP_MAX_BYTES,
            ready_timeout=10,
        )

    def factory(self):
        server = LMTP if self.lmtp else SMTP
        return server(self.handler, **self.SMTP_kwargs)


def receiver_start(*, port: int, host: str = "127.0.0.1", lmtp: bool = False) -> InboxController:
    """Start listening in a thread of its own; ``.stop()`` ends it."""
    controller = InboxController(hostname=host, port=port, lmtp=lmtp)
    controller.start()
    log.info("inbox receiver (%s) on %s:%s", "LMTP" if lmtp else "SMTP", host, port)
    return controller
