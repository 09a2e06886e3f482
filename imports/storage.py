"""An import's file, kept on its job (``ImportJob.file_content``, where any host can read
it) and moved in and out a chunk at a time (``core.blobs``): the upload from the temporary
file Django's handler wrote, the worker's reading into a local file it streams from."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from core.blobs import blob_open, blob_store, stream_sha256
from imports.models import ImportJob

file_sha256 = stream_sha256


def import_file_store(*, job_id: int, stream: IO[bytes], size: int) -> None:
    blob_store(model=ImportJob, field="file_content", pk=job_id, stream=stream, size=size)


@contextmanager
def import_file_open(*, job_id: int) -> Iterator[IO[bytes]]:
    with blob_open(model=ImportJob, field="file_content", pk=job_id) as file:
        yield file
