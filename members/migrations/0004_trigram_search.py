"""Substring search by name, phone digits and e-mail at a million customers: trigram GIN
indexes on PostgreSQL (LIKE '%...%' and ILIKE use them). SQLite scans, which is fine for the
embedded default's sizes."""

from django.db import migrations

INDEXES = [
    ("customer_search_name_trgm", "search_name gin_trgm_ops"),
    ("customer_phone_trgm", "phone gin_trgm_ops"),
    ("customer_email_trgm", "email gin_trgm_ops"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_customer USING gin ({column})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0003_search")]

    operations = [migrations.RunPython(forward, backward)]
