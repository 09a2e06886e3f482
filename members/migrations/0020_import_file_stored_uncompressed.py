"""PostgreSQL keeps a large bytea compressed by default, and reading a chunk of it (substr)
then decompresses everything before that chunk: a file read in chunks cost the database
work growing with the square of its size. EXTERNAL keeps it out of line, uncompressed
(uploads are zip files or CSVs already read once), so each chunk is read directly."""

from django.db import migrations


def external(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE members_importjob ALTER COLUMN file_content SET STORAGE EXTERNAL")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE members_importjob ALTER COLUMN file_content SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("members", "0019_import_rows")]

    operations = [migrations.RunPython(external, default)]
