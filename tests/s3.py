"""A real S3-compatible HTTP server on loopback (moto's ThreadedMotoServer) and a storage on it.

`s3_server` starts one server per test session on 127.0.0.1 (an ephemeral port); `s3_bucket` makes a
fresh bucket for one test; `s3_storage` points Django's default storage (the recordings) at that
bucket for one test, exactly as `AWS_STORAGE_BUCKET_NAME` and friends do in `config/settings.py`.
Requests are signed s3v4, as real S3 requires."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4"),
        )

    def environment(self, bucket: str) -> dict[str, str]:
        """The variables a server process reads to keep its recordings in `bucket` here."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def new_bucket(self) -> str:
        name = f"breesy-test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server) -> str:
    return s3_server.new_bucket()


def s3_storage_settings(server: S3Server, bucket: str) -> dict:
    """`STORAGES["default"]` as config/settings.py builds it from the environment."""
    from boto3.s3.transfer import TransferConfig

    return {
        "BACKEND": "config.storage.RecordingsS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": server.endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "file_overwrite": False,
            "querystring_auth": False,
            "client_config": Config(
                signature_version="s3v4", connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}
            ),
            # Parts of 5 MB (S3's smallest), so a test file of a few parts shows a streamed upload.
            "transfer_config": TransferConfig(
                multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=2
            ),
        },
    }


@pytest.fixture
def s3_storage(settings, s3_server, s3_bucket):
    """Recordings kept in a fresh bucket on the S3 server for this test; gives the storage."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(s3_server, s3_bucket)}
    return default_storage


@pytest.fixture(params=["disk", "s3"])
def recording_storage(request) -> str:
    """Runs a test twice: recordings on the local disk, then in a bucket on the S3 server."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param
