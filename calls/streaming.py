"""HTTP Range responses for recordings (Django has none): 200/206/416, HEAD, constant memory.

Works with any Django storage whose files can be opened and seeked (local disk, S3 via
django-storages): the body is a generator reading fixed-size blocks, never the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

# 512 KB: few enough Python round trips to stream near disk speed, small enough to keep memory flat.
BLOCK_SIZE = 512 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """The (first, last) byte of a single `Range: bytes=a-b|a-|-n` header.

    None means "no usable range, send it all" (no header, a unit we don't know, several ranges:
    RFC 9110 lets a server ignore those). False means unsatisfiable (416)."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            return False
        return max(size - n, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or (last and end < start):
        return False
    return start, min(end, size - 1)


def _blocks(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(BLOCK_SIZE, length))
            if not block:
                break
            length -= len(block)
            yield block
    finally:
        handle.close()


def ranged_file_response(
    request: HttpRequest, storage: Storage, name: str, *, size: int, content_type: str, filename: str
) -> HttpResponse:
    """Serve storage file `name` honouring Range and HEAD. `size` is the stored size in bytes."""
    span = parse_range(request.headers.get("Range"), size)
    common = {"Accept-Ranges": "bytes", "Content-Disposition": f'inline; filename="{filename}"'}
    if span is False:
        response = HttpResponse(status=416, headers={**common, "Content-Range": f"bytes */{size}"})
        return response
    start, end = span if span else (0, size - 1)
    length = max(end - start + 1, 0)
    status = 206 if span else 200
    headers = {**common, "Content-Length": str(length)}
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD" or length == 0:
        response = HttpResponse(status=status, content_type=content_type, headers=headers)
        response["Content-Length"] = str(length)
        return response
    body = _blocks(storage.open(name, "rb"), start, length)
    return StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
