"""As members 0020 for an import's file: an export's workbook is streamed to the browser a
chunk at a time (substr), which on a compressed bytea decompresses all before each chunk."""

from django.db import migrations


def external(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE shops_exportjob ALTER COLUMN content SET STORAGE EXTERNAL")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE shops_exportjob ALTER COLUMN content SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("shops", "0009_activity_group_deleted")]

    operations = [migrations.RunPython(external, default)]
