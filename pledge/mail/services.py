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

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from pledge.dates import zone_or_site
from pledge.mail.models import Message, MessageStatus
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=10)

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
    private_links = {name: settings.PLEDGE_SITE_URL + path for name, path in (links or {}).items()}
    placeholders = {name: PLACEHOLDER.format(name) for name in private_links}
    subject, text, html = render_message(
        kind,
        language,
        {**context, **placeholders, "language": language, "site_url": settings.PLEDGE_SITE_URL},
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
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message


def enqueue_delivery(message_id: int) -> None:
    from pledge.mail.tasks import deliver

    deliver.enqueue(message_id)


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
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=links_fill(message.body_text, message.private_links),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=message.headers,
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(
            links_fill(message.body_html, message.private_links, html=True), "text/html"
        )
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    try:
        email.send()
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
        status=MessageStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
    ).update(status=MessageStatus.QUEUED)
    # Fresh messages already have their delivery task queued; wake only those left behind.
    waiting = list(
        Message.objects.filter(
            status=MessageStatus.QUEUED, created_at__lt=now - timedelta(minutes=2)
        ).values_list("pk", flat=True)[:500]
    )
    for message_id in waiting:
        enqueue_delivery(message_id)
    return stuck + len(waiting)


def outbox(*, actor):
    """Every message Pledge sent or holds, newest first (the service mailbox's team)."""
    access_require(actor, "read_mailbox")
    return Message.objects.order_by("-created_at")


def message_view(*, message: Message, actor) -> Message:
    """Open one message (personal data): allowed to the mailbox team, and audited."""
    access_require(actor, "read_mailbox", target=message)
    audit_record(actor=actor, action="mail.viewed", target=message)
    return message


def messages_purge(*, kind: str, before, dry_run: bool = False, hold: str = "") -> int:
    """Delete messages of ``kind`` written before ``before``: mail whose only use has passed
    (a portal link once the link expired; a certificate once its legal hold ended)."""
    old = Message.objects.filter(kind=kind, created_at__lt=before, hold=hold)
    return old.count() if dry_run else old.delete()[0]
