"""Database helpers the ORM lacks."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

_MAX_PARAMS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535


def bulk_update_rows(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of each object, like ``QuerySet.bulk_update``, in one UPDATE … FROM
    (VALUES …) joined on the primary key per batch. Django's bulk_update builds a CASE with a
    WHEN per object for every field, which both Python and the database take quadratic time
    over: 2,000 customers took seconds; this takes milliseconds. Returns rows updated."""
    if not objects or not fields:
        return 0
    model = type(objects[0])
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    postgres = connection.vendor == "postgresql"
    if postgres:
        placeholder = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in columns) + ")"
        alias = "v(" + ", ".join(quote(field.column) for field in columns) + ")"
        names = [quote(field.column) for field in columns]
    else:  # SQLite names a VALUES table's columns column1, column2, …
        placeholder = "(" + ", ".join("%s" for _field in columns) + ")"
        alias = "v"
        names = [f"column{index + 1}" for index in range(len(columns))]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}" for field, name in zip(columns[1:], names[1:], strict=True)
    )
    per_batch = max(1, _MAX_PARAMS // len(columns))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_batch):
            batch = objects[start : start + per_batch]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in batch for field in columns
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(batch))}) AS {alias} "
                f"WHERE {table}.{quote(meta.pk.column)} = v.{names[0]}",
                params,
            )
            updated += cursor.rowcount
    return updated
