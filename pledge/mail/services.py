"""Sending mail: render in the recipient's language, queue on commit, deliver from the worker.

``mail_send`` is the only way Pledge emails anyone. It renders the message's template trio
(``mail/<kind>-subject.txt``, ``-body.txt``, ``-body.html``) in the recipient's language, stores
it as a ``Message`` (encrypted, linked to the person for their timeline), and enqueues delivery
when the caller's transaction commits, so a rolled-back submission never sends its confirmation.

A private link (a portal, booking, guardian or newsletter link, whose token acts as a password)
never rests in a stored copy: the caller names it in ``links``, the templates render a
placeholder, and ``message_deliver`` puts the link in only as it hands the message to the mail
server, then forgets it. Staff reading the outbox or a timeline see that a link was sent, never
the link (SECURITY finding: support could open anyone's portal from the outbox).
"""

import logging
import re
from datetime import timedelta
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _

from pledge.dates import zone_or_site
from pledge.mail.attachments import attachments_filled
from pledge.mail.models import Message, MessageStatus
from pledge.metrics import instruments
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5

# What a template renders in place of a private link; never valid in a URL, so never a link.
PLACEHOLDER = "[pledge-private-link:{}]"
PLACEHOLDER_PATTERN = re.compile(r"\[pledge-private-link:(\w+)\]")


def single_line(text: str) -> str:
    """Header values never carry CR or LF (SECURITY.md I5): whitespace runs become one space."""
    return re.sub(r"\s+", " ", text).strip()


def render_message(
    kind: str, language: str, context: dict, time_zone: str = ""
) -> tuple[str, str, str]:
    """The trio in the reader's language and zone: ``|date`` shows the reader's date and time,
    whatever zone the request or worker that sends it runs in."""
    zone = zone_or_site(time_zone)
    context = {**context, "time_zone": zone}
    with translation.override(language), timezone.override(zone):
        subject = single_line(render_to_string(f"mail/{kind}-subject.txt", context))
        text = render_to_string(f"mail/{kind}-body.txt", context)
        try:
            html = render_to_string(f"mail/{kind}-body.html", context)
        except TemplateDoesNotExist:
            html = ""
    return subject, text, html


def path_in_language(path: str, language: str) -> str:
    """A site path as the recipient's language has it (``/en/demo/booking/x/`` for an English
    reader, ``/demo/booking/x/`` for a Chinese one), whatever language the sender's request
    runs in: the path is resolved in the language it was built in and reversed in the
    recipient's. A path that is no page of the site is left as it is."""
    if not path.startswith("/"):
        return path
    built_in = get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(built_in):
        return translate_url(path, language)


def mail_send(
    *,
    kind: str,
    to: str,
    language: str,
    context: dict,
    actor,
    person=None,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    hold: str = "",
    time_zone: str = "",
    links: dict[str, str] | None = None,
) -> Message:
    """Queue one email; it leaves when the surrounding transaction commits.

    ``attachments`` are ``{"filename", "content", "mimetype"}`` with text content (an .ics
    invite). ``headers`` values are flattened to one line each (I5). ``hold`` names the legal
    hold that keeps the message after its recipient is erased (an erasure certificate).
    ``time_zone`` is the recipient's when their record has one (an expert's); the site's
    otherwise. Templates get it as ``time_zone`` to name it beside a time. ``links`` are the
    private links by context name, as site paths (``{"link": "/privacy/my-data/<token>/"}``):
    the stored bodies hold a placeholder, the delivered ones the full URL.
    """
    to = single_line(to)
    # Every link is built in the recipient's language, not the sender's (a staff member's
    # English console must not send a Chinese visitor to /en/): private links and the
    # context's ``*_path`` values alike.
    private_links = {
        name: settings.PLEDGE_SITE_URL + path_in_language(path, language)
        for name, path in (links or {}).items()
    }
    context = {
        key: path_in_language(value, language)
        if key.endswith("_path") and isinstance(value, str)
        else value
        for key, value in context.items()
    }
    placeholders = {name: PLACEHOLDER.format(name) for name in private_links}
    subject, text, html = render_message(
        kind,
        language,
        {
            **context,
            **placeholders,
            "language": language,
            "site_url": settings.PLEDGE_SITE_URL,
            # The site's address with the recipient's language prefix (".../en" in English).
            "site_url_language": settings.PLEDGE_SITE_URL
            + path_in_language("/", language).rstrip("/"),
        },
        time_zone,
    )
    message = Message.objects.create(
        person=person,
        kind=kind,
        language=language,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers={single_line(k): single_line(str(v)) for k, v in (headers or {}).items()},
        attachments=attachments or [],
        private_links=private_links,
        hold=hold,
    )
    audit_record(actor=actor, action="mail.queued", target=message, details={"kind": kind})
    delivery_enqueue_on_commit(message.pk)
    return message


def enqueue_delivery(message_id: int) -> None:
    from pledge.mail.tasks import deliver

    deliver.enqueue(message_id)


def delivery_enqueue_on_commit(message_id: int) -> None:
    """Have the message delivered only if the caller's transaction commits.

    A queue kept in this database (``django_tasks_db``, the default) takes the task inside the
    transaction: the task commits or rolls back with its message, and no worker sees it
    before the commit. That spares a write of its own after the commit for each email, which
    on SQLite is one more wait for the write lock (bench/bench_forms.py). Any other queue
    (the tests run tasks at once) is told after the commit.
    """
    from django_tasks_db import DatabaseBackend

    from pledge.mail.tasks import deliver

    connection = transaction.get_connection()
    if connection.in_atomic_block and isinstance(deliver.get_backend(), DatabaseBackend):
        deliver.enqueue(message_id)
    else:
        transaction.on_commit(lambda: enqueue_delivery(message_id))


def links_fill(body: str, links: dict[str, str], *, html: bool = False) -> str:
    """The body as the recipient gets it: each placeholder replaced by its private link."""

    def link(match: re.Match) -> str:
        url = links.get(match[1], "")
        return escape(url) if html else url

    return PLACEHOLDER_PATTERN.sub(link, body)


def message_shown(message: Message) -> str:
    """The plain body as staff and exports show it: where a private link went, a note saying so
    in the reader's language (the active one), never the link."""
    note = _("[a private link, in the recipient's copy only]")
    return PLACEHOLDER_PATTERN.sub(note, message.body_text)


def message_delivered_copy(*, message: Message, actor) -> str | None:
    """The plain body with its private links, as the recipient received it.

    Only while no mail server is configured (``EMAIL_URL=outbox:``, the embedded default), where
    the outbox stands in for the recipients' mailboxes so a newcomer can follow the demo's links,
    and only for the administrator (who runs the console, ``manage_staff``). With a mail server
    the links left with the message and nobody can read them here: None.
    """
    access_require(actor, "manage_staff", target=message)
    held = message.status == MessageStatus.HELD and getattr(get_connection(), "holds_mail", False)
    if not held:
        return None
    audit_record(actor=actor, action="mail.delivered_copy_viewed", target=message)
    return links_fill(message.body_text, message.private_links)


# --- Handing an email to the mail server: the one path for messages and campaigns ---------------

# What the DKIM signature covers: the headers a reader and a filter rely on, the unsubscribe
# headers among them (RFC 8058 requires them signed).
DKIM_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Precedence",
)


def sender_domain() -> str:
    """The domain of the From address (what DKIM signs for and Message-IDs end with)."""
    return parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].rpartition("@")[2].lower()


def message_id_header(message: Message) -> str:
    """The same Message-ID at every attempt: a message sent again after its worker died
    between the mail server's acceptance and its own record of it reaches its reader under
    the same id, which mail clients show once. Keyed, so it names no database row."""
    seal = salted_hmac("pledge.mail.message-id", str(message.public_id), algorithm="sha256")
    return f"<{seal.hexdigest()[:32]}@{sender_domain()}>"


@lru_cache(maxsize=4)
def dkim_key(path: str, modified: float) -> bytes:
    return Path(path).read_bytes()


def dkim_signer() -> tuple[bytes, bytes, bytes] | None:
    """(selector, domain, private key) when DKIM is configured, else None."""
    path = getattr(settings, "PLEDGE_DKIM_KEY_FILE", "")
    selector = getattr(settings, "PLEDGE_DKIM_SELECTOR", "")
    domain = sender_domain()
    if not (path and selector and domain):
        return None
    key = dkim_key(path, Path(path).stat().st_mtime)
    return selector.encode(), domain.encode(), key


class SignedMessage:
    """The MIME message as it leaves, with its DKIM-Signature in front: the exact bytes signed
    are the bytes sent (re-generating a message can fold its headers differently)."""

    def __init__(self, message, raw: bytes):
        self.message = message
        self.raw = raw

    def as_bytes(self, unixfrom=False, linesep="\n", **kwargs) -> bytes:
        return self.raw if linesep == "\r\n" else self.raw.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n", **kwargs) -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "replace")

    def __getattr__(self, name):
        return getattr(self.message, name)

    def __getitem__(self, name):
        return self.message[name]


class NotSent(Exception):
    """The message could not even be built or signed (a DKIM key gone, say): nothing was handed
    to the mail server, so it may be tried again without anyone getting it twice."""


class OutgoingEmail(EmailMultiAlternatives):
    """Django's email, signed with DKIM as it is turned into bytes when a key is configured.
    Built once (``built``), before the connection is used, so a failure to build is told apart
    from a failure to send (``NotSent``)."""

    built = None

    def message(self, *args, **kwargs):
        if self.built is None:
            self.built = self.signed(super().message(*args, **kwargs))
        return self.built

    def signed(self, message):
        signer = dkim_signer()
        if signer is None:
            return message
        selector, domain, key = signer
        raw = message.as_bytes(linesep="\r\n")
        present = [name.encode() for name in DKIM_HEADERS if message[name] is not None]
        signature = dkim.sign(
            raw,
            selector,
            domain,
            key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=present,
        )
        return SignedMessage(message, signature + raw)


def email_send(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    connection=None,
) -> None:
    """Hand one email to the mail server, DKIM-signed when ``PLEDGE_DKIM_KEY_FILE`` and
    ``PLEDGE_DKIM_SELECTOR`` are set; raises ``NotSent`` when it could not be built or signed,
    else what the transport raises. Used by
    ``message_deliver`` and by campaigns, so every email leaves the same way and is counted
    here (``pledge_mail_sent_total``, ``pledge_mail_failed_total``)."""
    email = OutgoingEmail(
        subject=single_line(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[single_line(to)],
        headers={single_line(k): single_line(str(v)) for k, v in (headers or {}).items()},
        connection=connection or get_connection(),
    )
    if html:
        email.attach_alternative(html, "text/html")
    for attachment in attachments or []:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    try:
        email.message()
    except Exception as error:
        instruments().mail_failed.inc()
        raise NotSent(f"{type(error).__name__}: {error}") from error
    try:
        email.send()
    except Exception:
        instruments().mail_failed.inc()
        raise
    instruments().mail_sent.inc()


def message_deliver(message_id: int) -> str:
    """Deliver one queued message; safe to run twice (the claim is a conditional update)."""
    claimed = Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    message = Message.objects.get(pk=message_id)
    wanted = set(PLACEHOLDER_PATTERN.findall(message.body_text + message.body_html))
    if wanted - message.private_links.keys():
        # Its link is gone (a failed message re-queued by hand): never send it without.
        message.status = MessageStatus.FAILED
        message.error = "a private link of the message is no longer kept"
        message.save(update_fields=["status", "error"])
        return message.status
    connection = get_connection()
    if getattr(connection, "holds_mail", False):
        message.status = MessageStatus.HELD
        message.save(update_fields=["status"])
        return message.status
    try:
        email_send(
            to=message.to,
            subject=message.subject,
            text=links_fill(message.body_text, message.private_links),
            html=links_fill(message.body_html, message.private_links, html=True)
            if message.body_html
            else "",
            headers={"Message-ID": message_id_header(message), **message.headers},
            attachments=attachments_filled(message.attachments, message.private_links),
            connection=connection,
        )
    except Exception as error:  # any transport failure: retried, then marked failed
        failed = message.attempts >= MAX_ATTEMPTS
        message.status = MessageStatus.FAILED if failed else MessageStatus.QUEUED
        message.error = f"{type(error).__name__}: {getattr(error, 'smtp_code', '')}"[:300]
        if failed:  # it will never leave: its links have no one left to reach
            message.private_links = {}
        message.save(update_fields=["status", "error", "private_links"])
        log.warning("message %s not delivered (%s)", message.public_id, message.error)
        return message.status
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.private_links = {}  # the mail server has them now; no copy here keeps them
    message.save(update_fields=["status", "sent_at", "error", "private_links"])
    return message.status


def messages_retry() -> int:
    """Re-queue messages whose delivery failed or whose worker died mid-send (SECURITY.md R4)."""
    now = timezone.now()
    stuck = Message.objects.filter(
        status=MessageStatus.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.PLEDGE_MAIL_STUCK_SECONDS),
    )
    candidates = list(stuck.values_list("pk", flat=True)[:500])
    # The same conditions again: a message claimed anew meanwhile stays with its worker.
    stuck.filter(pk__in=candidates).update(status=MessageStatus.QUEUED)
    requeued = list(
        Message.objects.filter(pk__in=candidates, status=MessageStatus.QUEUED).values_list(
            "pk", flat=True
        )
    )
    # Fresh messages already have their delivery task queued; wake only those left behind.
    waiting = list(
        Message.objects.filter(
            status=MessageStatus.QUEUED, created_at__lt=now - timedelta(minutes=2)
        )
        .exclude(pk__in=requeued)
        .values_list("pk", flat=True)[:500]
    )
    # A stuck message's task died with its worker: it gets a new one at once, whatever its age.
    for message_id in [*requeued, *waiting]:
        enqueue_delivery(message_id)
    return len(requeued) + len(waiting)


def outbox(*, actor):
    """Every message Pledge sent or holds, newest first (the service mailbox's team)."""
    access_require(actor, "read_mailbox")
    # The list shows who, what and when: the bodies stay encrypted until a message is opened.
    hidden = ("body_text", "body_html", "headers", "attachments", "private_links")
    return Message.objects.defer(*hidden).order_by("-created_at", "-id")


def message_view(*, message: Message, actor) -> Message:
    """Open one message (personal data): allowed to the mailbox team, and audited."""
    access_require(actor, "read_mailbox", target=message)
    audit_record(actor=actor, action="mail.viewed", target=message)
    return message
