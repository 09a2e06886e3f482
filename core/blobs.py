"""Large binary values (an uploaded file, a built export) moved between a stream and a
model's BinaryField a chunk at a time.

Written as one value, a 60 MB upload cost the web process about 540 MB: Django's upload
handler had it in a temporary file, ``.read()`` made it bytes, and PostgreSQL's driver binds
values on the client, so the query held the bytes again as hex text, twice over. Read as one
value, a worker held it as hex text, as bytes and as a copy of those. Here memory holds one
chunk:

- Writing on PostgreSQL streams the value through ``COPY … FROM STDIN (FORMAT BINARY)`` into
  a temporary table, then one UPDATE moves it onto the row, inside the database. On SQLite
  the value is sized with ``zeroblob`` and written through the incremental blob API.
- Reading copies it, chunk by chunk (``substr``), into a local temporary file.
"""

import hashlib
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.db import connection
from django.db.models import Model

from core.db import column_of

CHUNK_BYTES = 4 * 1024 * 1024
# Smaller values stay in memory on their way to the reader.
SPOOL_BYTES = 4 * 1024 * 1024


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def stream_sha256(stream: IO[bytes]) -> str:
    """The stream's SHA-256, read in chunks; the stream is left at its start."""
    stream.seek(0)
    digest = hashlib.sha256()
    for chunk in _chunks(stream):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _where(model: type[Model], field: str) -> tuple[str, str, str]:
    meta = model._meta
    quote = connection.ops.quote_name
    return quote(meta.db_table), quote(column_of(model, field)), quote(column_of(model, meta.pk.name))


def blob_store(*, model: type[Model], field: str, pk: int, stream: IO[bytes], size: int) -> None:
    """Put the stream's ``size`` bytes into the row's ``field``, inside the caller's
    transaction (PostgreSQL's temporary table lives until it commits)."""
    table, column, key = _where(model, field)
    stream.seek(0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY's binary format: a signature and two empty header words, then one row of
            # one field (its length, its bytes), then the end mark.
            cursor.execute("CREATE TEMPORARY TABLE blob_upload (content bytea) ON COMMIT DROP")
            with cursor.cursor.copy("COPY blob_upload (content) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + struct.pack("!hi", 1, size))
                for chunk in _chunks(stream):
                    copy.write(chunk)
                copy.write(struct.pack("!h", -1))
            cursor.execute(f"UPDATE {table} SET {column} = (SELECT content FROM blob_upload) WHERE {key} = %s", [pk])
            cursor.execute("DROP TABLE blob_upload")
        elif connection.vendor == "sqlite" and hasattr(connection.connection, "blobopen"):  # Python 3.11+
            cursor.execute(f"UPDATE {table} SET {column} = zeroblob(%s) WHERE {key} = %s", [size, pk])
            with connection.connection.blobopen(model._meta.db_table, column_of(model, field), pk) as blob:
                for chunk in _chunks(stream):
                    blob.write(chunk)
        else:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", [stream.read(), pk])


def blob_size(*, model: type[Model], field: str, pk: int) -> int:
    table, column, key = _where(model, field)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT length({column}) FROM {table} WHERE {key} = %s", [pk])
        found = cursor.fetchone()
    return (found[0] if found else 0) or 0


def blob_chunks(*, model: type[Model], field: str, pk: int) -> Iterator[bytes]:
    """The row's ``field`` a chunk at a time, straight from the database (a download
    streamed to the browser holds one chunk, not the file)."""
    table, column, key = _where(model, field)
    size = blob_size(model=model, field=field, pk=pk)
    for start in range(0, size, CHUNK_BYTES):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT substr({column}, %s, %s) FROM {table} WHERE {key} = %s", [start + 1, CHUNK_BYTES, pk]
            )
            yield bytes(cursor.fetchone()[0])


@contextmanager
def blob_open(*, model: type[Model], field: str, pk: int) -> Iterator[IO[bytes]]:
    """The row's ``field`` as a local, seekable file, copied a chunk at a time."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as local:
        for chunk in blob_chunks(model=model, field=field, pk=pk):
            local.write(chunk)
        local.seek(0)
        yield local
