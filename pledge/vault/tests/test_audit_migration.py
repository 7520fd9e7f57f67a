"""The upgrade that sealed the audit chain (vault 0002), through the real command line (C5).

Not a clock test: everything here happens in other processes, which the clock runs do not
freeze.
"""

import os
import subprocess
import sys


def test_the_migration_seals_an_existing_chain_without_converting_it(tmp_path):
    """Plain-hashed entries written under vault 0001 are left as they are and still verify
    after `pledge migrate`, followed by one sealed `audit.sealed` entry."""
    environment = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "PLEDGE_VAR": str(tmp_path),
    }

    def pledge(*args):
        return subprocess.run(
            [sys.executable, "-m", "pledge", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert pledge("migrate", "vault", "0001", "--noinput").returncode == 0
    legacy = (
        "import hashlib\n"
        "from django.db import connection\n"
        "from pledge.vault.actors import Actor\n"
        "from pledge.vault.audit import entry_content, entry_fields\n"
        "previous = '0' * 64\n"
        "for sequence in (1, 2):\n"
        "    row = dict(entry_fields(actor=Actor.system('test'), action='test.old'), sequence=sequence,"
        " previous_hash=previous)\n"
        "    digest = hashlib.sha256(entry_content(row)).hexdigest()\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('INSERT INTO vault_auditentry (sequence, at, actor_label, action,"
        " object_type, object_id, reason, request_id, details, previous_hash, hash) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)', [sequence, row['at'], row['actor_label'],"
        " 'test.old', '', '', '', '', '{}', previous, digest])\n"
        "    previous = digest\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('INSERT INTO vault_audithead (id, sequence, hash) VALUES"
        " (1, 2, %s)', [previous])\n"
    )
    inserted = pledge("shell", "-c", legacy)
    assert inserted.returncode == 0, inserted.stderr
    migrated = pledge("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    verified = pledge("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    shown = pledge(
        "shell",
        "-c",
        "from pledge.vault.models import AuditEntry; "
        "print([(e.sequence, e.action, e.key_id != '') for e in AuditEntry.objects.all()])",
    )
    assert shown.stdout.splitlines()[-1] == (
        "[(1, 'test.old', False), (2, 'test.old', False), (3, 'audit.sealed', True)]"
    )
