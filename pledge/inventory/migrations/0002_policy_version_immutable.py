"""The database itself refuses to change a published policy version (P23).

The model and its queryset refuse updates and deletes already; this trigger also stops raw
SQL and any tool that bypasses the ORM from rewriting what was published. SQLite drops a
table's triggers when a later migration rebuilds the table, so
pledge/inventory/tests/test_versions.py checks that the trigger is still there.
"""

from django.db import migrations

SQLITE_CREATE = """CREATE TRIGGER inventory_policyversion_immutable
BEFORE UPDATE ON inventory_policyversion
BEGIN
    SELECT RAISE(ABORT, 'published policy versions cannot be changed');
END"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS inventory_policyversion_immutable;"

POSTGRES_CREATE = [
    """
    CREATE FUNCTION inventory_policyversion_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'published policy versions cannot be changed';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER inventory_policyversion_immutable
    BEFORE UPDATE ON inventory_policyversion
    FOR EACH ROW EXECUTE FUNCTION inventory_policyversion_immutable()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS inventory_policyversion_immutable ON inventory_policyversion",
    "DROP FUNCTION IF EXISTS inventory_policyversion_immutable()",
]


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement, params=None)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_policy_version")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
