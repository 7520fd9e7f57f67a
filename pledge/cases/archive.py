"""The download (P18: copy and portability): a zip of JSON and CSV, with a readme.

``data.json`` holds every section with its records exactly as the providers export them;
``csv/<section>.csv`` holds each section as a table (nested values as JSON, UTF-8 with a byte
order mark so spreadsheet programs read Chinese correctly; a cell a spreadsheet would run as a
formula starts with a quote, ``pledge.csvfiles``); ``files/`` holds what the person
uploaded, decrypted; ``README.txt`` says, in the person's language, what each file is.
"""

import io
import json
import zipfile
from pathlib import PurePosixPath

from django.template.loader import render_to_string
from django.utils import timezone, translation

from pledge.csvfiles import csv_text
from pledge.dates import site_zone
from pledge.inventory.loader import current_inventory
from pledge.inventory.services import policy_in_force
from pledge.people.values import phone_valid

# A phone number begins with +: in a column of phones, one shaped like a phone is kept as it is,
# anything else is neutralised like any other cell (pledge.csvfiles).
TYPED_COLUMNS = {"phone": phone_valid}


def safe_name(name: str) -> str:
    """A file name that stays inside ``files/`` whatever the upload was called."""
    cleaned = PurePosixPath(name.replace("\\", "/")).name.strip(". ") or "file"
    return cleaned[:150]


def export_json(sections, person) -> str:
    """``data.json``: every section's records exactly as the providers export them."""
    return json.dumps(
        {
            "format": "pledge-export/1",
            "generated_at": timezone.now().isoformat(),
            "person": str(person.public_id),
            "sections": {
                section.key: {
                    "title": section.title,
                    "description": section.description,
                    "records": section.records,
                }
                for section in sections
            },
        },
        ensure_ascii=False,
        indent=2,
        default=str,
    )


def archive_build(*, person, sections, files, language: str) -> bytes:
    """The zip of ``sections`` (``rights.see.Section``: a provider's key, title, description
    and records) and the person's ``files`` as (name, bytes)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        translation.override(language),
        timezone.override(site_zone()),  # the person's copy reads in the site's zone
    ):
        archive.writestr("data.json", export_json(sections, person))
        for section in sections:
            if section.records:
                archive.writestr(
                    f"csv/{section.key}.csv",
                    "\ufeff" + csv_text(section.records, typed=TYPED_COLUMNS),
                )
        names = []
        for name, content in files:
            stored = f"files/{safe_name(name)}"
            archive.writestr(stored, content)
            names.append(stored)
        inventory = current_inventory()
        version = policy_in_force()
        readme = render_to_string(
            "cases/export-readme.txt",
            {
                "sections": sections,
                "files": names,
                "generated_at": timezone.now(),
                "organization": inventory.organization,
                "holds": inventory.legal_holds.values(),
                "policy_version": version.number if version else None,
                "language": language,
            },
        )
        archive.writestr("README.txt", readme)
    return buffer.getvalue()
