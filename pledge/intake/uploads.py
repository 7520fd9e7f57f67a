"""Uploaded files (a CV): checked by content, not by name, and kept encrypted (SECURITY.md I8).

A file is accepted when its extension is declared for the field, its first bytes are what that
extension promises, it is under the declared size, for the zip-based formats it does not
expand into a bomb, and it is not a web page as well (a PDF is searched to its end, chunk by
chunk). Stored under a random name, encrypted with the key ring, and only ever served back to
staff as an attachment.
"""

import io
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledge.vault.keys import current_ring
from pledge.vault.tokens import link_token, link_token_hash

MAGIC = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".rtf": (b"{\\rtf",),
    ".txt": (),
}
MIMETYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".doc": "application/msword",
    ".rtf": "application/rtf",
    ".txt": "text/plain",
}
ZIP_MEMBERS_REQUIRED = {".docx": "word/document.xml", ".odt": "content.xml"}
MAX_EXPANDED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 2000
CONTEXT = "intake.upload"
# A tag that makes a file a web page too: its name, then what may end a tag's name in HTML (so
# the four bytes "<svg" that compressed data holds by chance in about one large PDF in a hundred
# are not taken for one).
# Those that run a script or load something when the file is opened as a page: scripts, event
# handlers (which any element takes; these are the ones that fire by themselves) and frames.
WEB_PAGE_TAGS = (b"html", b"script", b"svg", b"body", b"img", b"iframe", b"object", b"embed")
WEB_PAGE_TAG = re.compile(rb"<(?:" + b"|".join(WEB_PAGE_TAGS) + rb")[\t\n\f\r />]", re.IGNORECASE)
# The longest match is "<", the longest name and the byte that ends it: all but its last byte
# can sit at the end of one chunk, so each chunk is searched after that many bytes before it.
TAG_OVERLAP = 1 + max(map(len, WEB_PAGE_TAGS))
SCAN_CHUNK = 64 * 1024
HEAD = 1024


class UploadRefused(ValueError):
    """The file cannot be accepted; the message tells the visitor what to send instead."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    mimetype: str
    content: bytes


@dataclass(frozen=True)
class HeldFile:
    """A file checked and stored encrypted when an earlier post of the form failed validation
    (``PendingUpload``): the page shows its name and sends ``token`` back with the next post."""

    pk: int
    token: str
    name: str
    mimetype: str
    size: int
    stored_name: str


def zip_is_safe(content: bytes, required_member: str) -> bool:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return False
    if len(members) > MAX_MEMBERS or required_member not in {m.filename for m in members}:
        return False
    expanded = sum(member.file_size for member in members)
    compressed = max(1, sum(member.compress_size for member in members))
    return expanded <= MAX_EXPANDED_BYTES and expanded / compressed <= MAX_RATIO


def chunks_of(content: bytes, size: int = SCAN_CHUNK) -> Iterator[memoryview]:
    """``content`` in slices of ``size`` bytes that share its memory."""
    view = memoryview(content)
    for start in range(0, len(view), size):
        yield view[start : start + size]


def web_page_tag_in(chunks: Iterable[bytes | memoryview]) -> bool:
    """True if a web page's tag appears anywhere in ``chunks``, read one at a time: each is
    searched with the last bytes of the one before, so a tag split between them is found and
    no more than a chunk and an overlap is held at once."""
    tail = b""
    for chunk in chunks:
        window = tail + bytes(chunk)
        if WEB_PAGE_TAG.search(window):
            return True
        tail = window[-TAG_OVERLAP:]
    return False


def looks_like_two_things(content: bytes, extension: str) -> bool:
    """Polyglots: a PDF that is also an archive or a web page, an archive that is also a PDF.

    A PDF is read to its end for HTML and scripts: a file opened as a web page runs a script
    wherever it sits, so one put after the first KiB is as dangerous as one in it. The other
    formats are read only at their start, where a browser sniffing a file's type looks: their
    plain text (a .doc or .txt CV about web work) may well mention a tag.
    """
    scanned = chunks_of(content) if extension == ".pdf" else [content[:HEAD]]
    if web_page_tag_in(scanned):
        return True
    if extension == ".pdf" and b"PK\x05\x06" in content:
        return True
    return extension != ".pdf" and b"%PDF-" in content[:HEAD]


def upload_check(upload, *, accept: tuple[str, ...], max_bytes: int) -> CheckedFile:
    """Read and check ``upload`` (a Django UploadedFile); raises UploadRefused with the reason."""
    name = Path(upload.name or "").name[:200]
    extension = Path(name).suffix.lower()
    allowed = ", ".join(accept)
    if extension not in accept or extension not in MAGIC:
        raise UploadRefused(_("Send the file as one of: %(types)s.") % {"types": allowed})
    if upload.size is None or upload.size > max_bytes:
        raise UploadRefused(
            _("The file is larger than %(size)d MB. Send a smaller file.")
            % {"size": max(1, max_bytes // (1024 * 1024))}
        )
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes or not content:
        raise UploadRefused(_("The file is empty or too large. Send another file."))
    signatures = MAGIC[extension]
    if signatures and not content.startswith(signatures):
        raise UploadRefused(
            _("The file's content is not a %(type)s file. Send the file as one of: %(types)s.")
            % {"type": extension, "types": allowed}
        )
    if extension in ZIP_MEMBERS_REQUIRED and not zip_is_safe(
        content, ZIP_MEMBERS_REQUIRED[extension]
    ):
        raise UploadRefused(_("The file is damaged or not a real document. Send it as a PDF."))
    if extension == ".txt":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused(_("The text file is not readable. Send it as a PDF.")) from None
    if looks_like_two_things(content, extension):
        raise UploadRefused(_("The file is damaged or not a real document. Send it as a PDF."))
    return CheckedFile(
        name=name, extension=extension, mimetype=MIMETYPES[extension], content=content
    )


def upload_directory() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "private"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def upload_store(checked: CheckedFile) -> str:
    """Encrypt and write the file under a random name; returns that name."""
    stored_name = f"{secrets.token_hex(16)}.bin"
    blob = current_ring().encrypt_bytes(checked.content, context=CONTEXT)
    (upload_directory() / stored_name).write_bytes(blob)
    return stored_name


def upload_read(stored_name: str) -> bytes:
    if not stored_name.endswith(".bin") or "/" in stored_name or ".." in stored_name:
        raise FileNotFoundError(stored_name)
    return current_ring().decrypt_bytes(
        (upload_directory() / stored_name).read_bytes(), context=CONTEXT
    )


def upload_delete(stored_name: str) -> None:
    if stored_name.endswith(".bin") and "/" not in stored_name:
        (upload_directory() / stored_name).unlink(missing_ok=True)


def stored_key_id(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(32).partition(b"\x00")[0].decode(errors="replace")


def uploads_stale() -> list[Path]:
    """Stored files still encrypted under a key other than the ring's primary."""
    primary = current_ring().primary.id
    return [path for path in upload_directory().glob("*.bin") if stored_key_id(path) != primary]


def uploads_rotate(*, progress=lambda done, total: None) -> int:
    """Re-encrypt every stored file under the primary key; each file replaced atomically."""
    ring = current_ring()
    stale = uploads_stale()
    progress(0, len(stale))
    for done, path in enumerate(stale, start=1):
        content = ring.decrypt_bytes(path.read_bytes(), context=CONTEXT)
        partial = path.with_suffix(".rotating")
        partial.write_bytes(ring.encrypt_bytes(content, context=CONTEXT))
        partial.replace(path)
        progress(done, len(stale))
    return len(stale)


# --- Files held while a form is corrected -----------------------------------------------------

HOLD_SECONDS = 60 * 60  # long enough to correct a form, short enough to hold nothing for long
HELD_SUFFIX = "__held"  # the hidden field naming a held file: "<field>__held"
REMOVE_SUFFIX = "__remove"  # the box that lets the held file go: "<field>__remove"


def held_of(pending, token: str) -> HeldFile:
    return HeldFile(
        pk=pending.pk,
        token=token,
        name=pending.original_name,
        mimetype=pending.mimetype,
        size=pending.size,
        stored_name=pending.stored_name,
    )


def upload_hold(checked: CheckedFile, *, form_key: str, field: str) -> HeldFile:
    """Store ``checked`` encrypted for ``HOLD_SECONDS`` and return it with its fresh token.

    Only a post that passed the defence (honeypot, proof of work, rate limits) and failed on
    another field gets here, so a robot cannot fill the disk with held files."""
    from pledge.intake.models import PendingUpload

    token, digest = link_token()
    stored_name = upload_store(checked)
    pending = PendingUpload.objects.create(
        form=form_key,
        field=field,
        token_hash=digest,
        original_name=checked.name,
        mimetype=checked.mimetype,
        size=len(checked.content),
        stored_name=stored_name,
        expires_at=timezone.now() + timedelta(seconds=HOLD_SECONDS),
    )
    return held_of(pending, token)


def upload_held_find(*, form_key: str, field: str, token: str) -> HeldFile | None:
    """The file held for this form and field under ``token``, if it has not expired."""
    from pledge.intake.models import PendingUpload

    if not token or len(token) > 100:
        return None
    pending = PendingUpload.objects.filter(
        form=form_key,
        field=field,
        token_hash=link_token_hash(token),
        expires_at__gt=timezone.now(),
    ).first()
    return held_of(pending, token) if pending is not None else None


def upload_held_release(held: HeldFile, *, keep_file: bool) -> None:
    """Forget the hold: its file stays when a submission now points to it (``keep_file``),
    else it is deleted once the transaction commits."""
    from pledge.intake.models import PendingUpload

    PendingUpload.objects.filter(pk=held.pk).delete()
    if not keep_file:
        transaction.on_commit(lambda: upload_delete(held.stored_name))
