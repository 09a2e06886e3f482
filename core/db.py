"""Set-based writes the ORM lacks, for PostgreSQL and SQLite alike.

Django's ``bulk_update`` builds a CASE with a WHEN per object for every field, which both
Python and the database take quadratic time over (2,000 customers took seconds), and
``bulk_create`` builds a model instance per row. For the paths that write thousands of rows
at a time (imports, sync pages) these helpers send one statement per batch with a VALUES
list instead.
"""

import datetime
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import Field, Lookup, Model
from django.db.models.lookups import IContains

MAX_PARAMS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any={…}``: ``= ANY(%s)`` with the values as one array on PostgreSQL, where
    ``__in`` makes a placeholder per value (for thousands, Django and the driver take longer
    to build and send the query than the database takes to run it); ``IN (…)`` elsewhere.

    Give a set (or any iterable but a list or tuple, whose items Django inspects one by one
    for expressions) of plain values as the column stores them: strings, integers."""

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = any_of_sql(
            lhs, list(self.rhs), db_type=array_type(self.lhs.output_field), vendor=connection.vendor
        )
        return sql, [*lhs_params, *params]


def any_of_sql(
    column: str, values: list[Any], *, db_type: str = "bigint[]", vendor: str | None = None
) -> tuple[str, list]:
    """``column`` is one of ``values``, as raw SQL: ``= ANY(%s::type[])`` with one array
    parameter on PostgreSQL, ``IN (%s, …)`` elsewhere, ``1 = 0`` for no values. The one place
    the switch is made (the ``__any`` lookup and raw statements both use it)."""
    if (vendor or connection.vendor) == "postgresql":
        return f"{column} = ANY(%s::{db_type})", [array_literal(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


@Field.register_lookup
class ILike(IContains):
    """``field__ilike="gmail"``: case-insensitive "contains" that a trigram index serves.
    Django's ``icontains`` on PostgreSQL compares ``UPPER(column)``, which an index on the
    column (members migration 0004) cannot answer, so a million rows are scanned; ``ILIKE``
    on the column itself is answered by the index. Elsewhere it is ``icontains``."""

    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Given "icontains" as its name, the pattern is wrapped in % with % and _ escaped.
        rhs_lookup = IContains(self.lhs, self.rhs)
        rhs, rhs_params = rhs_lookup.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


def current_database_url() -> str:
    """The URL of the database this process uses now (e.g. the test database), for a
    worker or helper process started to work on the same data."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def concrete_field(model: type[Model], name: str) -> Field:
    """The model's field ``name`` that is a column of its table (not a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model._meta.label}.{name} is not a column")
    return field


def column_of(model: type[Model], name: str) -> str:
    """The column of the model's field ``name``."""
    return _column(concrete_field(model, name))


def _column(field: Field) -> str:
    if not field.column:  # only a concrete field reaches here; the stubs allow None
        raise TypeError(f"{field} has no column")
    return field.column


def array_type(field: Field) -> str:
    """The PostgreSQL array type for values of ``field``. Text has no length here: a cast
    to varchar(n) would cut a longer value silently, where the column refuses it."""
    if isinstance(field, models.CharField):
        return "text[]"
    return f"{field.cast_db_type(connection)}[]"


def values_table(fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> tuple[str, list, list[str]]:
    """A table of the rows (values matching ``fields``) to join or select from: the SQL, its
    parameters and how to refer to each column. PostgreSQL gets one array per column
    (``unnest``): a handful of parameters however many rows, where a VALUES list would make
    the driver parse a statement with tens of thousands of placeholders. SQLite gets VALUES
    (its columns are called column1, column2…)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        names = [quote(_column(field)) for field in fields]
        arrays = ", ".join(f"%s::{array_type(field)}" for field in fields)
        columns = zip(*rows, strict=True) if rows else ([] for _field in fields)
        params = [array_literal(list(column)) for column in columns]
        return f"unnest({arrays}) AS v({', '.join(names)})", params, [f"v.{name}" for name in names]
    placeholder = "(" + ", ".join("%s" for _field in fields) + ")"
    params = [value for row in rows for value in row]
    sql = f"(VALUES {', '.join([placeholder] * len(rows))}) AS v"
    return sql, params, [f"v.column{index + 1}" for index in range(len(fields))]


_LITERAL_TYPES = frozenset({str, int, float, bool, datetime.datetime, datetime.date, Decimal, type(None)})


def array_literal(values: list[Any]) -> str | list[Any]:
    """PostgreSQL's text form of an array of these values ('{1,2}', '{"a","b"}'), for a
    ``%s::type[]`` parameter. The driver would adapt the list element by element in Python
    (a regular expression per string): for the 5,000-row columns of an import batch that
    took longer than the database's work on them. Values of other types (JSON, say) are
    left to the driver: the list is returned as it is."""
    kinds = {type(value) for value in values}
    if kinds <= {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if not kinds <= _LITERAL_TYPES:
        return values
    if kinds == {str}:
        if not any('"' in value or "\\" in value for value in values):
            return '{"' + '","'.join(values) + '"}'
        texts = values
    else:
        texts = [None if value is None else str(value) for value in values]
    return (
        "{"
        + ",".join(
            "NULL" if text is None else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' for text in texts
        )
        + "}"
    )


# Values of other fields (text, numbers, booleans, keys) go to the driver as they are:
# preparing a million of them through the ORM would cost seconds.
_PREPARED_TYPES = (models.DateTimeField, models.DateField, models.TimeField, models.DecimalField, models.JSONField)


def _prepared(fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """The rows with the values of ``_PREPARED_TYPES`` fields as the database takes them. A
    value repeated from the row before (the same ``now`` on every row) is prepared once."""
    preparing = [(index, field) for index, field in enumerate(fields) if isinstance(field, _PREPARED_TYPES)]
    if not preparing:
        return rows
    last: dict[int, tuple[Any, Any]] = {}
    prepared = []
    for row in rows:
        row = list(row)
        for index, field in preparing:
            value = row[index]
            before = last.get(index)
            if before is not None and before[0] is value:
                row[index] = before[1]
            else:
                row[index] = field.get_db_prep_save(value, connection)
                last[index] = (value, row[index])
        prepared.append(row)
    return prepared


def bulk_update_rows(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of each object, like ``QuerySet.bulk_update``, in one UPDATE … FROM
    (VALUES …) joined on the primary key per batch. Returns the rows updated."""
    if not objects or not fields:
        return 0
    meta = type(objects[0])._meta
    model = type(objects[0])
    attnames = [concrete_field(model, name).attname for name in (meta.pk.name, *fields)]
    return update_rows(model, fields, [[getattr(obj, name) for name in attnames] for obj in objects])


def update_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: str = "pk",
    expressions: dict[str, str] | None = None,
    where: str = "",
    where_params: Sequence[Any] = (),
) -> int:
    """Write ``fields`` of the rows given as (key, *values), in one UPDATE … FROM (VALUES …)
    joined on ``key`` (the primary key, or another column that finds each row) per batch.
    Returns the rows updated. See ``update_rows_returning`` for the options."""
    updated = 0
    for cursor in _update_batches(model, fields, rows, key, expressions or {}, where, where_params, ""):
        updated += cursor.rowcount
    return updated


def update_rows_returning(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str],
    key: str = "pk",
    expressions: dict[str, str] | None = None,
    where: str = "",
    where_params: Sequence[Any] = (),
) -> list[tuple]:
    """``update_rows``, returning the ``returning`` columns of each row updated.

    ``expressions``: a field's SQL where it is not simply set to the value given, with
    ``{new}`` for the value, ``{old}`` for the column as it was and ``{table}`` for the
    table (``"{old} + {new}"`` adds to it). ``where``: a condition every row must meet as
    well (``"{table}.shop_id = %s"``), its parameters in ``where_params``."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(f"{table}.{quote(column_of(model, name))}" for name in returning)
    found: list[tuple] = []
    for cursor in _update_batches(
        model, fields, rows, key, expressions or {}, where, where_params, f" RETURNING {columns}"
    ):
        found.extend(cursor.fetchall())
    return found


def _update_batches(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    key: str,
    expressions: dict[str, str],
    where: str,
    where_params: Sequence[Any],
    returning: str,
) -> Iterator[Any]:
    """Run the UPDATE of each batch of ``rows``, yielding its cursor once it ran."""
    if not rows or not fields:
        return
    meta = model._meta
    columns = [concrete_field(model, meta.pk.name if key == "pk" else key), *(concrete_field(model, n) for n in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    condition = f" AND {where.format(table=table)}" if where else ""
    per_batch = max(1, MAX_PARAMS // len(columns)) if connection.vendor != "postgresql" else 50_000
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            values, params, refs = values_table(columns, _prepared(columns, rows[start : start + per_batch]))
            assignments = ", ".join(
                f"{quote(_column(f))} = "
                + expressions.get(f.name, "{new}").format(new=ref, old=f"{table}.{quote(_column(f))}", table=table)
                for f, ref in zip(columns[1:], refs[1:], strict=True)
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {values} "
                f"WHERE {table}.{quote(_column(columns[0]))} = {refs[0]}{condition}{returning}",
                [*params, *where_params],
            )
            yield cursor


def reserve_ids(model: type[Model], count: int) -> list[int] | None:
    """``count`` new primary keys from the table's sequence (PostgreSQL), for rows that
    other rows must point at before they are inserted; None where there is no sequence to
    draw from (SQLite): insert first, then point at the ids it returns. An id reserved and
    not used is a gap, as a rolled-back insert leaves."""
    if connection.vendor != "postgresql" or count <= 0:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    same: dict[str, Any] | None = None,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT the rows (values in the order of ``fields``; the fields in ``same`` take that
    one value on every row, sent once; every other column gets its model default),
    skipping those that meet the unique ``conflict`` columns, and return the ``returning``
    columns of the rows actually inserted."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    given = [concrete_field(model, name) for name in fields]
    same = same or {}
    named = {field.name for field in given} | set(same)
    defaults = [
        field for field in meta.concrete_fields if field.name not in named and not field.primary_key and not field.null
    ]
    # One value for every row: ``same``'s, then the defaults; sent once, as parameters.
    constant = [concrete_field(model, name) for name in same] + defaults
    (constant_values,) = _prepared(constant, [[*same.values(), *(field.get_default() for field in defaults)]])
    sql_tail = ""
    if conflict:
        sql_tail += f" ON CONFLICT ({', '.join(quote(column_of(model, n)) for n in conflict)}) DO NOTHING"
    if returning:
        sql_tail += f" RETURNING {', '.join(quote(column_of(model, n)) for n in returning)}"
    column_list = ", ".join(quote(_column(field)) for field in given + constant)
    per_batch = max(1, MAX_PARAMS // len(given)) if connection.vendor != "postgresql" else 50_000
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            values, params, refs = values_table(given, _prepared(given, rows[start : start + per_batch]))
            constants = "".join(", %s" for _field in constant)
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({column_list}) "
                f"SELECT {', '.join(refs)}{constants} FROM {values}"
                # SQLite reads "ON" after a bare FROM as a join's: WHERE true ends the SELECT.
                f" WHERE true{sql_tail}",
                [*constant_values, *params],  # the constants' placeholders come first in the text
            )
            if returning:
                found.extend(tuple(row) for row in cursor.fetchall())
    return found
