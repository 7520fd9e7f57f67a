"""Receiving the service mailbox's mail: store first, then classify and act, once.

``inbound_receive`` is the one way in (IMAP polling, the SMTP/LMTP receiver, a pipe): it stores
the message in its own transaction before reading anything else of it, so a message that
cannot be parsed, or whose action fails, is never lost; a message received twice (the same
Message-ID, or the same bytes) is stored and acted on once. Acting claims the stored row
(``outcome`` still pending) in the action's transaction, so two receivers never act twice and a
crash mid-action leaves it pending for the next delivery. Everything not recognised for
certain waits in the console's triage for staff (docs/inbox.md).
"""

import base64
import logging
import re
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledge.cases.kinds import case_kinds
from pledge.cases.models import OPEN_STATUSES, Case, CaseChannel, Identity
from pledge.cases.rights.consent import rights_opt_out
from pledge.cases.services import (
    CaseClosed,
    case_by_message_id,
    case_complete,
    case_identity_set,
    case_link_send,
    case_open,
)
from pledge.inbox.classify import Decision, case_reference, message_classify
from pledge.inbox.models import Classification, InboundMessage, Outcome, Scope, Source
from pledge.inbox.parse import (
    Parsed,
    content_digest,
    message_key,
    message_parse,
    raw_digest,
    sender_authenticated,
)
from pledge.inventory.loader import current_inventory
from pledge.mail.campaigns import campaign_recipient_by_message_id
from pledge.mail.models import CampaignRecipient, Message
from pledge.mail.preferences import preference_find
from pledge.mail.services import mail_send
from pledge.mail.subscriptions import list_name, subscriptions_unsubscribe
from pledge.mail.suppressions import address_suppress
from pledge.people.models import ConsentMethod, OptOutKind
from pledge.people.optouts import tombstone_record
from pledge.people.services import person_find_by_email
from pledge.vault.access import access_require, has_access
from pledge.vault.actors import Actor
from pledge.vault.audit import actor_label, audit_record
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import normalise_email

log = logging.getLogger(__name__)

SYSTEM = Actor.system("inbox")
READERS = ("read_mailbox", "manage_cases")
HEADER_LIMIT = 64 * 1024  # how much of an oversized message is read for its headers
# RFC 3834: every mail Pledge sends because mail arrived says so, so that auto-responders
# (and well-behaved people's filters) never answer it and no loop starts.
AUTO_REPLIED = {"Auto-Submitted": "auto-replied"}
CASES_PER_SENDER_PER_DAY = 3  # cases the inbox opens, and acknowledges, for one address
REPORT_MAX_ADDRESSES = 1  # a bounce or spam report suppresses at most its one recipient


class InboxError(ValueError):
    """A staff action the inbox refuses, with a translated sentence to show."""


# --- Storing -------------------------------------------------------------------------------


def headers_only(raw: bytes) -> Parsed:
    """A message too large to parse: its headers alone (sender, subject, Message-ID), read
    from at most the first 64 KB, so staff can still tell what it is."""
    head = raw[:HEADER_LIMIT]
    end = re.search(rb"\r?\n\r?\n", head)
    parsed = message_parse(head[: end.end()] if end else head)
    parsed.message, parsed.text, parsed.full_text, parsed.attachments = None, "", "", []
    return parsed


def inbound_store(raw: bytes, *, source: str) -> tuple[InboundMessage, bool]:
    """Keep the message, encrypted, once. Returns (message, whether it is new)."""
    source = Source(source)
    too_large = len(raw) > settings.PLEDGE_INBOUND_MAX_BYTES
    parsed = headers_only(raw) if too_large else message_parse(raw)
    key = message_key(parsed.message_id, raw)
    digest = raw_digest(raw)
    existing = InboundMessage.objects.filter(raw_sha256=digest).first()
    reused = False
    if existing is None and key.startswith("mid:"):
        # The same Message-ID is the same message only when its content is the same too (the
        # copy another server relayed differs only in its trace headers): anyone can write an
        # earlier message's Message-ID on a new one, which must not vanish as a "duplicate".
        content = content_digest(raw)
        earlier = InboundMessage.objects.filter(message_key=key).order_by("id")
        for candidate in earlier:
            if content_digest(candidate.raw_bytes) == content:
                existing = candidate
                break
            reused = True
    if existing is not None:
        return existing, False
    person = person_find_by_email(parsed.sender) if normalise_email(parsed.sender) else None
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                message_key=key,
                raw_sha256=digest,
                raw=base64.b64encode(raw).decode("ascii"),
                size=len(raw),
                source=source,
                received_at=timezone.now(),
                sender=parsed.sender,
                subject=parsed.subject,
                text=parsed.text,
                attachments=parsed.attachments,
                language=parsed.language,
                authentication=parsed.authentication,
                parsed=not too_large and parsed.message is not None,
                person=person,
                note="too_large" if too_large else ("reused_message_id" if reused else ""),
            )
            audit_record(
                actor=SYSTEM,
                action="inbox.received",
                target=message,
                details={"source": source, "size": len(raw), "parsed": message.parsed},
            )
    except IntegrityError:  # the same bytes, stored by another receiver a moment ago
        return InboundMessage.objects.get(raw_sha256=digest), False
    return message, True


def inbound_receive(raw: bytes, *, source: str) -> InboundMessage:
    """Store a received message (once), then classify it and act, or leave it to staff.

    Idempotent: the same message again is neither stored nor acted on twice; one stored but
    not yet acted on (a crash in between) is acted on now. A failing action leaves the message
    in triage with the error's name noted; the stored bytes are never lost.
    """
    return inbound_accept(raw, source=source)[0]


def inbound_accept(raw: bytes, *, source: str) -> tuple[InboundMessage, bool]:
    """``inbound_receive``, also saying whether the message was new."""
    message, new = inbound_store(raw, source=source)
    if message.outcome == Outcome.PENDING:
        inbound_act(message)
        message.refresh_from_db()
    return message, new


# --- Classifying and acting ----------------------------------------------------------------


def case_by_reference(reference: str) -> Case | None:
    """The case whose reference (the first eight hex digits of its id) is quoted."""
    if not re.fullmatch(r"[0-9A-F]{8}", reference or ""):
        return None
    return Case.objects.filter(public_id__startswith=reference.lower()).order_by("id").first()


def case_replied_to(message_ids: list[str]) -> str:
    """The reference of the case the first of these Message-IDs that is one of ours was about."""
    for message_id in message_ids:
        case = case_by_message_id(message_id)
        if case is not None:
            return case.reference
    return ""


def campaign_recipient_of(message_ids: list[str]) -> CampaignRecipient | None:
    """The campaign delivery the first of these Message-IDs that is one of ours names."""
    for message_id in message_ids:
        recipient = campaign_recipient_by_message_id(message_id)
        if recipient is not None:
            return recipient
    return None


def preference_of(subject: str):
    """What a List-Unsubscribe mailto's ``unsubscribe <token>`` subject opens: the preference
    (person, the campaign delivery, its list) of a valid token; else None."""
    found = re.fullmatch(r"\s*unsubscribe\s+(\S{16,})\s*", subject or "", re.IGNORECASE)
    return preference_find(found.group(1)) if found else None


def own_addresses() -> set[str]:
    """The addresses Pledge sends from: the service mailbox and the sender of its mail."""
    addresses = {
        normalise_email(current_inventory().organization.service_mailbox),
        normalise_email(parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]),
    }
    return addresses - {""}


def inbound_act(message: InboundMessage) -> None:
    """Classify the stored message and act on it, once (the row is claimed while pending)."""
    parsed = message_parse(message.raw_bytes) if message.parsed else None
    if parsed is None:
        decision = Decision(Classification.TRIAGE, note=message.note or "unreadable")
    elif message.note == "reused_message_id":
        # Another message already came with this Message-ID: staff look before anything is done.
        decision = Decision(Classification.TRIAGE, note=message.note)
    elif normalise_email(parsed.sender) in own_addresses():
        # Pledge's own mail come back (the privacy team's notice of a new case goes to this
        # mailbox): kept, never acted on, so nothing loops.
        decision = Decision(Classification.AUTO_REPLY, note="own_mail")
    else:
        decision = message_classify(
            parsed,
            case_exists=lambda reference: case_by_reference(reference) is not None,
            case_replied_to=case_replied_to,
        )
    decision_run(message, decision, parsed)


AUTOMATIC = (Outcome.PENDING,)
BY_STAFF = (Outcome.PENDING, Outcome.TRIAGE, Outcome.FAILED)


def decision_run(
    message: InboundMessage, decision: Decision, parsed: Parsed | None, *, claim=AUTOMATIC
) -> None:
    """Act on the decision once: the row is claimed (locked) while its outcome is one of
    ``claim``; a failure rolls the action back and leaves the message to staff."""
    try:
        with transaction.atomic():
            current = (
                InboundMessage.objects.select_for_update()
                .filter(pk=message.pk, outcome__in=claim)
                .first()
            )
            if current is None:
                return  # acted on already
            current.classification = decision.classification
            current.request_kind = decision.request_kind
            current.scope = decision.scope
            current.note = decision.note[:300]
            outcome = ACTIONS.get(decision.classification, act_triage)(current, decision, parsed)
            current.outcome = outcome
            current.save(
                update_fields=[
                    "classification",
                    "request_kind",
                    "scope",
                    "note",
                    "outcome",
                    "case",
                ]
            )
            audit_record(
                actor=SYSTEM,
                action="inbox.handled",
                target=current,
                details={"classification": current.classification, "outcome": outcome},
            )
    except Exception as error:  # whatever went wrong, the message waits for staff
        log.exception("inbound message %s not handled", message.public_id)
        InboundMessage.objects.filter(pk=message.pk).update(
            classification=Classification.TRIAGE,
            outcome=Outcome.FAILED,
            note=f"error:{type(error).__name__}"[:300],
        )


def act_triage(message: InboundMessage, decision: Decision, parsed) -> str:
    message.classification = Classification.TRIAGE
    return Outcome.TRIAGE


def act_auto_reply(message: InboundMessage, decision: Decision, parsed) -> str:
    return Outcome.KEPT  # never answered: two auto-responders would answer each other forever


def reported_delivery(decision: Decision, parsed, addresses: list[str]):
    """(campaign delivery, address) when a bounce or spam report is about a message we sent to
    one of ``addresses``: the returned message's Message-ID (its copy or headers), or
    In-Reply-To/References, names a campaign delivery whose person's address is that one.
    Else None: anyone can write a report, and one naming no message of ours must never stop
    mail to somebody. Other outgoing mail keeps no Message-ID, so only campaigns match."""
    ids = list(decision.original_ids) + (list(parsed.in_reply_to) if parsed is not None else [])
    recipient = campaign_recipient_of(ids)
    if recipient is None or recipient.person is None:
        return None
    held = normalise_email(recipient.person.email or "")
    for address in addresses:
        if held and normalise_email(address) == held:
            return recipient, address
    return None


def act_bounce(message: InboundMessage, decision: Decision, parsed) -> str:
    """A permanent failure (5.x.x) of a message we sent suppresses its recipient's address (one
    address, at most, per report) and marks the campaign's delivery; a temporary one (4.x.x)
    changes nothing; a report naming no message of ours waits for staff."""
    if not decision.failures:
        message.note = "no_recipient"
        return act_triage(message, decision, parsed)
    permanent = {address: status for address, status in decision.failures if status[:1] == "5"}
    if not permanent:
        return Outcome.TEMPORARY_FAILURE
    matched = reported_delivery(decision, parsed, list(permanent))
    if matched is None:
        message.note = "unmatched_report"
        return Outcome.TRIAGE  # still shown as the report it claims to be
    recipient, address = matched
    address_suppress(email=address, reason="bounce", detail=permanent[address], actor=SYSTEM)
    CampaignRecipient.objects.filter(pk=recipient.pk, bounced_at__isnull=True).update(
        bounced_at=timezone.now()
    )
    return Outcome.SUPPRESSED


def act_complaint_report(message: InboundMessage, decision: Decision, parsed) -> str:
    """The recipient of a message we sent marked it as spam: no more mail to them, and the
    campaign knows. A report naming no message of ours waits for staff."""
    if not decision.failures:
        message.note = "no_recipient"
        return act_triage(message, decision, parsed)
    matched = reported_delivery(decision, parsed, [address for address, _ in decision.failures])
    if matched is None:
        message.note = "unmatched_report"
        return Outcome.TRIAGE  # still shown as the report it claims to be
    recipient, address = matched
    address_suppress(email=address, reason="complaint", detail=decision.feedback_type, actor=SYSTEM)
    CampaignRecipient.objects.filter(pk=recipient.pk, complained_at__isnull=True).update(
        complained_at=timezone.now()
    )
    return Outcome.SUPPRESSED


def case_correspondents(case: Case) -> set[str]:
    """Who writes about a case as its own: the requester, and the person it is about."""
    addresses = {case.requester_email, case.subject_email}
    if case.person is not None:
        addresses.add(case.person.email or "")
    return {normalise_email(address) for address in addresses} - {""}


def act_case_reply(message: InboundMessage, decision: Decision, parsed) -> str:
    """A reply quoting a case's reference, from its requester (or the person it is about),
    joins the case: linked, and in its history. Anyone else who quotes the reference (it is
    in every email about the case) waits for staff, flagged."""
    case = case_by_reference(decision.note or case_reference(message.subject))
    if case is None:
        message.note = "no_case"
        return act_triage(message, decision, parsed)
    sender = normalise_email(message.sender)
    if not sender or sender not in case_correspondents(case):
        message.note = "not_requester"
        return Outcome.TRIAGE  # still shown as a reply about the case, flagged
    message.case = case
    audit_record(
        actor=SYSTEM,
        action="case.email_received",
        target=case,
        details={
            "message": str(message.public_id),
            "from_requester": sender == normalise_email(case.requester_email),
        },
    )
    return Outcome.JOINED_CASE


def unsubscribe_confirmed_lately(address: str) -> bool:
    """Whether an unsubscribe confirmation went to this address in the last day (at most one a
    day: a reply to it, or a loop with another mailbox, must not make Pledge write again)."""
    digests = lookup_digests(Message, "to_index", address)
    return (
        bool(digests)
        and Message.objects.filter(
            kind="inbox_unsubscribed",
            to_index__in=digests,
            created_at__gte=timezone.now() - timedelta(days=1),
        ).exists()
    )


def act_unsubscribe(message: InboundMessage, decision: Decision, parsed) -> str:
    """P13: the sender leaves every list (or the list of the campaign they answered), with the
    withdrawal recorded, and is told so, once a day at most, marked as an automatic reply
    (RFC 3834). A sender we hold nothing about, or on no list, is told nothing."""
    preference = preference_of(message.subject)
    person = getattr(preference, "person", None) or message.person
    if person is None:
        return Outcome.UNKNOWN_SENDER
    recipient = getattr(preference, "recipient", None)
    if recipient is None and parsed is not None:
        recipient = campaign_recipient_of(parsed.in_reply_to)
    list_key = getattr(preference, "list_key", "") or (
        recipient.campaign.list_key if recipient is not None else ""
    )
    list_keys = [list_key] if list_key else None
    left = subscriptions_unsubscribe(
        person=person,
        actor=SYSTEM,
        method=ConsentMethod.EMAIL,
        list_keys=list_keys,
        recipient=recipient,
    )
    if not left:
        return Outcome.NOT_SUBSCRIBED  # nothing changed: nothing to say (a reply to our reply)
    if unsubscribe_confirmed_lately(person.email):
        return Outcome.UNSUBSCRIBED_QUIETLY
    language = person.language or settings.LANGUAGE_CODE
    mail_send(
        kind="inbox_unsubscribed",
        to=person.email,
        language=language,
        context={
            "lists": [list_name(key, language) for key in left],
            "organization": str(current_inventory().organization.name),
        },
        actor=SYSTEM,
        person=person,
        headers=AUTO_REPLIED,
    )
    return Outcome.UNSUBSCRIBED


OPENED_CASE = (
    Outcome.CASE_OPENED,
    Outcome.AWAITING_CONFIRMATION,
    Outcome.AWAITING_VERIFICATION,
    Outcome.CONFIRMED,
)


def cases_opened_lately(sender: str) -> int:
    """How many cases the inbox opened (and acknowledged) for this address in the last day."""
    digests = lookup_digests(InboundMessage, "sender_index", sender)
    if not digests:
        return 0
    return InboundMessage.objects.filter(
        sender_index__in=digests,
        outcome__in=OPENED_CASE,
        received_at__gte=timezone.now() - timedelta(days=1),
    ).count()


def case_refused(message: InboundMessage, decision: Decision) -> str:
    """Why no case may be opened from this message ("" when one may): no sender, or, unless
    staff decided it, more cases for this address today than anyone needs (each is answered:
    a forged From would make Pledge write to a stranger without limit)."""
    if not normalise_email(message.sender):
        return "no_sender"
    if not decision.by_staff and cases_opened_lately(message.sender) >= CASES_PER_SENDER_PER_DAY:
        return "too_many_cases"
    return ""


def request_case(message: InboundMessage, kind: str) -> Case:
    kinds = dict(case_kinds())
    return case_open(
        kind=kind if kind in kinds else "other",
        channel=CaseChannel.EMAIL,
        requester_email=message.sender,
        details=message.text or message.subject,
        language=message.language or settings.LANGUAGE_CODE,
        actor=SYSTEM,
        headers=AUTO_REPLIED,
    )


def act_request(message: InboundMessage, decision: Decision, parsed) -> str:
    """Access, copy, correction, deletion, a complaint (P18, P24): a case, acknowledged with
    its reference. Its requester stays unverified: whoever wrote gets nothing of anyone's data
    until their identity is checked on the case."""
    refused = case_refused(message, decision)
    if refused:
        message.note = refused
        return act_triage(message, decision, parsed)
    message.case = request_case(message, decision.request_kind or "other")
    return Outcome.CASE_OPENED


def act_do_not_contact(message: InboundMessage, decision: Decision, parsed) -> str:
    """P01: a case the privacy officer confirms with one click; nothing is set before."""
    refused = case_refused(message, decision)
    if refused:
        message.note = refused
        return act_triage(message, decision, parsed)
    message.scope = decision.scope or Scope.PERSON
    message.case = request_case(message, "do_not_contact")
    return Outcome.AWAITING_CONFIRMATION


ACTIONS = {
    Classification.BOUNCE: act_bounce,
    Classification.COMPLAINT_REPORT: act_complaint_report,
    Classification.AUTO_REPLY: act_auto_reply,
    Classification.CASE_REPLY: act_case_reply,
    Classification.UNSUBSCRIBE: act_unsubscribe,
    Classification.REQUEST: act_request,
    Classification.COMPLAINT: act_request,
    Classification.DO_NOT_CONTACT: act_do_not_contact,
    Classification.TRIAGE: act_triage,
}


# --- Staff: triage and confirmation --------------------------------------------------------


def reader_check(actor, *, target=None) -> None:
    if not any(has_access(actor, permission) for permission in READERS):
        access_require(actor, READERS[0], target=target)


def triage_choices() -> list[tuple[str, str]]:
    """What staff may decide a message in triage is: each runs the same action as if it had
    been recognised. (value, words)."""
    choices = [
        ("unsubscribe", str(Classification.UNSUBSCRIBE.label)),
        ("do_not_contact:person", _("Do not contact: the person")),
        ("do_not_contact:organisation", _("Do not contact: their whole organisation")),
    ]
    for kind, name in case_kinds():
        if kind in ("do_not_contact", "unsubscribe"):
            continue
        choices.append((f"request:{kind}", _("Open a case: %(kind)s") % {"kind": name}))
    choices.append(("nothing", _("Nothing to do")))
    return choices


def inbound_decide(*, message: InboundMessage, choice: str, actor) -> InboundMessage:
    """Staff tell what a message in triage is; its action runs as if it had been recognised
    (as the inbox's own job), and the decision is audited under the staff member's name."""
    reader_check(actor, target=message)
    if choice not in dict(triage_choices()):
        raise InboxError(_("Choose what this message is."))
    message.refresh_from_db()
    if message.outcome not in (Outcome.TRIAGE, Outcome.FAILED, Outcome.PENDING):
        raise InboxError(_("This message was handled already."))
    with transaction.atomic():
        InboundMessage.objects.filter(pk=message.pk).update(
            handled_at=timezone.now(), handled_by=actor_label(actor)
        )
        audit_record(
            actor=actor, action="inbox.decided", target=message, details={"choice": choice}
        )
    if choice == "nothing":
        InboundMessage.objects.filter(pk=message.pk).update(outcome=Outcome.NOTHING, note="")
    else:
        what, _sep, detail = choice.partition(":")
        if what == "unsubscribe":
            decision = Decision(Classification.UNSUBSCRIBE, by_staff=True)
        elif what == "do_not_contact":
            decision = Decision(Classification.DO_NOT_CONTACT, scope=detail, by_staff=True)
        elif detail == "complaint":
            decision = Decision(Classification.COMPLAINT, request_kind=detail, by_staff=True)
        else:
            decision = Decision(Classification.REQUEST, request_kind=detail, by_staff=True)
        parsed = message_parse(message.raw_bytes) if message.parsed else None
        decision_run(message, decision, parsed, claim=BY_STAFF)
    message.refresh_from_db()
    return message


CONFIRMABLE = (Outcome.AWAITING_CONFIRMATION, Outcome.AWAITING_VERIFICATION)


def inbound_do_not_contact_confirm(*, message: InboundMessage, actor, scope: str = "") -> Case:
    """The privacy officer's one click (P01).

    A From header proves nothing by itself. When the receiving server authenticated the sender
    (DMARC pass, or DKIM or SPF passing for the From domain) and the address is the one we hold
    for the person, their identity is recorded as verified by staff, the opt-out is recorded
    through the rights service for the person or their whole organisation, and the case is
    answered. Otherwise the click sends the case's verification link to the address we hold
    (``case_link_send``) and nothing else: the message waits (``awaiting_verification``) until
    the requester follows the link, and the officer's next click records the opt-out. An
    address we hold nothing about is never contacted again (its keyed fingerprint is kept).
    """
    access_require(actor, "manage_cases", target=message)
    message.refresh_from_db()
    case = message.case
    if message.outcome not in CONFIRMABLE or case is None:
        raise InboxError(_("This message waits for no confirmation."))
    if case.status not in OPEN_STATUSES:
        raise InboxError(_("This case is closed."))
    try:
        scope = Scope(scope or message.scope or Scope.PERSON)
    except ValueError:
        raise InboxError(_("Choose who is not to be contacted.")) from None
    person = case.person
    language = case.language
    with transaction.atomic():
        if person is None:
            tombstone_record(
                email=message.sender, opt_outs=[OptOutKind.DO_NOT_CONTACT], erased=False
            )
            audit_record(actor=actor, action="inbox.address_suppressed", target=message)
        else:
            if normalise_email(person.email) != normalise_email(message.sender):
                raise InboxError(
                    _(
                        "The request did not come from the person's own address: verify it on "
                        "the case page."
                    )
                )
            if person.organization is None and scope == Scope.ORGANISATION:
                raise InboxError(_("We know no organisation for this person."))
            if case.identity not in (Identity.VERIFIED_EMAIL, Identity.VERIFIED_STAFF):
                if not sender_authenticated(message.authentication, message.sender):
                    return verification_send(message=message, case=case, scope=scope, actor=actor)
                with translation.override(language):
                    note = _(
                        "Asked by email from the address we hold for the person; the receiving "
                        "server authenticated the sender."
                    )
                case = case_identity_set(
                    case=case, identity=Identity.VERIFIED_STAFF, note=note, actor=actor
                )
            rights_opt_out(
                person=person,
                kind=OptOutKind.DO_NOT_CONTACT,
                actor=actor,
                scope=scope,
                case=case,
            )
        with translation.override(language):
            resolution = (
                _("As you asked, we will not contact you or your organisation again.")
                if scope == Scope.ORGANISATION
                else _("As you asked, we will not contact you again.")
            )
        case = case_complete(case=case, actor=actor, resolution=resolution)
        InboundMessage.objects.filter(pk=message.pk).update(
            outcome=Outcome.CONFIRMED,
            scope=scope,
            handled_at=timezone.now(),
            handled_by=actor_label(actor),
        )
        audit_record(
            actor=actor, action="inbox.confirmed", target=message, details={"scope": scope}
        )
    return case


def verification_send(*, message: InboundMessage, case: Case, scope: str, actor) -> Case:
    """The sender was not authenticated: the case's verification link goes to the address we
    hold (the requester's, checked equal), once; the opt-out waits for it to be followed."""
    if case.identity == Identity.LINK_SENT:
        raise InboxError(
            _(
                "A verification link was sent to the address we hold: the opt-out is recorded "
                "once the requester has followed it."
            )
        )
    try:
        case_link_send(case=case, actor=actor)
    except CaseClosed:
        raise InboxError(_("This case is closed.")) from None
    InboundMessage.objects.filter(pk=message.pk).update(
        outcome=Outcome.AWAITING_VERIFICATION,
        scope=scope,
        handled_at=timezone.now(),
        handled_by=actor_label(actor),
    )
    audit_record(
        actor=actor, action="inbox.verification_sent", target=message, details={"scope": scope}
    )
    case.refresh_from_db()
    return case


# --- Reading -------------------------------------------------------------------------------


def inbox_messages(*, actor, show: str = "triage"):
    """The console's list: waiting for staff first (triage and failures), or everything."""
    reader_check(actor)
    messages = (
        InboundMessage.objects.select_related("case").defer("raw").order_by("-received_at", "-id")
    )
    if show == "triage":
        return messages.filter(
            outcome__in=(
                Outcome.TRIAGE,
                Outcome.FAILED,
                Outcome.AWAITING_CONFIRMATION,
                Outcome.AWAITING_VERIFICATION,
            )
        )
    return messages


def inbound_view(*, message: InboundMessage, actor) -> InboundMessage:
    """Open one message (it holds personal data): audited."""
    reader_check(actor, target=message)
    audit_record(actor=actor, action="inbox.viewed", target=message)
    return message
