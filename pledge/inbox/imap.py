"""Reading the service mailbox over IMAP (``INBOUND_URL``), every minute.

Each message of the folder is stored (``inbound_receive``) and only then moved to the processed
folder (``INBOUND_PROCESSED_FOLDER``, created if missing): MOVE where the server has it, else
COPY, flag deleted and expunge. A message is never deleted before it is stored; if Pledge stops
half way, the next poll finds what is left, and receiving is idempotent, so a message stored but
not yet moved is neither stored nor acted on twice.
"""

import logging
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from imapclient import IMAPClient

from pledge.inbox.models import Source
from pledge.inbox.services import inbound_accept

log = logging.getLogger(__name__)
BATCH = 20  # messages fetched at once: a few MB in memory at most


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    secure: bool
    username: str
    password: str
    folder: str


@dataclass
class PollResult:
    seen: int = 0
    stored: int = 0  # new messages (a message stored by an earlier, interrupted poll: 0)
    moved: int = 0


def mailbox_from_url(url: str) -> Mailbox:
    """``imaps://user:password@host[:port]/INBOX``; ``imap://`` for a loopback test server."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ValueError("INBOUND_URL is not imaps://user:password@host[:port]/FOLDER")
    secure = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        secure=secure,
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def processed_folder(client: IMAPClient) -> str:
    """The processed folder in the server's own hierarchy separator, created if missing."""
    folders = client.list_folders()
    separator = folders[0][1].decode() if folders and folders[0][1] else "/"
    name = settings.INBOUND_PROCESSED_FOLDER.replace("/", separator)
    if not client.folder_exists(name):
        client.create_folder(name)
    return name


def messages_move(client: IMAPClient, uids: list[int], folder: str) -> None:
    if not uids:
        return
    if client.has_capability("MOVE"):
        client.move(uids, folder)
        return
    client.copy(uids, folder)
    client.delete_messages(uids)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()


def mailbox_poll(url: str = "", *, stop_after_storing: int | None = None) -> PollResult:
    """Store every message of the mailbox's folder, then move it out of the way.

    ``stop_after_storing`` (tests) stops as a crash would: after storing that many messages,
    before moving them.
    """
    mailbox = mailbox_from_url(url or settings.INBOUND_URL)
    result = PollResult()
    context = ssl.create_default_context() if mailbox.secure else None
    with IMAPClient(
        mailbox.host, port=mailbox.port, ssl=mailbox.secure, ssl_context=context, timeout=60
    ) as client:
        client.login(mailbox.username, mailbox.password)
        target = processed_folder(client)
        client.select_folder(mailbox.folder)
        uids = client.search("ALL")
        result.seen = len(uids)
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            stored = []
            for uid, data in client.fetch(batch, ["BODY.PEEK[]"]).items():
                raw = data.get(b"BODY[]")
                if raw is None:
                    continue  # expunged by someone else meanwhile
                _message, new = inbound_accept(raw, source=Source.IMAP)
                result.stored += int(new)
                stored.append(uid)
                if stop_after_storing is not None and len(stored) >= stop_after_storing:
                    raise PollInterrupted(result)
            messages_move(client, stored, target)
            result.moved += len(stored)
        client.logout()
    log.info("inbox poll: %s seen, %s moved", result.seen, result.moved)
    return result


class PollInterrupted(RuntimeError):
    """Raised by a test's ``stop_after_storing``: the poll stopped like a crash would."""

    def __init__(self, result: PollResult):
        super().__init__("poll interrupted")
        self.result = result
