"""Reading a received message: stdlib ``email`` with the default policy, never trusting it.

Mail from the internet is malformed often and hostile sometimes: a header that does not decode,
a charset nobody knows (or GB2312 text that is really GBK), broken MIME boundaries. Nothing here
raises on such a message; what cannot be read is left empty and the message is kept whole
(``InboundMessage.raw``) for staff. Attachments are listed (name, type, size), never opened.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser

# Chinese mail labelled with the older, smaller charset is usually written in its superset.
WIDER_CHARSET = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030"}
QUOTE_HEADERS = re.compile(
    r"^(On .{5,200} wrote:\s*$|在.{2,200}写道[:：]?\s*$|-{2,}\s*(Original Message|原始邮件)\s*-{2,}"
    r"|From: .+$|发件人[:：].+$)",
    re.IGNORECASE,
)
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Parsed:
    """What was read from a message; empty where nothing could be."""

    message: EmailMessage | None = None
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    text: str = ""  # the body's own words, quotes stripped
    full_text: str = ""
    in_reply_to: list[str] = field(default_factory=list)  # In-Reply-To and References
    attachments: list[dict] = field(default_factory=list)
    authentication: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        return "zh-hans" if CJK.search(self.subject + self.text) else "en"


def raw_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# Headers the mail servers on the way add or rewrite: two deliveries of one message differ in
# these only.
TRACE_HEADERS = re.compile(
    rb"^(received|return-path|delivered-to|x-original-to|authentication-results"
    rb"|arc-[a-z-]+|received-spf|x-received|x-spam[a-z-]*)\s*:",
    re.IGNORECASE,
)


def content_digest(raw: bytes) -> str:
    """The SHA-256 of a message without its trace headers: the same for the same message
    delivered twice (by IMAP and by SMTP, through another relay), different for a different
    message that reuses a Message-ID."""
    raw = raw.replace(b"\r\n", b"\n")
    head, separator, body = raw.partition(b"\n\n")
    kept, skipping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the header above
            if not skipping:
                kept.append(line)
            continue
        skipping = bool(TRACE_HEADERS.match(line))
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + separator + body).hexdigest()


def message_key(message_id: str, raw: bytes) -> str:
    """What finds earlier copies of a message: its Message-ID, or its bytes when it has none."""
    if message_id:
        return "mid:" + hashlib.sha256(message_id.strip().encode("utf-8", "replace")).hexdigest()
    return "raw:" + raw_digest(raw)


def header_text(message, name: str) -> str:
    """A header's decoded text, whatever its encoding; "" when it cannot be read."""
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse at all
        value = None
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception:
        text = ""
    raw = raw_header(message, name)
    if "=?" in raw:  # encoded words: decoded in their charset, GB2312 read as GB18030
        text = decoded_words(raw) or text
    return " ".join(text.split())


def raw_header(message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def decoded_words(value: str) -> str:
    """RFC 2047 encoded words, each in its charset (GB2312 read as GB18030)."""
    try:
        parts = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, str):
                parts.append(chunk)
                continue
            parts.append(bytes_text(chunk, charset))
        return "".join(parts)
    except Exception:
        try:
            return str(make_header(decode_header(value)))
        except Exception:
            return ""


def bytes_text(payload: bytes, charset: str | None) -> str:
    charset = (charset or "utf-8").lower().strip()
    charset = WIDER_CHARSET.get(charset, charset)
    for candidate in (charset, "utf-8", "gb18030"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", "replace")


def part_text(part) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if payload is None:
        return ""
    return bytes_text(payload, part.get_content_charset())


def html_text(html: str) -> str:
    """The words of an HTML body, for reading only: tags dropped, nothing rendered."""
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", html)
    text = re.sub(r"<[^>]+>", " ", html)
    from html import unescape

    return "\n".join(" ".join(line.split()) for line in unescape(text).splitlines()).strip()


def body_and_attachments(message) -> tuple[str, list[dict]]:
    plain, html, attachments = [], [], []
    try:
        parts = list(message.walk())
    except Exception:
        return "", []
    for part in parts:
        if part.is_multipart():
            continue
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception:
            disposition, filename = None, None
        content_type = part.get_content_type()
        if disposition == "attachment" or filename:
            try:
                size = len(part.get_payload(decode=True) or b"")
            except Exception:
                size = 0
            name = decoded_words(filename) if filename and "=?" in filename else filename
            attachments.append({"name": name or "", "type": content_type, "size": size})
            continue
        if content_type == "text/plain":
            plain.append(part_text(part))
        elif content_type == "text/html":
            html.append(part_text(part))
    text = "\n".join(plain) if plain else html_text("\n".join(html))
    return text.replace("\r\n", "\n"), attachments


def quotes_stripped(text: str) -> str:
    """The sender's own words: what they quoted of earlier mail, and signatures, cut off."""
    try:
        reply = EmailReplyParser(languages=["zh", "en"]).parse_reply(text=text) or text
    except Exception:
        reply = text
    lines = []
    for line in reply.splitlines():
        if QUOTE_HEADERS.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


AUTH_METHODS = ("spf", "dkim", "dmarc")
# The property naming the domain each result is about (RFC 8601).
AUTH_DOMAINS = {
    "spf": ("smtp.mailfrom", "smtp.helo"),
    "dkim": ("header.d", "header.i"),
    "dmarc": ("header.from",),
}


def authentication_results(message) -> dict:
    """SPF, DKIM and DMARC results of the first Authentication-Results header (the one our own
    receiving server added on top): {"spf": "pass", "dkim": "fail", ...}, and the domains the
    passing ones are about ({"passed": {"dkim": ["example.cn"], ...}}), to tell whether they
    are the From address's domain."""
    try:
        values = message.get_all("Authentication-Results") or []
    except Exception:
        return {}
    if not values:
        return {}
    results, passed = {}, {}
    for clause in str(values[0]).split(";")[1:]:  # the first part names the server
        found = re.match(r"\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)", clause, re.IGNORECASE)
        if not found:
            continue
        method, result = found.group(1).lower(), found.group(2).lower()
        results.setdefault(method, result)
        if result != "pass":
            continue
        for name in AUTH_DOMAINS[method]:
            value = re.search(rf"\b{re.escape(name)}\s*=\s*([^\s;]+)", clause, re.IGNORECASE)
            if value:
                domain = value.group(1).rpartition("@")[2].strip('<>"').lower()
                passed.setdefault(method, []).append(domain)
                break
    if passed:
        results["passed"] = passed
    return results


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489): the same domain, or one a subdomain of the other (never a
    bare top-level domain)."""
    if not domain or not from_domain or "." not in domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def sender_authenticated(results: dict, sender: str) -> bool:
    """Whether the receiving server vouched for the From address: DMARC passed for its domain,
    or DKIM or SPF passed for a domain aligned with it."""
    from_domain = (sender or "").rpartition("@")[2].strip().lower()
    if not from_domain:
        return False
    passed = (results or {}).get("passed") or {}
    if results.get("dmarc") == "pass":
        domains = passed.get("dmarc") or [from_domain]  # no header.from: it is about the From
        if any(aligned(domain, from_domain) for domain in domains):
            return True
    return any(
        aligned(domain, from_domain)
        for method in ("dkim", "spf")
        for domain in passed.get(method, [])
    )


def message_parse(raw: bytes) -> Parsed:
    """Read what can be read; never raise."""
    parsed = Parsed()
    try:
        message = message_from_bytes(raw, policy=default)
    except Exception as error:  # the parser itself gave up
        parsed.problems.append(f"unreadable: {type(error).__name__}")
        return parsed
    parsed.message = message
    parsed.problems.extend(type(defect).__name__ for defect in getattr(message, "defects", []))
    parsed.message_id = (message_ids(header_text(message, "Message-ID")) or [""])[0]
    sender = header_text(message, "From")
    try:
        addresses = [address for _name, address in getaddresses([sender]) if "@" in address]
    except Exception:
        addresses = []
    parsed.sender = (addresses[0] if addresses else parseaddr(sender)[1]).strip()[:320]
    parsed.subject = header_text(message, "Subject")[:500]
    parsed.in_reply_to = message_ids(header_text(message, "In-Reply-To")) + message_ids(
        header_text(message, "References")
    )
    parsed.full_text, parsed.attachments = body_and_attachments(message)
    parsed.text = quotes_stripped(parsed.full_text)[:20000]
    parsed.authentication = authentication_results(message)
    return parsed
