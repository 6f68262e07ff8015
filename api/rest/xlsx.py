"""Excel downloads: a workbook is written into a spooled temporary file (memory up to 8 MB, then
disk) and streamed in chunks, with its size known up front (Content-Length)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from fastapi.responses import StreamingResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}, "description": "an Excel workbook"}}


def xlsx_download(write: Callable[[IO[bytes]], dict[str, str] | None], filename: str,
                  headers: dict[str, str] | None = None) -> StreamingResponse:
    """`write(file)` writes the workbook and may return headers known only then (row counts)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by _chunks
    try:
        extra = write(spool) or {}
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return StreamingResponse(_chunks(spool), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Length": str(size), **(headers or {}), **extra})


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()
