"""HTTP Range responses for recordings (Django has none): 200/206/416, HEAD, constant memory.

Works with any Django storage. Three ways out, fastest first:
- a file on local disk goes out through the WSGI server's `wsgi.file_wrapper`, so gunicorn hands
  the requested range to the kernel with sendfile(2) and no byte passes through Python;
- a storage with `open_range` (config.storage.RecordingsS3Storage) is asked for exactly the range,
  one ranged GET whose body is passed on in blocks: a seek into a 100 MB object reads only the
  bytes asked for (django-storages' own S3 file would download the whole object first);
- any other storage's file is opened, seeked and streamed by a generator in blocks.
Either way the body is exactly the requested range and never the whole file in memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO

from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

# 512 KB: few enough Python round trips to stream near disk speed, small enough to keep memory flat.
BLOCK_SIZE = 512 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Past any file we store: a longer position (int() refuses over 4,300 digits) means "beyond the end".
BEYOND = 10**18


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 18 else BEYOND


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
        n = _position(last)
        if n == 0 or size == 0:
            return False
        return max(size - n, 0), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
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


class FileRange:
    """`length` bytes of an open OS file from `start`, as the file-like object a WSGI server's
    `wsgi.file_wrapper` takes.

    gunicorn sends a wrapped object with `fileno()` by sendfile(2): `Content-Length` bytes from the
    descriptor's current OS offset, which is why the file is seeked to `start` here. Servers without
    sendfile (Django's test client, runserver, gunicorn over TLS) call `read()` until it returns
    b"", so `read()` stops at the end of the range rather than the end of the file.

    Deliberately no `seek`/`tell`/`name`: FileResponse would use them to measure the file (reading
    it all when `tell` is missing) and overwrite our Content-Length and Content-Disposition. (Python's
    socket.sendfile would need `seek` only to fall back to send() when the kernel refuses sendfile
    on the first call, which it does not for a regular file.)"""

    def __init__(self, file: IO[bytes], start: int, length: int) -> None:
        file.seek(start)
        self._file = file
        self._remaining = length

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size) if size else b""
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


def _os_file(handle: IO[bytes]) -> IO[bytes] | None:
    """The ordinary OS file behind a storage's opened file (FileSystemStorage), or None.

    Checked by type rather than by calling `fileno()`: django-storages' S3 file answers `fileno()`
    too, by first writing its whole in-memory copy to a temporary file."""
    inner = getattr(handle, "file", handle)
    return inner if isinstance(inner, io.BufferedReader | io.FileIO) else None


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
        if not storage.exists(name):  # a body would find out by opening it; an answer without one asks
            raise FileNotFoundError(name)
        response = HttpResponse(status=status, content_type=content_type, headers=headers)
        response["Content-Length"] = str(length)
        return response
    open_range = getattr(storage, "open_range", None)
    if open_range is not None:
        body = open_range(name, start, length, block_size=BLOCK_SIZE)  # asks the store now: errors raise here
        return StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
    handle = storage.open(name, "rb")
    os_file = _os_file(handle)
    if os_file is None:
        body = _blocks(handle, start, length)
        return StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
    # FileResponse sets `file_to_stream`, which Django's WSGI handler passes to the server's
    # `wsgi.file_wrapper`; response.close() (called by the server or the test client) closes it.
    response = FileResponse(
        FileRange(os_file, start, length), status=status, content_type=content_type, headers=headers
    )
    response.block_size = BLOCK_SIZE  # for servers that read() instead of sendfile; Django's is 4 KB
    return response
