"""The permission to write impact assessments (``manage_assessments``, PIPL Art. 55), held by
the privacy officer and the administrator (pledge/vault/access.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("vault", "0003_limit_counters")]

    operations = [
        migrations.AlterModelOptions(
            name="access",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_person", "See a person's personal data"),
                    ("view_all_leads", "See and assign every lead, not only one's own"),
                    ("work_own_leads", "Work the leads and meetings assigned to oneself"),
                    ("view_aggregates", "See aggregate statistics"),
                    ("manage_lists", "Manage mailing lists and campaigns"),
                    ("read_feedback", "Read visitor feedback"),
                    ("read_mailbox", "Read the service mailbox"),
                    ("manage_cases", "Work data-subject requests and complaints"),
                    ("view_disclosures", "See and record disclosures"),
                    ("view_audit_log", "See and verify the audit log"),
                    ("manage_staff", "Create staff accounts and give roles"),
                    ("export_people", "Export many people's data at once"),
                    ("import_people", "Import people from files"),
                    (
                        "manage_assessments",
                        "Write impact assessments of processings (PIPL Art. 55)",
                    ),
                ],
            },
        ),
    ]
