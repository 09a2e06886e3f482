"""The activity log is append-only, and the database itself keeps it so.

UPDATE is refused on every backend. DELETE is refused on PostgreSQL; TRUNCATE (used to
reset test databases) stays possible there. SQLite's test flush deletes rows one table at a
time, so on SQLite only UPDATE is refused.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION shops_activity_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the activity log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER shops_activity_no_update BEFORE UPDATE OR DELETE ON shops_activityentry
    FOR EACH ROW EXECUTE FUNCTION shops_activity_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS shops_activity_no_update ON shops_activityentry;
DROP FUNCTION IF EXISTS shops_activity_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER shops_activity_no_update BEFORE UPDATE ON shops_activityentry
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS shops_activity_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shops", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
