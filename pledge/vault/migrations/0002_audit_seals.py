"""Seal the audit chain: each entry records the ring key whose HMAC seals it (finding 4).

Nothing already written is converted. Entries from before keep their plain SHA-256 and key id
"", and ``audit_verify`` still checks them; so that a chain later rewritten with plain hashes
cannot pass for one of them, one audited entry, ``audit.sealed``, is appended after them under
the primary key: its seal covers their last hash, and an unsealed entry may only come before
the first sealed one (pledge/vault/audit.py). A database without entries gets nothing.

Irreversible: older code would read every sealed entry as edited.
"""

from django.db import migrations, models


def chain_seal(apps, schema_editor):
    from pledge.vault.audit import audit_chain_seal

    audit_chain_seal(apps.get_model("vault", "AuditEntry"), apps.get_model("vault", "AuditHead"))


class Migration(migrations.Migration):
    dependencies = [("vault", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(chain_seal),
    ]
