"""The rate limits' own table of counters (pledge/vault/limits.py), replacing Django's
database cache ``pledge_limits``: its ``incr`` lost counts under concurrency, its ``add``
answered a database error as "already there", and past MAX_ENTRIES it deleted live counters.

The old table held only counters that live an hour at most, so it is dropped, not copied.
Going back leaves it dropped: the older ``pledge serve`` creates it again at start.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("vault", "0002_audit_seals")]

    operations = [
        migrations.CreateModel(
            name="LimitCounter",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("expires", models.FloatField()),
                ("count", models.PositiveIntegerField(default=1)),
            ],
            options={
                "indexes": [models.Index(fields=["expires"], name="limit_counter_expires")],
            },
        ),
        migrations.RunSQL("DROP TABLE IF EXISTS pledge_limits", migrations.RunSQL.noop),
    ]
