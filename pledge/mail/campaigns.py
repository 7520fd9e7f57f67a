"""Campaigns to a mailing list, and the notices the law requires (P13, P14, P17, P23).

A campaign is written as a draft (subject and Markdown body in every site language), then
started: its recipients are resolved at that moment, never earlier, into ``CampaignRecipient``
rows, and a task sends them at the campaign's rate. Who may be reached is the purpose gate's
answer (``people.gate.audience``, the bulk form of ``may``) over the people subscribed to the
list, minus addresses that bounced or complained (``suppressions``) and people with no address
left; the gate is asked again, chunk by chunk, as the mail leaves, so a person who unsubscribed,
bounced or was erased since the start is skipped.

Each row is claimed with a conditional UPDATE (queued to sending) before its message is handed
to the mail server, and marked sent or failed after. A row a dead worker left in ``sending`` is
marked ``interrupted`` and never sent again: nobody gets two copies.

No ``Message`` row per recipient: the body is rendered once per language and batch, and only the
links differ. No tracking of any kind: no pixel, no redirected link.
"""

import contextlib
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from smtplib import SMTPConnectError, SMTPDataError, SMTPRecipientsRefused, SMTPSenderRefused

import css_inline
import nh3
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from markdown_it import MarkdownIt

from pledge.dates import site_zone
from pledge.inventory.loader import current_inventory, current_site
from pledge.inventory.models import PolicyVersion
from pledge.mail.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from pledge.mail.preferences import preference_token
from pledge.mail.services import NotSent, email_send, sender_domain, single_line
from pledge.mail.subscriptions import list_name, list_subject
from pledge.people import gate
from pledge.people.agreements import agreement_needed
from pledge.people.models import Person
from pledge.vault.access import access_require, has_access
from pledge.vault.audit import actor_label, audit_record
from pledge.vault.keys import current_ring, normalise_email

log = logging.getLogger(__name__)

# A row claimed longer ago than this belongs to a worker that died: it is never sent again.
STALE_AFTER = timedelta(minutes=5)
# How many messages leave between two looks at the gate (unsubscribed, bounced, erased since).
CHECK_EVERY = 50
# A task run sends about this many seconds' worth of messages at the campaign's rate (at most
# BATCH_MAX), then enqueues the next run: the worker is never held long from other mail (a
# portal link, a confirmation) waiting behind a campaign.
BATCH_SECONDS = 5
BATCH_MAX = 1000
# Outcomes that say something is wrong on our side; this many in a row stop the run.
TROUBLE = (RecipientStatus.QUEUED, RecipientStatus.INTERRUPTED)
TROUBLE_STOPS = 3
CREATE_CHUNK = 5000
NOTICE_KINDS = (CampaignKind.POLICY_NOTICE, CampaignKind.ACQUISITION_NOTICE)

# Left in the rendered bodies and filled per recipient as the message leaves.
UNSUBSCRIBE_PLACEHOLDER = "PLEDGE-UNSUBSCRIBE-URL"
PREFERENCES_PLACEHOLDER = "PLEDGE-PREFERENCES-URL"
# A policy notice's paragraph for the people whose data the new version would protect less
# (P23): kept, with their link to agree, only in their copy; cut from everyone else's.
AGREE_PLACEHOLDER = "PLEDGE-AGREE-URL"
AGREE_START, AGREE_END = "PLEDGE-AGREE-START", "PLEDGE-AGREE-END"
AGREE_BLOCK = re.compile(rf"(?:<p[^>]*>\s*)?{AGREE_START}.*?{AGREE_END}(?:\s*</p>)?\n*", re.DOTALL)
AGREE_MARKERS = re.compile(rf"(?:<p[^>]*>\s*)?(?:{AGREE_START}|{AGREE_END})(?:\s*</p>)?\n*")

# Why people were left out, as a campaign stores it (``Campaign.excluded``) and pages read it.
UNSUBSCRIBED = "unsubscribed"
NO_ADDRESS = "no_address"
SUPPRESSED = "suppressed"
EXCLUDED_LABELS = {
    gate.DO_NOT_CONTACT: gettext_lazy("asked not to be contacted"),
    gate.ORGANIZATION_DO_NOT_CONTACT: gettext_lazy("their organisation asked not to be contacted"),
    gate.NO_CONSENT: gettext_lazy("no consent to this list"),
    gate.WITHDRAWN: gettext_lazy("withdrew consent"),
    UNSUBSCRIBED: gettext_lazy("withdrew consent"),
    gate.NOT_DECLARED: gettext_lazy(
        "consent given under a policy version that did not declare this use"
    ),
    gate.USE_UNDECLARED: gettext_lazy("the list's purpose is no longer declared"),
    NO_ADDRESS: gettext_lazy("erased"),
    SUPPRESSED: gettext_lazy("address bounced or complained"),
}


class CampaignError(ValueError):
    """A campaign cannot be written or moved this way; the message says what to do."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Audience:
    count: int
    sample: list
    excluded: dict[str, int]


@dataclass(frozen=True)
class Report:
    """Counts of a campaign's recipients.

    ``total`` and each ``by_language[<code>]`` are dicts with the keys ``queued``, ``sending``,
    ``sent``, ``failed``, ``skipped``, ``interrupted``, ``cancelled`` (the rows by status, which
    add up to the recipients), and ``bounced``, ``unsubscribed``, ``complained`` (what came back
    after sending, counted among the rows above). ``excluded`` is who was left out at the start,
    by translated reason.
    """

    total: dict[str, int]
    by_language: dict[str, dict[str, int]]
    excluded: dict[str, int]


def site_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def excluded_labels(excluded: dict[str, int]) -> dict[str, int]:
    """Reason codes as the reader reads them (the active language); reasons with no one in
    them left out; codes sharing a label added up."""
    labels: dict[str, int] = {}
    for code, count in excluded.items():
        if count > 0:
            label = str(EXCLUDED_LABELS.get(code, code))
            labels[label] = labels.get(label, 0) + count
    return labels


def permission_of(campaign_or_kind) -> str:
    kind = getattr(campaign_or_kind, "kind", campaign_or_kind)
    return "manage_cases" if kind in NOTICE_KINDS else "manage_lists"


# --- Drafts ----------------------------------------------------------------------------------


def texts_check(name: str, subject: dict, body: dict) -> tuple[str, dict, dict]:
    name = single_line(name or "")
    if not name:
        raise CampaignError(_("Give the campaign a name, for the campaign list."))
    if len(name) > 200:
        raise CampaignError(_("Shorten the campaign's name to 200 characters or fewer."))
    subjects, bodies = {}, {}
    for language, language_name in settings.LANGUAGES:
        subjects[language] = single_line(str((subject or {}).get(language) or ""))
        bodies[language] = str((body or {}).get(language) or "").strip()
        if not subjects[language] or not bodies[language]:
            raise CampaignError(
                _("Write the subject and the text in %(language)s too: every reader gets theirs.")
                % {"language": language_name}
            )
        if len(subjects[language]) > 200:
            raise CampaignError(_("Shorten each subject to 200 characters or fewer."))
    return name, subjects, bodies


def campaign_create(
    *, actor, list_key: str, name: str, subject: dict[str, str], body: dict[str, str]
) -> Campaign:
    """A draft to a declared mailing list; nothing is resolved or sent until it is started."""
    access_require(actor, "manage_lists")
    if list_key not in current_inventory().mailing_lists:
        raise CampaignError(
            _("Choose one of the mailing lists the inventory declares; “%(list)s” is not one.")
            % {"list": list_key}
        )
    name, subjects, bodies = texts_check(name, subject, body)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=CampaignKind.LIST,
            list_key=list_key,
            name=name,
            subject=subjects,
            body=bodies,
            created_by=actor_label(actor),
        )
        audit_record(
            actor=actor, action="campaign.created", target=campaign, details={"list": list_key}
        )
    return campaign


def campaign_update(*, campaign: Campaign, actor, name, subject, body) -> Campaign:
    """Change a draft's name and texts; a campaign that started is kept as it was sent."""
    access_require(actor, permission_of(campaign), target=campaign)
    if campaign.kind != CampaignKind.LIST:
        raise CampaignError(_("A notice's text comes from its template: it cannot be edited."))
    name, subjects, bodies = texts_check(name, subject, body)
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
            name=name, subject=subjects, body=bodies, updated_at=timezone.now()
        )
        if not updated:
            raise CampaignError(
                _("Only a draft can be changed; this campaign has started. Copy it into a new one.")
            )
        audit_record(actor=actor, action="campaign.updated", target=campaign)
    campaign.refresh_from_db()
    return campaign


def campaigns_list(*, actor):
    """The campaigns the actor may manage (lists: ``manage_lists``; notices: ``manage_cases``),
    newest first."""
    kinds = []
    if has_access(actor, "manage_lists"):
        kinds.append(CampaignKind.LIST)
    if has_access(actor, "manage_cases"):
        kinds.extend(NOTICE_KINDS)
    if not kinds:
        access_require(actor, "manage_lists")
    return Campaign.objects.filter(kind__in=kinds).order_by("-created_at", "-id")


# --- Rendering -------------------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def markdown_html(source: str) -> str:
    """Markdown as the small, safe HTML an email may hold: no script, no style, no image (an
    image from elsewhere is a tracking pixel), links to http, https and mailto only."""
    return nh3.clean(
        MARKDOWN.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def markdown_text(source: str) -> str:
    """The plain part: the Markdown as written, its links as ``text (address)``."""

    def link(match: re.Match) -> str:
        text, url = match[1].strip(), match[2]
        if match[0].startswith("!"):
            return text  # an image: its description only
        return url if not text or text == url else f"{text} ({url})"

    text = MARKDOWN_LINK.sub(link, source.replace("\r\n", "\n"))
    text = AUTOLINK.sub(r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def placeholders_removed(text: str, *, keep_agreement: bool = False) -> str:
    """Staff text cannot smuggle in a recipient's link (only a policy notice, written from its
    template and never by staff, keeps its paragraph asking to agree)."""
    text = text.replace(UNSUBSCRIBE_PLACEHOLDER, "").replace(PREFERENCES_PLACEHOLDER, "")
    if not keep_agreement:
        for placeholder in (AGREE_PLACEHOLDER, AGREE_START, AGREE_END):
            text = text.replace(placeholder, "")
    return text


def campaign_render(campaign: Campaign, language: str) -> Rendered:
    """The message in ``language`` as every recipient of that language gets it, with the
    unsubscribe and preference links left as placeholders (filled as each message leaves).

    A list campaign's footer names the list the reader subscribed to; a notice's says why it
    comes (we hold their data) and that it cannot be unsubscribed from.
    """
    if language not in campaign.subject:
        language = settings.LANGUAGE_CODE
    site = current_site()
    source = placeholders_removed(
        campaign.body.get(language, ""),
        keep_agreement=campaign.kind == CampaignKind.POLICY_NOTICE,
    )
    notice = campaign.kind in NOTICE_KINDS
    with translation.override(language):
        name_of_list = "" if notice else list_name(campaign.list_key, language)
        context = {
            "site": site,
            "language": language,
            "subject": campaign.subject.get(language, ""),
            "content": markdown_html(source),
            "text": markdown_text(source),
            "notice": notice,
            "list_name": name_of_list,
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "preferences_url": PREFERENCES_PLACEHOLDER,
        }
        html = render_to_string("mail/campaign-body.html", context)
        text = render_to_string("mail/campaign-body.txt", context)
    return Rendered(
        subject=single_line(campaign.subject.get(language, "")),
        text=text.strip() + "\n",
        html=INLINER.inline(html),
    )


# --- Who it reaches --------------------------------------------------------------------------


def mailing_of(campaign: Campaign) -> tuple[gate.Mailing, str]:
    """What the gate knows the campaign as, and the consent it needs (a list's ``list:<key>``)."""
    if campaign.kind in NOTICE_KINDS:
        return gate.MAILINGS[campaign.kind], ""
    declared = current_inventory().mailing_lists.get(campaign.list_key)
    kind = declared.kind if declared else "marketing"
    return gate.MAILINGS[kind], list_subject(campaign.list_key)


def suppressed_person_digests() -> set[str]:
    """Every suppressed address as ``Person.email_index`` would hold it, under every key of the
    ring: the (small) suppression list decrypted once, so a whole list is matched in Python."""
    field = Person._meta.get_field("email_index")
    context, ring = field.context(), current_ring()
    digests: set[str] = set()
    for email in Suppression.objects.values_list("email", flat=True).iterator(chunk_size=2000):
        normalised = normalise_email(email or "")
        if normalised:
            digests.update(ring.digests(normalised, context=context))
    return digests


def suppressed_among(people: dict[int, str]) -> set[int]:
    """Which of ``{person id: email}`` are suppressed (one query for a chunk of people)."""
    field = Suppression._meta.get_field("email_index")
    wanted: dict[str, int] = {}
    for person_id, email in people.items():
        for digest in field.lookup_digests(email or ""):
            wanted[digest] = person_id
    found = Suppression.objects.filter(email_index__in=list(wanted)).values_list(
        "email_index", flat=True
    )
    return {wanted[digest] for digest in found}


def count(excluded: dict[str, int], reason: str, number: int = 1) -> None:
    if number:
        excluded[reason] = excluded.get(reason, 0) + number


def recipients_resolve(
    campaign: Campaign, *, person_ids=None, emails: dict[int, str] | None = None
) -> tuple[list[int], dict[str, int]]:
    """The ids of the people the campaign may reach now, and the reason codes of those left
    out with their counts.

    List campaigns start from the people with a subscription row on the list (a withdrawn one
    counts as ``unsubscribed``); notices from everyone held. Then: no address left (erased),
    the gate (do-not-contact of the person or organisation, consent, P23), and suppressed
    addresses. With ``person_ids`` only those are considered (the check as mail leaves), and
    ``emails`` (their decrypted addresses) lets suppression be matched without the whole list.
    """
    mailing, consent_subject = mailing_of(campaign)
    excluded: dict[str, int] = {}
    people = Person.objects.all()
    if person_ids is not None:
        people = people.filter(pk__in=list(person_ids))
    if mailing.needs_subscription:
        rows = Subscription.objects.filter(list_key=campaign.list_key)
        if person_ids is not None:
            rows = rows.filter(person_id__in=list(person_ids))
        count(excluded, UNSUBSCRIBED, rows.exclude(status=SubscriptionStatus.ACTIVE).count())
        people = people.filter(
            subscriptions__list_key=campaign.list_key,
            subscriptions__status=SubscriptionStatus.ACTIVE,
        )
    count(excluded, NO_ADDRESS, people.filter(email_index="").count())
    people = people.exclude(email_index="")
    allowed, refused = gate.audience(people, mailing, consent_subject)
    for reason, number in refused.items():
        count(excluded, reason, number)
    if emails is not None:
        suppressed = suppressed_among({pk: emails.get(pk, "") for pk in allowed})
    else:
        digests = suppressed_person_digests()
        suppressed = set()
        if digests:
            held = people if len(digests) > 5000 else people.filter(email_index__in=list(digests))
            suppressed = {
                pk for pk, digest in held.values_list("pk", "email_index") if digest in digests
            }
    if suppressed:
        before = len(allowed)
        allowed = [pk for pk in allowed if pk not in suppressed]
        count(excluded, SUPPRESSED, before - len(allowed))
    return allowed, excluded


def campaign_audience(campaign: Campaign) -> Audience:
    """Who the campaign would reach if it started now: how many, ten of them, and how many
    were left out by (translated) reason. Nothing is stored."""
    allowed, excluded = recipients_resolve(campaign)
    sample = list(Person.objects.filter(pk__in=allowed[:10]).order_by("pk"))
    return Audience(count=len(allowed), sample=sample, excluded=excluded_labels(excluded))


# --- Sending ---------------------------------------------------------------------------------


def no_mail_server() -> bool:
    return bool(getattr(get_connection(), "holds_mail", False))


def refuse_without_mail_server() -> None:
    if no_mail_server():
        raise CampaignError(
            _(
                "No mail server is configured, so nothing would leave: set EMAIL_URL to an "
                "SMTP server, then try again."
            )
        )


def campaign_test_send(*, campaign: Campaign, actor, to: str) -> int:
    """One copy in each language to ``to`` (the staff member's own address), subject marked
    as a test; its links lead nowhere personal. Recorded nowhere but the audit log."""
    access_require(actor, permission_of(campaign), target=campaign)
    if not normalise_email(to or ""):
        raise CampaignError(_("Your account has no email address: add one, then send the test."))
    refuse_without_mail_server()
    sent = 0
    connection = get_connection()
    for language in site_languages():
        rendered = campaign_render(campaign, language)
        links = {
            UNSUBSCRIBE_PLACEHOLDER: settings.PLEDGE_SITE_URL
            + reverse("web:mail_unsubscribe", args=["test"]),
            PREFERENCES_PLACEHOLDER: settings.PLEDGE_SITE_URL
            + reverse("web:mail_preferences", args=["test"]),
        }
        if campaign.kind == CampaignKind.POLICY_NOTICE:  # the test shows the paragraph to agree
            links[AGREE_PLACEHOLDER] = settings.PLEDGE_SITE_URL + reverse(
                "web:mail_policy_agree", args=[campaign.policy_version or 1, "test"]
            )
        with translation.override(language):
            subject = _("[TEST]") + " " + rendered.subject
        email_send(
            to=to,
            subject=subject,
            text=links_put(rendered.text, links),
            html=links_put(rendered.html, links),
            headers={"Precedence": "bulk"},
            connection=connection,
        )
        sent += 1
    audit_record(actor=actor, action="campaign.test_sent", target=campaign, details={"n": sent})
    return sent


def links_put(body: str, links: dict[str, str]) -> str:
    # P23: the paragraph asking to agree stays only where there is a link to agree.
    body = (
        AGREE_MARKERS.sub("", body) if links.get(AGREE_PLACEHOLDER) else AGREE_BLOCK.sub("", body)
    )
    for placeholder in (UNSUBSCRIBE_PLACEHOLDER, PREFERENCES_PLACEHOLDER, AGREE_PLACEHOLDER):
        if placeholder in links:  # the placeholders only: the body's own words stay as written
            body = body.replace(placeholder, links[placeholder])
    return body


def campaign_start(*, campaign: Campaign, actor) -> int:
    """Resolve the recipients now and queue them; the sending task starts when this commits.
    Returns how many were queued. Only a draft starts, once."""
    access_require(actor, permission_of(campaign), target=campaign)
    refuse_without_mail_server()
    with transaction.atomic():
        started = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
            status=CampaignStatus.SENDING, started_at=timezone.now()
        )
        if not started:
            raise CampaignError(_("This campaign has already started; only a draft can start."))
        campaign.refresh_from_db()
        allowed, excluded = recipients_resolve(campaign)
        languages = set(campaign.subject)
        default = settings.LANGUAGE_CODE
        for start in range(0, len(allowed), CREATE_CHUNK):
            chunk = allowed[start : start + CREATE_CHUNK]
            spoken = Person.objects.filter(pk__in=chunk).values_list("pk", "language")
            CampaignRecipient.objects.bulk_create(
                [
                    CampaignRecipient(
                        campaign_id=campaign.pk,
                        person_id=person_id,
                        language=language if language in languages else default,
                    )
                    for person_id, language in spoken
                ],
                batch_size=1000,
            )
        campaign.excluded = excluded
        campaign.save(update_fields=["excluded", "updated_at"])
        audit_record(
            actor=actor,
            action="campaign.started",
            target=campaign,
            details={"queued": len(allowed), "excluded": excluded},
        )
        transaction.on_commit(lambda: enqueue_batch(campaign.pk))
    if not allowed:
        campaign_finish_if_done(campaign.pk)
        campaign.refresh_from_db()
    return len(allowed)


def enqueue_batch(campaign_id: int, *, at=None) -> None:
    """Queue the campaign's next run, at ``at`` when the task backend can defer (the database
    backend can); otherwise the periodic job wakes it once its rate allows."""
    from pledge.mail.tasks import send_campaign_batch

    if at is None:
        send_campaign_batch.enqueue(campaign_id)
    elif send_campaign_batch.get_backend().supports_defer:
        send_campaign_batch.using(run_after=at).enqueue(campaign_id)


def status_change(campaign: Campaign, actor, *, source: tuple, target: str, action: str):
    access_require(actor, permission_of(campaign), target=campaign)
    with transaction.atomic():
        changed = Campaign.objects.filter(pk=campaign.pk, status__in=source).update(
            status=target, updated_at=timezone.now()
        )
        if not changed:
            campaign.refresh_from_db()
            raise CampaignError(
                _("This campaign is %(status)s: it cannot be changed that way.")
                % {"status": campaign.get_status_display()}
            )
        if target == CampaignStatus.CANCELLED:
            CampaignRecipient.objects.filter(
                campaign=campaign, status=RecipientStatus.QUEUED
            ).update(status=RecipientStatus.CANCELLED)
            Campaign.objects.filter(pk=campaign.pk).update(finished_at=timezone.now())
        audit_record(actor=actor, action=action, target=campaign)
        if target == CampaignStatus.SENDING:
            transaction.on_commit(lambda: enqueue_batch(campaign.pk))
    campaign.refresh_from_db()
    return campaign


def campaign_pause(*, campaign: Campaign, actor) -> Campaign:
    """Stop sending after the message being sent; ``campaign_resume`` goes on."""
    return status_change(
        campaign,
        actor,
        source=(CampaignStatus.SENDING,),
        target=CampaignStatus.PAUSED,
        action="campaign.paused",
    )


def campaign_resume(*, campaign: Campaign, actor) -> Campaign:
    return status_change(
        campaign,
        actor,
        source=(CampaignStatus.PAUSED,),
        target=CampaignStatus.SENDING,
        action="campaign.resumed",
    )


def campaign_cancel(*, campaign: Campaign, actor) -> Campaign:
    """Stop for good: the messages not sent yet are marked cancelled (a draft is just closed)."""
    return status_change(
        campaign,
        actor,
        source=(CampaignStatus.DRAFT, CampaignStatus.SENDING, CampaignStatus.PAUSED),
        target=CampaignStatus.CANCELLED,
        action="campaign.cancelled",
    )


def campaign_finish_if_done(campaign_id: int) -> bool:
    """``sent`` with its end time once no row waits or is in flight."""
    busy = CampaignRecipient.objects.filter(
        campaign_id=campaign_id, status__in=(RecipientStatus.QUEUED, RecipientStatus.SENDING)
    ).exists()
    if busy:
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=timezone.now()
        )
    )


def interrupted_mark(campaign_id: int | None = None) -> int:
    """Rows claimed by a worker that stopped (claimed long ago, never marked): interrupted,
    never sent again, since the mail server may have taken them."""
    rows = CampaignRecipient.objects.filter(
        status=RecipientStatus.SENDING, claimed_at__lt=timezone.now() - STALE_AFTER
    )
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    return rows.update(status=RecipientStatus.INTERRUPTED, error="worker stopped while sending")


def message_id_seal(campaign_hex: str, recipient_id: int) -> str:
    """A keyed seal of the pair, so a Message-ID cannot be guessed from another one: a forged
    bounce must name a message we really sent to that address."""
    value = f"{campaign_hex}.{recipient_id}"
    return salted_hmac("pledge.mail.message-id", value).hexdigest()[:16]


def message_id_of(campaign: Campaign, recipient_id: int) -> str:
    campaign_hex = campaign.public_id.hex
    seal = message_id_seal(campaign_hex, recipient_id)
    return f"<c.{campaign_hex}.r.{recipient_id}.{seal}@{sender_domain() or 'localhost'}>"


MESSAGE_ID = re.compile(r"<?c\.([0-9a-f]{32})\.r\.(\d+)\.([0-9a-f]{16})@[^>\s]+>?")


def campaign_recipient_by_message_id(message_id: str) -> CampaignRecipient | None:
    """The recipient row a reply or a bounce refers to (its Message-ID, or In-Reply-To); None
    unless the Message-ID's seal is ours."""
    match = MESSAGE_ID.search(message_id or "")
    if match is None:
        return None
    campaign_hex, recipient_id, seal = match[1], int(match[2]), match[3]
    if not constant_time_compare(seal, message_id_seal(campaign_hex, recipient_id)):
        return None
    return (
        CampaignRecipient.objects.filter(
            pk=recipient_id, campaign__public_id=uuid.UUID(campaign_hex)
        )
        .select_related("campaign")
        .first()
    )


def service_mailbox() -> str:
    """The rights channel of kind email: where a mailto unsubscribe goes."""
    for channel in current_inventory().rights.channels.values():
        if channel.kind == "email" and channel.address:
            return channel.address
    return current_site().mailbox


def list_id(campaign: Campaign) -> str:
    """RFC 2919: the list's declared name (the site's language) and a key under the domain."""
    domain = sender_domain() or "localhost"
    key = (campaign.list_key or campaign.kind).replace("_", "-")
    name = list_name(campaign.list_key, settings.LANGUAGE_CODE) if campaign.list_key else key
    return f'"{single_line(name)[:60].replace(chr(34), "")}" <{key}.{domain}>'


def recipient_links(
    campaign: Campaign, recipient_id: int, person: Person, language: str
) -> dict[str, str]:
    """The two links of one recipient, in their language: one-click unsubscribe from the list
    and the preference page, both opened by the same token (a notice shows only the second)."""
    token = preference_token(person, recipient=recipient_id, list_key=campaign.list_key)
    with translation.override(language):
        links = {
            UNSUBSCRIBE_PLACEHOLDER: settings.PLEDGE_SITE_URL
            + reverse("web:mail_unsubscribe", args=[token]),
            PREFERENCES_PLACEHOLDER: settings.PLEDGE_SITE_URL
            + reverse("web:mail_preferences", args=[token]),
            "token": token,
        }
        # P23: the version protects this person's data less than the one it is held under, so
        # it applies to them only if they agree: their copy links the page to do so.
        number = campaign.policy_version
        if campaign.kind == CampaignKind.POLICY_NOTICE and agreement_needed(person, number):
            links[AGREE_PLACEHOLDER] = settings.PLEDGE_SITE_URL + reverse(
                "web:mail_policy_agree", args=[number, token]
            )
        return links


def recipient_headers(campaign: Campaign, recipient_id: int, links: dict[str, str]) -> dict:
    """A list's message carries its one-click unsubscribe (https and mailto, RFC 8058); a notice
    the law requires carries none, since a mail program's Unsubscribe button on it would take
    the person off every list while the notice itself cannot be unsubscribed from."""
    headers = {"Message-ID": message_id_of(campaign, recipient_id), "Precedence": "bulk"}
    if campaign.kind == CampaignKind.LIST:
        mailto = f"mailto:{service_mailbox()}?subject=unsubscribe%20{links['token']}"
        headers["List-Unsubscribe"] = f"<{links[UNSUBSCRIBE_PLACEHOLDER]}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["List-Id"] = list_id(campaign)
    return headers


def still_sending(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists()


def mark(recipient_id: int, status: str, **fields) -> None:
    CampaignRecipient.objects.filter(pk=recipient_id, status=RecipientStatus.SENDING).update(
        status=status, **fields
    )


def batch_size(rate: int) -> int:
    """How many rows one task run takes at ``rate`` messages a minute."""
    return int(min(max(rate * BATCH_SECONDS // 60, 1), BATCH_MAX))


def campaign_send_batch(campaign_id: int) -> int:
    """Send the next batch of a campaign that is sending; returns how many messages left.

    Each row is claimed (queued -> sending) before its message goes, so two workers never send
    the same one; the gate is asked again every ``CHECK_EVERY`` messages; a pause or a cancel
    stops it after the message being sent. It enqueues the next batch itself, and marks the
    campaign sent when nothing is left.
    """
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        return 0
    interrupted_mark(campaign_id)
    rate = campaign.rate_per_minute or settings.PLEDGE_CAMPAIGN_RATE
    interval = 60.0 / max(rate, 1)
    rows = list(
        CampaignRecipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", "person_id", "language")[: batch_size(rate)]
    )
    if not rows:
        campaign_finish_if_done(campaign_id)
        return 0
    # The rate holds across runs: the first message waits for the slot after the last one sent.
    last = CampaignRecipient.objects.filter(campaign_id=campaign_id).aggregate(
        last=Max("claimed_at")
    )["last"]
    now = timezone.now()
    first_wait = ((last - now).total_seconds() + interval) if last else 0.0
    if first_wait > BATCH_SECONDS:  # a slow rate: come back when its slot comes
        enqueue_batch(campaign_id, at=now + timedelta(seconds=first_wait))
        return 0
    rendered: dict[str, Rendered] = {}
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:  # nothing claimed: the periodic job wakes it again
        log.warning("campaign %s: the mail server does not answer (%s)", campaign_id, error)
        return 0
    sent = attempted = troubled = 0
    paced_from = time.monotonic() + max(first_wait, 0.0)
    stopped = False
    try:
        for start in range(0, len(rows), CHECK_EVERY):
            chunk = rows[start : start + CHECK_EVERY]
            people = Person.objects.in_bulk([person_id for _, person_id, _ in chunk if person_id])
            emails = {pk: person.email for pk, person in people.items()}
            allowed = set(recipients_resolve(campaign, person_ids=list(people), emails=emails)[0])
            for recipient_id, person_id, language in chunk:
                if not still_sending(campaign_id):
                    stopped = True
                    break
                claimed = CampaignRecipient.objects.filter(
                    pk=recipient_id, status=RecipientStatus.QUEUED
                ).update(status=RecipientStatus.SENDING, claimed_at=timezone.now())
                if not claimed:
                    continue  # another worker has it
                person = people.get(person_id)
                if person is None or person_id not in allowed:
                    mark(recipient_id, RecipientStatus.SKIPPED)
                    continue
                wait = paced_from + attempted * interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                attempted += 1
                if language not in rendered:
                    rendered[language] = campaign_render(campaign, language)
                message = rendered[language]
                outcome = recipient_send(
                    campaign, recipient_id, person, language, message, connection
                )
                sent += outcome == RecipientStatus.SENT
                troubled = troubled + 1 if outcome in TROUBLE else 0
                if troubled >= TROUBLE_STOPS:  # something is wrong here, not with a recipient
                    log.warning("campaign %s: stopped after %s failures", campaign_id, troubled)
                    stopped = True
                    break
            if stopped:
                break
    finally:
        connection.close()
    # After trouble, the periodic job wakes the campaign once it has been quiet a while.
    going_on = troubled < TROUBLE_STOPS and still_sending(campaign_id)
    if going_on and not campaign_finish_if_done(campaign_id):
        transaction.on_commit(lambda: enqueue_batch(campaign_id))
    return sent


def recipient_send(
    campaign, recipient_id: int, person, language: str, rendered: Rendered, connection
) -> str:
    """Hand one claimed row's message to the mail server and record what became of it: the
    row's new status. A message that never reached the server (it could not be built or signed,
    the server could not be reached) goes back to the queue; one whose fate is unknown (the
    connection broke while sending) is interrupted, never sent again."""
    links = recipient_links(campaign, recipient_id, person, language)
    try:
        email_send(
            to=person.email,
            subject=rendered.subject,
            text=links_put(rendered.text, links),
            html=links_put(rendered.html, links),
            headers=recipient_headers(campaign, recipient_id, links),
            connection=connection,
        )
    except (NotSent, ConnectionRefusedError, SMTPConnectError) as error:
        # Nothing reached the mail server: the row waits for the next run.
        mark(recipient_id, RecipientStatus.QUEUED, claimed_at=None, error=type(error).__name__)
        log.warning("campaign %s: not sent (%s)", campaign.public_id, error)
        return RecipientStatus.QUEUED
    except (SMTPRecipientsRefused, SMTPSenderRefused, SMTPDataError) as error:
        # The server answered no: it did not take the message.
        code = getattr(error, "smtp_code", "") or ""
        mark(recipient_id, RecipientStatus.FAILED, error=f"{type(error).__name__} {code}"[:300])
        return RecipientStatus.FAILED
    except Exception as error:  # any other failure: whether it left is unknown
        # The connection broke: whether the server kept the message is unknown, so the row is
        # never sent again; the next message opens a new connection.
        mark(recipient_id, RecipientStatus.INTERRUPTED, error=type(error).__name__[:300])
        log.warning("campaign %s: delivery interrupted (%s)", campaign.public_id, error)
        connection.close()
        with contextlib.suppress(Exception):  # the next message fails alike, and says so
            connection.open()
        return RecipientStatus.INTERRUPTED
    mark(recipient_id, RecipientStatus.SENT, sent_at=timezone.now(), error="")
    return RecipientStatus.SENT


def campaigns_wake() -> int:
    """The periodic job's part (``mail.retry_waiting``): rows of dead workers marked
    interrupted, and a sending campaign whose task was lost (nothing claimed for a while)
    woken again, or marked sent if nothing is left."""
    interrupted_mark()
    quiet_since = timezone.now() - timedelta(minutes=2)
    woken = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING):
        if campaign_finish_if_done(campaign.pk):
            continue
        last = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
            last=Max("claimed_at")
        )["last"]
        if (last or campaign.started_at or campaign.created_at) < quiet_since:
            enqueue_batch(campaign.pk)
            woken += 1
    return woken


# --- Reports ---------------------------------------------------------------------------------

REPORT_STATUSES = [status.value for status in RecipientStatus]


def campaign_report(campaign: Campaign) -> Report:
    """What became of each recipient, per language and in total (shape: ``Report``)."""
    empty = dict.fromkeys([*REPORT_STATUSES, "bounced", "unsubscribed", "complained"], 0)
    by_language: dict[str, dict[str, int]] = {
        language: dict(empty) for language in site_languages()
    }
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .values("language", "status")
        .annotate(
            n=Count("id"),
            bounced=Count("id", filter=Q(bounced_at__isnull=False)),
            unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
            complained=Count("id", filter=Q(complained_at__isnull=False)),
        )
    )
    for row in rows:
        counts = by_language.setdefault(row["language"], dict(empty))
        counts[row["status"]] += row["n"]
        for key in ("bounced", "unsubscribed", "complained"):
            counts[key] += row[key]
    total = dict(empty)
    for counts in by_language.values():
        for key, number in counts.items():
            total[key] += number
    return Report(
        total=total, by_language=by_language, excluded=excluded_labels(campaign.excluded or {})
    )


# --- Notices the law requires (P14, P23) -----------------------------------------------------


def notice_texts(kind: str, context: dict) -> tuple[dict, dict]:
    """Subject and Markdown body in every site language, from ``mail/<kind>-*.txt``."""
    subjects, bodies = {}, {}
    zone = site_zone()
    for language in site_languages():
        with translation.override(language), timezone.override(zone):
            language_context = {
                key: value(language) if callable(value) else value for key, value in context.items()
            }
            language_context["site"] = current_site()
            language_context["mailbox"] = service_mailbox()
            subjects[language] = single_line(
                render_to_string(f"mail/{kind}-subject.txt", language_context)
            )
            bodies[language] = render_to_string(f"mail/{kind}-body.txt", language_context).strip()
    return subjects, bodies


def site_url_in(language: str, name: str, *args) -> str:
    with translation.override(language):
        return settings.PLEDGE_SITE_URL + reverse(name, args=args)


def notice_policy(*, version_number: int, actor) -> Campaign:
    """Tell everyone whose data is held about a material change of the policy (P23): the
    version's summary, when it took effect, what changed (the diff page) and the policy. Sent at
    once; refused for a version that is not material or was already announced."""
    access_require(actor, "manage_cases")
    version = PolicyVersion.objects.filter(number=version_number).first()
    if version is None:
        raise CampaignError(
            _("There is no policy version %(number)s.") % {"number": version_number}
        )
    if not version.material:
        raise CampaignError(
            _("Version %(number)s is not a material change: only material changes are notified.")
            % {"number": version_number}
        )
    already = Campaign.objects.filter(
        kind=CampaignKind.POLICY_NOTICE, policy_version=version_number
    ).exclude(status=CampaignStatus.CANCELLED)
    if already.exists():
        raise CampaignError(
            _("The notice of version %(number)s was already sent.") % {"number": version_number}
        )
    older = (
        PolicyVersion.objects.filter(number__lt=version_number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    subjects, bodies = notice_texts(
        "policy_notice",
        {
            "number": version.number,
            "summary": version.summary_in,
            "effective": version.published_at,
            "diff_url": (
                lambda language: site_url_in(language, "web:policy_diff", older, version.number)
            )
            if older
            else "",
            "policy_url": lambda language: site_url_in(language, "web:privacy"),
            # P23: the paragraph for those asked to agree (``links_put`` keeps or cuts it).
            "agree_start": AGREE_START,
            "agree_end": AGREE_END,
            "agree_url": AGREE_PLACEHOLDER,
        },
    )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=CampaignKind.POLICY_NOTICE,
            name=f"policy version {version.number}",
            subject=subjects,
            body=bodies,
            policy_version=version.number,
            created_by=actor_label(actor),
        )
        audit_record(
            actor=actor,
            action="notice.created",
            target=campaign,
            details={"kind": "policy", "version": version.number},
        )
        campaign_start(campaign=campaign, actor=actor)
    campaign.refresh_from_db()
    return campaign


def notice_acquisition(*, acquirer: str, summary: dict[str, str], actor) -> Campaign:
    """Tell everyone whose data is held that the organisation is acquired (P14): who acquires
    it and what it means for their data, in each language (the default language's summary
    where another is missing). Sent at once."""
    access_require(actor, "manage_cases")
    acquirer = single_line(acquirer or "")
    default_summary = str((summary or {}).get(settings.LANGUAGE_CODE) or "").strip()
    if not acquirer or not default_summary:
        raise CampaignError(
            _("Name the acquirer and say what changes for people's data, at least in %(language)s.")
            % {"language": dict(settings.LANGUAGES)[settings.LANGUAGE_CODE]}
        )
    subjects, bodies = notice_texts(
        "acquisition_notice",
        {
            "acquirer": acquirer,
            "summary": lambda language: str(summary.get(language) or default_summary).strip(),
            "policy_url": lambda language: site_url_in(language, "web:privacy"),
        },
    )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=CampaignKind.ACQUISITION_NOTICE,
            name=acquirer[:200],
            subject=subjects,
            body=bodies,
            created_by=actor_label(actor),
        )
        audit_record(
            actor=actor,
            action="notice.created",
            target=campaign,
            details={"kind": "acquisition", "acquirer": acquirer},
        )
        campaign_start(campaign=campaign, actor=actor)
    campaign.refresh_from_db()
    return campaign


def notices_list(*, actor):
    """The notices sent, newest first (``pledge notice status``, the console's notices)."""
    access_require(actor, "manage_cases")
    return Campaign.objects.filter(kind__in=NOTICE_KINDS).order_by("-created_at", "-id")


def policy_versions_to_notice() -> list[PolicyVersion]:
    """Material versions whose notice was never sent (or was cancelled), newest first."""
    noticed = Campaign.objects.filter(
        kind=CampaignKind.POLICY_NOTICE, policy_version__isnull=False
    ).exclude(status=CampaignStatus.CANCELLED)
    return list(
        PolicyVersion.objects.filter(material=True)
        .exclude(number__in=noticed.values("policy_version"))
        .order_by("-number")
        .defer("inventory", "texts")
    )


def acquisition_notice_current() -> Campaign | None:
    """The latest acquisition notice sent (P14): the site shows it to every visitor too."""
    return (
        Campaign.objects.filter(kind=CampaignKind.ACQUISITION_NOTICE)
        .exclude(status__in=[CampaignStatus.DRAFT, CampaignStatus.CANCELLED])
        .order_by("-created_at", "-id")
        .first()
    )


def notice_shown(campaign: Campaign, language: str) -> Rendered:
    """A notice as a web page shows it: its subject and body in ``language`` (the site's
    default language where it has none), without the email's footer."""
    subject = campaign.subject.get(language) or campaign.subject.get(settings.LANGUAGE_CODE, "")
    body = campaign.body.get(language) or campaign.body.get(settings.LANGUAGE_CODE, "")
    return Rendered(subject=subject, text=body, html=markdown_html(body))
