"""Fixtures for the Data Share API tests: tokens and authenticated clients for franchises A and B."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import signals
from django.core.files.base import ContentFile
from django.db import close_old_connections
from django.test import Client

from calls.models import Call, Recording
from franchises.models import ApiToken, Franchise

DEMO_AUDIO = Path(__file__).resolve().parent.parent / "demo" / "audio" / "burst_pipe.mp3"


def issue(franchise: Franchise) -> str:
    _, plaintext = ApiToken.issue(franchise=franchise, label="tests")
    return plaintext


def bearer(plaintext: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def token_a(franchise_a) -> str:
    return issue(franchise_a)


@pytest.fixture
def api_a(token_a) -> Client:
    """Alice's integration: a client holding a bearer token of franchise A."""
    return bearer(token_a)


@pytest.fixture
def api_b(franchise_b) -> Client:
    """Carol's integration: a client holding a bearer token of franchise B."""
    return bearer(issue(franchise_b))


@pytest.fixture
def make_recording():
    """Attach a real (small) mp3 to a call."""

    def make(call: Call, audio: bytes | None = None) -> Recording:
        data = audio if audio is not None else DEMO_AUDIO.read_bytes()
        recording = Recording(call=call, size=len(data))
        recording.file.save("audio.mp3", ContentFile(data), save=False)
        recording.save()
        return recording

    return make


@pytest.fixture
def keep_test_connection():
    """For tests that call the WSGI application directly (schemathesis, a generated client): Django
    closes connections when a request starts and ends, which would close the test's own transaction.
    Django's test client unhooks this the same way."""
    hooks = (signals.request_started, signals.request_finished)
    for hook in hooks:
        hook.disconnect(close_old_connections)
    yield
    for hook in hooks:
        hook.connect(close_old_connections)
