"""Spreadsheets built to hurt a reader, made quickly with zipfile (a test builds each once)."""

import functools
import io
import os
import zipfile

from core.tests.spreadsheets import SHEET, xlsx_bytes


def with_sheet(headers: tuple[str, ...], write_rows, *, level: int = 6, pad_bytes: int = 0) -> bytes:
    """A valid .xlsx whose sheet is the headers' row, then what ``write_rows(stream)`` writes;
    ``pad_bytes`` of random bytes stored (not compressed) beside it keep the file's overall
    compression ratio ordinary."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(headers=headers)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != SHEET:
                target.writestr(item.filename, data)
                continue
            head, _rows, tail = data.partition(b"</sheetData>")
            with target.open(SHEET, "w", force_zip64=True) as stream:
                stream.write(head)
                write_rows(stream)
                stream.write(b"</sheetData>" + tail)
        if pad_bytes:
            target.writestr(zipfile.ZipInfo("xl/media/image1.png"), os.urandom(pad_bytes))
    return buffer.getvalue()


@functools.cache
def padded_blank_rows_bomb(headers: tuple[str, ...]) -> bytes:
    """The attack of issue 15: 500 MB of blank-row XML deflated to 2.3 MB (229×), beside 3 MB
    of stored random bytes, so that the 5.4 MB file as a whole packs only 97×."""
    block = b"<row/>" * (1024 * 1024 // 6)

    def blank_rows(stream):
        for _ in range(500):
            stream.write(block)

    return with_sheet(headers, blank_rows, level=1, pad_bytes=3 * 1024 * 1024)


def patch_declared_size(content: bytes, name: str, *, size: int) -> bytes:
    """The archive with ``name`` declaring only ``size`` bytes (in its local and central
    headers, with the CRC of its first ``size`` bytes): a reader that stops at the declared
    size sees a smaller, valid member; one that inflates to the stream's end sees it all."""
    import struct
    import zlib

    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    prefix = zipfile.ZipFile(io.BytesIO(content)).read(name)[:size]
    data = bytearray(content)
    fields = struct.pack("<III", zlib.crc32(prefix), info.compress_size, size)
    data[info.header_offset + 14 : info.header_offset + 26] = fields
    encoded = name.encode()
    central = bytes(data).find(b"PK\x01\x02")
    while bytes(data[central + 46 : central + 46 + len(encoded)]) != encoded:
        central = bytes(data).find(b"PK\x01\x02", central + 4)
    data[central + 16 : central + 28] = fields
    return bytes(data)
