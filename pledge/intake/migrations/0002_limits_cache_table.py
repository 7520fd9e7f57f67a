from django.db import migrations


def create_limits_table(apps, schema_editor):
    """The rate limiter's table when it lives in the database (no Redis configured)."""
    from django.core.management import call_command

    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(create_limits_table, migrations.RunPython.noop)]
