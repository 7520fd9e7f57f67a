"""Importing people from a CSV file (P06, P07): only from a declared source, never half a row.

The file is read and checked first (``import_read``): every row is valid or reported with its
line and what to fix, and only the columns whose data categories the inventory declares for that
source are accepted. Then each valid row is imported in its own transaction: the person is found
by blind index (merged, never duplicated) or created, a provenance record names the source, the
legal basis and the batch, and the notice the law owes the person (PIPL Art. 17, GDPR Art. 14)
is queued at once, well inside the source's declared deadline.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledge.dates import site_date
from pledge.intake.models import ImportBatch
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import LEGAL_BASES
from pledge.mail.services import mail_send
from pledge.people.models import Provenance, Source
from pledge.people.optouts import tombstone_find
from pledge.people.services import person_upsert
from pledge.people.values import validate_name, validate_phone, validate_single_line
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record

# Column -> the data category it holds, as the inventory names them.
COLUMNS = {
    "email": "user.contact.email",
    "name": "user.name",
    "phone": "user.contact.phone_number",
    "company": "user.workplace",
}
LANGUAGES = {"zh-hans", "en"}
MAX_ROWS = 100_000


class ImportRefused(ValueError):
    """The whole file cannot be imported; the message says what to change."""


@dataclass
class ReadFile:
    rows: list[dict] = field(default_factory=list)  # valid rows, each with its line number
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, what to fix)


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("The file is not text. Save it from your spreadsheet as CSV (UTF-8)."))


def import_read(content: bytes, *, source: str, basis: str) -> ReadFile:
    """Check a CSV file against the inventory; raises ImportRefused for a file-wide problem."""
    inventory = current_inventory()
    if source not in inventory.other_sources:
        raise ImportRefused(
            _("“%(source)s” is not a source declared in the inventory. Use one of: %(known)s.")
            % {"source": source, "known": ", ".join(inventory.other_sources)}
        )
    if basis not in LEGAL_BASES:
        raise ImportRefused(
            _("“%(basis)s” is not a legal basis. Use one of: %(known)s.")
            % {"basis": basis, "known": ", ".join(LEGAL_BASES)}
        )
    reader = csv.DictReader(io.StringIO(decode(content)))
    headers = [(header or "").strip().lower() for header in (reader.fieldnames or [])]
    if "email" not in headers:
        raise ImportRefused(_("The first line must name the columns, with an “email” column."))
    allowed = set(inventory.other_sources[source].categories)
    unknown = [h for h in headers if h not in COLUMNS and h != "language"]
    if unknown:
        raise ImportRefused(
            _("Unknown columns: %(columns)s. Use: email, name, phone, company, language.")
            % {"columns": ", ".join(unknown)}
        )
    undeclared = [h for h in headers if h in COLUMNS and COLUMNS[h] not in allowed]
    if undeclared:
        raise ImportRefused(
            _(
                "The inventory does not declare %(columns)s for the source “%(source)s”: "
                "remove those columns, or declare their categories for that source first."
            )
            % {"columns": ", ".join(undeclared), "source": source}
        )
    result = ReadFile()
    seen = set()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ImportRefused(_("The file has more than 100,000 rows. Split it."))
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        problem = row_problem(row)
        if problem:
            result.errors.append((line, problem))
            continue
        email_key = row["email"].casefold()
        if email_key in seen:
            result.errors.append((line, _("The same email address is on an earlier line.")))
            continue
        seen.add(email_key)
        result.rows.append({"line": line, **{k: row.get(k, "") for k in (*COLUMNS, "language")}})
    return result


def row_problem(row: dict) -> str:
    try:
        validate_email(row.get("email", ""))
    except ValidationError:
        return _("The email address is missing or not valid.")
    checks = [
        (row.get("name", ""), (validate_single_line, validate_name)),
        (row.get("company", ""), (validate_single_line,)),
        (row.get("phone", ""), (validate_single_line, validate_phone)),
    ]
    for value, rules in checks:
        for rule in rules if value else ():
            try:
                rule(value)
            except ValidationError as invalid:
                return " ".join(invalid.messages)
    if len(row.get("name", "")) > 200 or len(row.get("company", "")) > 200:
        return _("The name or company is longer than 200 characters.")
    if row.get("language") and row["language"].lower() not in LANGUAGES:
        return _("The language must be zh-hans or en.")
    return ""


def import_batch_create(*, read: ReadFile, source: str, basis: str, file_name: str, actor):
    """Keep the checked rows (encrypted) as a batch to import; the preview's "import" step."""
    access_require(actor, "import_people")
    batch = ImportBatch.objects.create(
        source=source,
        legal_basis=basis,
        file_name=file_name[:200],
        rows=read.rows,
        errors=[[line, message] for line, message in read.errors],
        total=len(read.rows),
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        action="import.prepared",
        target=batch,
        details={"source": source, "rows": len(read.rows), "errors": len(read.errors)},
    )
    return batch


def import_batch_run(batch: ImportBatch, *, actor, progress=lambda done, total: None) -> None:
    """Import every row of the batch, each in its own transaction; resumable from ``done``."""
    inventory = current_inventory()
    declared = inventory.other_sources[batch.source]
    notice_days = declared.notice_within_days or 30
    progress(batch.done, batch.total)
    skipped = 0
    for row in batch.rows[batch.done :]:
        with transaction.atomic():
            if tombstone_find(row["email"]) is not None:
                # Erased, or asked never to be contacted: a list does not bring them back.
                skipped += 1
                batch.done += 1
                batch.save(update_fields=["done"])
                continue
            person, created = person_upsert(
                actor=actor,
                source=Source.IMPORT,
                email=row["email"],
                name=row.get("name", ""),
                phone=row.get("phone", ""),
                company=row.get("company", ""),
                language=(row.get("language") or "zh-hans").lower(),
            )
            Provenance.objects.create(
                person=person,
                kind=Source.IMPORT,
                source=batch.source,
                legal_basis=batch.legal_basis,
                batch=batch.public_id,
                notice_due=site_date() + timedelta(days=notice_days),
                notice_sent_at=timezone.now(),
            )
            mail_send(
                kind="import_notice",
                to=person.email,
                language=person.language,
                context={
                    "source": str(declared.name.get(person.language)),
                    "purposes": [
                        str(inventory.use(use).name.get(person.language))
                        for use in declared.purposes
                    ],
                },
                actor=actor,
                person=person,
            )
            batch.done += 1
            batch.created += int(created)
            batch.save(update_fields=["done", "created"])
        progress(batch.done, batch.total)
    batch.rows = []  # the file's contents are not kept once imported
    batch.finished_at = timezone.now()
    batch.save(update_fields=["rows", "finished_at"])
    audit_record(
        actor=actor,
        action="import.finished",
        target=batch,
        details={
            "imported": batch.done - skipped,
            "new_people": batch.created,
            "skipped_erased": skipped,
        },
    )


def import_file(
    content: bytes, *, source: str, basis: str, file_name: str, actor, progress=None
) -> tuple[ImportBatch, ReadFile]:
    """Check and import a file in one go (the command line); returns the batch and the check."""
    read = import_read(content, source=source, basis=basis)
    batch = import_batch_create(
        read=read, source=source, basis=basis, file_name=file_name, actor=actor
    )
    import_batch_run(batch, actor=actor, progress=progress or (lambda done, total: None))
    return batch, read
