"""Recordings on S3-compatible object storage: ranged reads streamed in blocks, errors named.

django-storages' `S3Storage` writes well (a multipart upload read from the file in chunks), but its
file object downloads the whole object on the first read or seek, so a player seeking into a 100 MB
recording would pull 100 MB from the store to send a few kilobytes. `RecordingsS3Storage` adds what
`calls.streaming` needs to serve a range by asking the store for exactly that range:

- `size(name)`: a HEAD request, metadata only;
- `open_range(name, start, length)`: one ranged `GetObject`, its body yielded in blocks.

Both raise `FileNotFoundError` for a missing object (Django's own convention) and a `StoreError`
(`StoreUnavailable` when the store cannot be reached or asks us to slow down) for everything else,
so the caller answers 404 or 502/503 instead of a traceback. The bucket's address never leaves
the app: `url()` refuses, because recordings are streamed through authorised views only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

# The store's answers that mean "no such object" (GetObject says NoSuchKey, HEAD has no body: 404).
_MISSING = {"NoSuchKey", "404", "NotFound"}
# The store's answers that mean "not now": worth a retry later, so a 503 rather than a 502.
_BUSY = {"SlowDown", "ServiceUnavailable", "503", "RequestTimeout", "InternalError", "500"}


class StoreError(Exception):
    """The object store answered with an error the app cannot use (bad credentials, no bucket...)."""


class StoreUnavailable(StoreError):
    """The object store could not be reached, timed out, or asked us to come back later."""


def store_error(error: Exception, name: str) -> Exception:
    """The exception a caller sees for a boto error raised while reading `name`."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _MISSING:  # not NoSuchBucket, also a 404: a missing bucket is our misconfiguration
            return FileNotFoundError(f"stored file {name!r} does not exist")
        if code in _BUSY or (status or 0) >= 500:
            return StoreUnavailable(f"object store busy ({code or status})")
        return StoreError(f"object store refused the request ({code or status})")
    if isinstance(error, ConnectionError | HTTPClientError):
        return StoreUnavailable(f"object store unreachable ({type(error).__name__})")
    return StoreError(f"object store failed ({type(error).__name__})")


class RecordingsS3Storage(S3Storage):
    """A private bucket of recordings: ranged reads that fetch only the bytes asked for, no URLs."""

    def _key(self, name: str) -> str:
        return self._normalize_name(clean_name(name))

    def check(self) -> None:
        """Raise a StoreError unless the bucket answers (a HEAD on the bucket, for /healthz)."""
        try:
            self.connection.meta.client.head_bucket(Bucket=self.bucket_name)
        except (ClientError, BotoCoreError) as error:
            found = store_error(error, self.bucket_name)
            if isinstance(found, FileNotFoundError):
                found = StoreError("object store has no such bucket")
            raise found from error

    def size(self, name: str) -> int:
        """The object's size from a HEAD request (metadata only)."""
        try:
            head = self.connection.meta.client.head_object(Bucket=self.bucket_name, Key=self._key(name))
        except (ClientError, BotoCoreError) as error:
            found = store_error(error, name)
            if isinstance(found, FileNotFoundError):
                self.check()  # a HEAD's bare 404 does not say whether the object or the bucket is missing
            raise found from error
        return int(head["ContentLength"])

    def exists(self, name: str) -> bool:
        """Whether `name` is stored (a HEAD request); a store that cannot say raises a StoreError."""
        try:
            self.size(name)
        except FileNotFoundError:
            return False
        return True

    def open_range(self, name: str, start: int, length: int, *, block_size: int) -> Iterator[bytes]:
        """`length` bytes of `name` from `start`, as blocks of at most `block_size` bytes.

        The request is made here, before the first block is asked for, so a missing object or an
        unreachable store raises now, while the caller can still choose the status code. A store
        that fails after the first block can only cut the body short (the status line has gone):
        the generator raises and the server drops the connection, which a player retries."""
        if length <= 0:
            raise ValueError("a ranged read needs at least one byte")
        try:
            answer = self.connection.meta.client.get_object(
                Bucket=self.bucket_name, Key=self._key(name), Range=f"bytes={start}-{start + length - 1}"
            )
        except (ClientError, BotoCoreError) as error:
            raise store_error(error, name) from error
        expected = f"bytes {start}-{start + length - 1}/"
        if not str(answer.get("ContentRange", "")).startswith(expected):
            # A store that ignored the Range header would have us send the wrong bytes: refuse.
            answer["Body"].close()
            raise StoreError(f"object store answered {answer.get('ContentRange')!r} for {expected}...")
        return _blocks(answer["Body"], name, length, block_size)

    def url(self, name: str, parameters=None, expire=None, http_method=None) -> str:
        raise NotImplementedError("recordings are streamed through authorised views, never linked to the store")


def _blocks(body, name: str, length: int, block_size: int) -> Iterator[bytes]:
    try:
        for block in body.iter_chunks(block_size):
            block = block[:length]  # never more than the Content-Length the client was promised
            length -= len(block)
            yield block
            if length <= 0:
                return
        if length > 0:
            raise StoreError(f"object store sent {length} bytes too few of {name!r}")
    except (ClientError, BotoCoreError) as error:
        logger.warning("recording %s: the store failed mid-stream: %s", name, type(error).__name__)
        raise store_error(error, name) from error
    finally:
        body.close()
