"""An import's file, moved between a stream and its job's row a chunk at a time.

The file stays on the job (``ImportJob.file_content``), where any host can read it. Written
as one value, a 60 MB upload cost the web process about 540 MB: Django's upload handler had
it in a temporary file, ``.read()`` made it bytes, and PostgreSQL's driver binds values on
the client, so the query held the bytes again as hex text, twice over. Read as one value,
the worker held it as hex text, as bytes and as a copy of those. Here memory holds one chunk:

- Writing on PostgreSQL streams the file through ``COPY … FROM STDIN (FORMAT BINARY)`` into
  a temporary table, then one UPDATE moves it onto the job, inside the database. On SQLite
  the value is sized with ``zeroblob`` and written through the incremental blob API.
- Reading copies it, chunk by chunk (``substr``), into a local temporary file that the
  spreadsheet reader streams from.
"""

import hashlib
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.db import connection

CHUNK_BYTES = 4 * 1024 * 1024
# Smaller files stay in memory on their way to the reader.
SPOOL_BYTES = 4 * 1024 * 1024


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def file_sha256(stream: IO[bytes]) -> str:
    """The stream's SHA-256, read in chunks; the stream is left at its start."""
    stream.seek(0)
    digest = hashlib.sha256()
    for chunk in _chunks(stream):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def import_file_store(*, job_id: int, stream: IO[bytes], size: int) -> None:
    """Put the stream's ``size`` bytes on the job, inside the caller's transaction."""
    from members.models import ImportJob

    table = connection.ops.quote_name(ImportJob._meta.db_table)
    stream.seek(0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_into(cursor, table, job_id, stream, size)
        elif connection.vendor == "sqlite" and hasattr(connection.connection, "blobopen"):  # Python 3.11+
            cursor.execute(f"UPDATE {table} SET file_content = zeroblob(%s) WHERE id = %s", [size, job_id])
            with connection.connection.blobopen(ImportJob._meta.db_table, "file_content", job_id) as blob:
                for chunk in _chunks(stream):
                    blob.write(chunk)
        else:
            cursor.execute(f"UPDATE {table} SET file_content = %s WHERE id = %s", [stream.read(), job_id])


def _copy_into(cursor, table: str, job_id: int, stream: IO[bytes], size: int) -> None:
    """COPY's binary format: a signature and two empty header words, then one row of one
    field (its length, its bytes), then the end mark."""
    cursor.execute("CREATE TEMPORARY TABLE import_upload_file (content bytea) ON COMMIT DROP")
    with cursor.cursor.copy("COPY import_upload_file (content) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + struct.pack("!hi", 1, size))
        for chunk in _chunks(stream):
            copy.write(chunk)
        copy.write(struct.pack("!h", -1))
    cursor.execute(
        f"UPDATE {table} SET file_content = (SELECT content FROM import_upload_file) WHERE id = %s", [job_id]
    )
    cursor.execute("DROP TABLE import_upload_file")


@contextmanager
def import_file_open(*, job_id: int) -> Iterator[IO[bytes]]:
    """The job's file as a local, seekable file, copied a chunk at a time."""
    from members.models import ImportJob

    table = connection.ops.quote_name(ImportJob._meta.db_table)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as local:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT length(file_content) FROM {table} WHERE id = %s", [job_id])
            found = cursor.fetchone()
            size = (found[0] if found else 0) or 0
            for start in range(0, size, CHUNK_BYTES):
                cursor.execute(
                    f"SELECT substr(file_content, %s, %s) FROM {table} WHERE id = %s", [start + 1, CHUNK_BYTES, job_id]
                )
                local.write(cursor.fetchone()[0])
        local.seek(0)
        yield local
