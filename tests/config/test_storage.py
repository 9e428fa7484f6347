"""config.storage.RecordingsS3Storage against a real S3-compatible server on loopback (moto)."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files import File

from config.storage import RecordingsS3Storage, StoreError, StoreUnavailable
from tests.live_gunicorn import free_port
from tests.s3 import s3_storage_settings

DATA = random.Random(14).randbytes(3 * 1024 * 1024 + 17)


@pytest.fixture
def storage(s3_server, s3_bucket) -> RecordingsS3Storage:
    return RecordingsS3Storage(**s3_storage_settings(s3_server, s3_bucket)["OPTIONS"])


@pytest.fixture
def stored(storage) -> str:
    return storage.save("recordings/a/audio.mp3", File(io.BytesIO(DATA), name="audio.mp3"))


def store_answers(storage: RecordingsS3Storage) -> list[dict]:
    """Every answer the store gives this storage's client from now on: (operation, Content-Length)."""
    seen: list[dict] = []

    def note(http_response, parsed, model, **kwargs):
        seen.append({"operation": model.name, "length": int(http_response.headers.get("Content-Length", 0))})

    storage.connection.meta.client.meta.events.register("after-call.s3", note)
    return seen


def test_a_ranged_read_asks_the_store_for_only_those_bytes(storage, stored):
    answers = store_answers(storage)

    blocks = list(storage.open_range(stored, 2_000_000, 1000, block_size=256))

    assert b"".join(blocks) == DATA[2_000_000:2_001_000]
    assert max(len(b) for b in blocks) <= 256
    assert answers == [{"operation": "GetObject", "length": 1000}]


def test_the_last_bytes_of_the_object_read_exactly(storage, stored):
    assert b"".join(storage.open_range(stored, len(DATA) - 5, 5, block_size=4096)) == DATA[-5:]


def test_size_comes_from_a_head_request_without_the_body(storage, stored):
    answers = store_answers(storage)

    assert storage.size(stored) == len(DATA)
    assert [a["operation"] for a in answers] == ["HeadObject"]


def test_a_missing_object_is_file_not_found_for_both_reads(storage):
    with pytest.raises(FileNotFoundError):
        storage.size("recordings/nothing.mp3")
    with pytest.raises(FileNotFoundError):
        storage.open_range("recordings/nothing.mp3", 0, 10, block_size=10)


def test_a_missing_bucket_is_a_store_error_not_a_missing_file(s3_server):
    storage = RecordingsS3Storage(**s3_storage_settings(s3_server, "breesy-no-such-bucket")["OPTIONS"])

    with pytest.raises(StoreError) as raised:
        storage.open_range("recordings/a.mp3", 0, 10, block_size=10)
    assert not isinstance(raised.value, StoreUnavailable)


def test_an_unreachable_store_is_unavailable(s3_server, s3_bucket):
    options = s3_storage_settings(s3_server, s3_bucket)["OPTIONS"]
    storage = RecordingsS3Storage(**{**options, "endpoint_url": f"http://127.0.0.1:{free_port()}"})

    with pytest.raises(StoreUnavailable):
        storage.size("recordings/a.mp3")
    with pytest.raises(StoreUnavailable):
        storage.open_range("recordings/a.mp3", 0, 10, block_size=10)


def test_it_never_hands_out_the_bucket_address(storage, stored):
    with pytest.raises(NotImplementedError):
        storage.url(stored)


def test_a_long_file_goes_up_in_parts_read_one_at_a_time(storage):
    """The upload reads the file a part at a time (5 MB here), never the whole 12 MB at once."""
    data = random.Random(7).randbytes(12 * 1024 * 1024)
    reads: list[int] = []

    class Source(io.BytesIO):
        def read(self, size=-1):
            chunk = super().read(size)
            reads.append(len(chunk))
            return chunk

    name = storage.save("recordings/long.mp3", File(Source(data), name="long.mp3"))

    assert max(reads) <= 5 * 1024 * 1024
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=name)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    assert b"".join(storage.open_range(name, 0, len(data), block_size=1024 * 1024)) == data
