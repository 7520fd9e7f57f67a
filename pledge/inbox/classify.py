"""What a received message is, decided from what it says, never guessed.

The order matters: delivery reports and spam complaint reports first (machines write them, and
they also carry ``Auto-Submitted``), then automatic replies (never answered), then replies to a
case (its reference), then what the sender asks for in their own words. A message that says two
different things, or nothing we know, goes to staff (``triage``): acting on a guess could
unsubscribe, or open a case for, someone who asked for something else.
"""

import logging
import re
from dataclasses import dataclass, field

from flufl.bounce import scan_message

from pledge.inbox.models import Classification, Scope
from pledge.inbox.parse import Parsed, message_ids

# flufl.bounce logs each detector it tries, for every message, at INFO.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

AUTO_SUBJECT = re.compile(
    r"(自动回复|自动答复|自動回覆|休假|不在办公室|外出|out of (the )?office|auto(matic)?[ -]?reply"
    r"|autoreply|auto[ -]?response|vacation)",
    re.IGNORECASE,
)
UNSUBSCRIBE = re.compile(r"(退订|取消订阅|退訂|unsubscribe)", re.IGNORECASE)
DO_NOT_CONTACT = re.compile(
    r"(不要再?联系|请勿联系|别再联系|不要再给我|do not contact|don'?t contact|stop contacting"
    r"|never contact|no (further|more) contact)",
    re.IGNORECASE,
)
ORGANISATION = re.compile(
    r"(公司|组织|单位|机构|我们的同事|our (company|organi[sz]ation|firm|team|staff|employees)"
    r"|anyone (at|in) our|any of us)",
    re.IGNORECASE,
)
COMPLAINT = re.compile(r"(投诉|complaint|complain)", re.IGNORECASE)
# Case kinds (keys of the inventory's [rights.requests]) and the words that ask for them.
REQUESTS = (
    ("copy", re.compile(r"(副本|copy of (my|all my|the) (personal )?(data|information))", re.I)),
    (
        "access",
        re.compile(
            r"(查阅|访问我的|查看我的(个人)?(信息|数据)|access (to )?my (personal )?(data|information)"
            r"|what (personal )?(data|information) (do )?you (hold|have))",
            re.I,
        ),
    ),
    (
        "correction",
        re.compile(
            r"(更正|修改我的|correct (my|the)|rectif|update my (personal )?(data|details))", re.I
        ),
    ),
    (
        "deletion",
        re.compile(
            r"(删除|delete (my|all my)|erase (my|all my)|remove (my|all my) (personal )?(data|information))",
            re.I,
        ),
    ),
)
CASE_REFERENCE = re.compile(r"(?<![0-9A-Fa-f])([0-9A-F]{8})(?![0-9A-Fa-f-])")


@dataclass
class Decision:
    classification: str
    request_kind: str = ""
    scope: str = ""
    note: str = ""  # why, for staff: a code, never a value
    failures: list[tuple[str, str]] = field(default_factory=list)  # (address, status)
    original_ids: list[str] = field(default_factory=list)  # the reported message's Message-ID
    feedback_type: str = ""
    by_staff: bool = False  # staff decided it in triage: the inbox's own limits do not apply


def report_type(message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return (message.get_param("report-type") or "").lower()


def parts_of(message, content_type: str) -> list:
    return [part for part in message.walk() if part.get_content_type() == content_type]


def field_blocks(part) -> list[dict[str, str]]:
    """The header-like blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package reads delivery-status as messages
        blocks = [{key.lower(): str(value) for key, value in block.items()} for block in payload]
        return blocks
    text = payload if isinstance(payload, str) else part_bytes_text(part)
    blocks, current = [], {}
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        if ":" in line and not line[0].isspace():
            key, _sep, value = line.partition(":")
            current[key.strip().lower()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def part_bytes_text(part) -> str:
    payload = part.get_payload(decode=True) or b""
    return payload.decode("utf-8", "replace")


def address_of(value: str) -> str:
    """``rfc822; someone@example.cn`` -> ``someone@example.cn``."""
    return value.split(";", 1)[-1].strip().strip("<>") if value else ""


def original_message_ids(message) -> list[str]:
    """The Message-ID of the message a report is about (its returned copy or headers)."""
    found = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if hasattr(inner, "get"):
                found += message_ids(str(inner.get("Message-ID", "")))
        elif kind == "text/rfc822-headers":
            found += re.findall(r"(?im)^message-id:\s*(<[^<>\s]+>)", part_bytes_text(part))
    return found


BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery (status|failure|has failed)|returned mail|failure notice"
    r"|退信|投递失败|无法投递|系统退信)",
    re.IGNORECASE,
)


def looks_like_bounce(message) -> bool:
    """Mail from a mail server about a delivery (non-standard bounces have no report part)."""
    sender = str(message.get("From", "")).lower()
    if any(name in sender for name in BOUNCE_SENDERS):
        return True
    if str(message.get("Return-Path", "")).strip() == "<>":
        return True
    return bool(BOUNCE_SUBJECT.search(str(message.get("Subject", ""))))


def bounce_decision(message) -> Decision | None:
    """A delivery status notification (RFC 3464): who failed for good (5.x.x) and who only
    for now (4.x.x). Bounces in other formats are read by flufl.bounce."""
    if report_type(message) == "delivery-status" or parts_of(message, "message/delivery-status"):
        failures = []
        for part in parts_of(message, "message/delivery-status"):
            for block in field_blocks(part):
                recipient = address_of(block.get("final-recipient", ""))
                status = block.get("status", "").strip().split(" ")[0]
                if recipient and status:
                    failures.append((recipient, status))
        if not failures:
            failures = [(address.decode(), "5.0.0") for address in scan_message(message)]
        return Decision(
            Classification.BOUNCE,
            failures=failures,
            original_ids=original_message_ids(message),
            note="dsn",
        )
    if not looks_like_bounce(message):
        return None  # a person's mail that quotes a bounce must never suppress anyone
    try:
        permanent = scan_message(message)
    except Exception:
        permanent = frozenset()
    if permanent:
        return Decision(
            Classification.BOUNCE,
            failures=[(address.decode("utf-8", "replace"), "5.0.0") for address in permanent],
            original_ids=original_message_ids(message),
            note="bounce_format",
        )
    return None


def complaint_report_decision(message) -> Decision | None:
    """An abuse feedback report (ARF, RFC 5965): the recipient marked our mail as spam."""
    if report_type(message) != "feedback-report":
        return None
    fields = {}
    for part in parts_of(message, "message/feedback-report"):
        for block in field_blocks(part):
            fields.update(block)
    recipient = address_of(fields.get("original-rcpt-to", ""))
    if not recipient:
        for part in message.walk():
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                recipient = address_of(str(inner.get("To", ""))) if hasattr(inner, "get") else ""
    return Decision(
        Classification.COMPLAINT_REPORT,
        failures=[(recipient, "")] if recipient else [],
        original_ids=original_message_ids(message),
        feedback_type=fields.get("feedback-type", "abuse")[:40],
    )


def is_auto_reply(message, subject: str) -> bool:
    """RFC 3834, list and bulk mail (``Precedence``, ``List-Id``), and the headers and subjects
    of common auto-responders (zh and en)."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    # Mail from a list or a bulk sender is never answered (a person's reply to one of our
    # campaigns carries no List-Id of its own: only the list's messages do).
    if str(message.get("Precedence", "")).strip().lower() in ("auto_reply", "list", "bulk", "junk"):
        return True
    if message.get("List-Id") is not None:
        return True
    return bool(AUTO_SUBJECT.search(subject))


def case_reference(subject: str) -> str:
    """The reference of a case quoted in a subject (``... (1A2B3C4D)``)."""
    found = CASE_REFERENCE.findall(subject or "")
    return found[-1] if found else ""


def first_lines(text: str, count: int = 5) -> str:
    return "\n".join([line for line in text.splitlines() if line.strip()][:count])


def wishes(parsed: Parsed) -> list[Decision]:
    """Every thing the sender's own words ask for (subject and text, quotes stripped)."""
    head = f"{parsed.subject}\n{first_lines(parsed.text)}"
    words = f"{parsed.subject}\n{parsed.text[:4000]}"
    found = []
    if DO_NOT_CONTACT.search(words):
        scope = Scope.ORGANISATION if ORGANISATION.search(words) else Scope.PERSON
        found.append(Decision(Classification.DO_NOT_CONTACT, scope=scope))
    elif UNSUBSCRIBE.search(head):
        found.append(Decision(Classification.UNSUBSCRIBE))
    if COMPLAINT.search(words):
        found.append(Decision(Classification.COMPLAINT, request_kind="complaint"))
    for kind, pattern in REQUESTS:
        if pattern.search(words):
            found.append(Decision(Classification.REQUEST, request_kind=kind))
            break  # "a copy" also reads as "access": the first, most precise, wins
    return found


def message_classify(
    parsed: Parsed,
    *,
    case_exists=lambda reference: False,
    case_replied_to=lambda message_ids: "",
) -> Decision:
    """Decide what the message is. ``case_exists(reference)`` tells whether a case has it;
    ``case_replied_to(message_ids)`` the reference of the case an email of ours among them was
    about (a reply's In-Reply-To and References), or ""."""
    message = parsed.message
    if message is None:
        return Decision(Classification.TRIAGE, note="unreadable")
    for detect in (bounce_decision, complaint_report_decision):
        try:
            decision = detect(message)
        except Exception:  # a report too broken to read: staff look at it
            return Decision(Classification.TRIAGE, note="unreadable_report")
        if decision is not None:
            return decision
    if is_auto_reply(message, parsed.subject):
        return Decision(Classification.AUTO_REPLY)
    replied_to = case_replied_to(parsed.in_reply_to)
    if replied_to:
        return Decision(Classification.CASE_REPLY, note=replied_to)
    reference = case_reference(parsed.subject)
    if reference and case_exists(reference):
        return Decision(Classification.CASE_REPLY, note=reference)
    found = wishes(parsed)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        return Decision(Classification.TRIAGE, note="several_wishes")
    if not parsed.sender:
        return Decision(Classification.TRIAGE, note="no_sender")
    return Decision(Classification.TRIAGE, note="not_recognised")
