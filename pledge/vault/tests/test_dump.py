"""A stolen database reveals no personal value (P22, SECURITY.md C1)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from pledge.people.services import person_create
from pledge.vault.actors import Actor

KNOWN = {
    "name": "Zhang Weiqiang 张伟强",
    "email": "zhang.weiqiang@dump-test.cn",
    "phone": "+86 139 1234 5678",
}
NEEDLES = [b"Weiqiang", "张伟强".encode(), b"dump-test.cn", b"1234 5678", b"13912345678"]


def test_the_sqlite_file_holds_no_personal_value(tmp_path):
    """Seed a file database through the real command line, then grep its bytes."""
    environment = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "PLEDGE_VAR": str(tmp_path),
    }

    def pledge(*args):
        subprocess.run(
            [sys.executable, "-m", "pledge", *args],
            env=environment,
            check=True,
            capture_output=True,
            timeout=120,
        )

    pledge("migrate", "--noinput")
    pledge(
        "shell",
        "-c",
        "from pledge.people.services import person_create; "
        "from pledge.vault.actors import Actor; "
        f"person_create(actor=Actor.system('test'), source='staff', **{KNOWN!r})",
    )
    files = [path for path in tmp_path.iterdir() if path.name.startswith("pledge.sqlite3")]
    assert files
    everything = b"".join(path.read_bytes() for path in files)
    assert b"pl1." in everything  # the ciphertext is there...
    for needle in NEEDLES:
        assert needle not in everything  # ...and the plaintext is not


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_personal_value():
    person_create(actor=Actor.system("test"), source="staff", **KNOWN)
    settings = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--host",
            settings["HOST"] or "127.0.0.1",
            "--port",
            str(settings["PORT"] or 5432),
            "--username",
            settings["USER"],
            settings["NAME"],
        ],
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    assert b"pl1." in dump
    for needle in NEEDLES:
        assert needle not in dump
