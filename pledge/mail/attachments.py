"""Private links inside attachments: a calendar file's DESCRIPTION carries the visitor's manage
link, which, like a link in the body, must never rest in the stored copy.

The stored attachment holds the same placeholder as the body (staff downloading it from the
outbox get the placeholder); ``attachments_filled`` puts the link in as the message leaves. A
calendar file's lines are folded at 75 octets (RFC 5545 3.1), so a placeholder may be cut across
lines: the file is unfolded, filled (the link escaped as a TEXT value) and folded again.
"""

LINE_OCTETS = 75


def ical_fold(line: str) -> str:
    """One content line folded at 75 octets (a continuation's leading space counts), never
    inside a UTF-8 character nor right after an escaping backslash (some readers choke)."""
    chunks, current, size, limit = [], [], 0, LINE_OCTETS
    for character in line:
        octets = len(character.encode())
        if current and size + octets > limit:
            carried = [current.pop()] if current[-1] == "\\" and len(current) > 1 else []
            chunks.append("".join(current))
            current, limit = carried, LINE_OCTETS - 1
            size = sum(len(c.encode()) for c in current)
        current.append(character)
        size += octets
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


def ical_text(value: str) -> str:
    """``value`` escaped as an iCalendar TEXT value (RFC 5545 3.3.11)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_filled(content: str, links: dict[str, str]) -> str:
    """``content`` (an iCalendar file) with its placeholders filled, folded at 75 octets."""
    from pledge.mail.services import PLACEHOLDER_PATTERN

    unfolded = content.replace("\r\n ", "").replace("\r\n\t", "")

    def filled(line: str) -> str:
        return PLACEHOLDER_PATTERN.sub(lambda match: ical_text(links.get(match[1], "")), line)

    return "\r\n".join(ical_fold(filled(line)) if line else line for line in unfolded.split("\r\n"))


def attachments_filled(attachments: list[dict], links: dict[str, str]) -> list[dict]:
    """The attachments as the recipient gets them, each placeholder replaced by its link."""
    from pledge.mail.services import links_fill

    result = []
    for attachment in attachments:
        content = attachment.get("content")
        if isinstance(content, str) and "[pledge-private-link:" in content:
            if attachment.get("mimetype", "").startswith("text/calendar"):
                content = calendar_filled(content, links)
            else:
                content = links_fill(content, links)
            attachment = {**attachment, "content": content}
        result.append(attachment)
    return result


def attachment_open(*, message, index: int, actor) -> dict | None:
    """One attachment of a message as stored (an invite's .ics: its private links still
    placeholders), for the mailbox team to download; audited like opening the message. None
    when the message has no such attachment."""
    from pledge.vault.access import access_require
    from pledge.vault.audit import audit_record

    access_require(actor, "read_mailbox", target=message)
    if not 0 <= index < len(message.attachments or []):
        return None
    attachment = message.attachments[index]
    audit_record(
        actor=actor,
        action="mail.attachment_downloaded",
        target=message,
        details={"filename": attachment.get("filename", "")},
    )
    return attachment
