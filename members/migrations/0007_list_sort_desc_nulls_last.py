"""The member list's default order, newest order first with the never-ordered last
(DESC NULLS LAST), needs indexes of that exact shape on PostgreSQL to answer its first page
without sorting a million rows. SQLite cannot declare NULLS LAST in an index."""

from django.db import migrations

INDEXES = {
    "customer_list_last_order": "shop_id, last_order_at DESC NULLS LAST, id DESC",
    "customer_list_member_since": "shop_id, member_since DESC NULLS LAST, id DESC",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_customer ({columns})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0006_list_sort_indexes")]

    operations = [migrations.RunPython(forward, backward)]
