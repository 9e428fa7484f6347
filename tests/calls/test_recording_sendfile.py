"""Recordings through a real gunicorn: the body goes out by sendfile(2) and is exactly the range asked for.

Django's test client never sees `wsgi.file_wrapper`, so only a real server exercises the path where the
kernel copies `Content-Length` bytes from the file's offset; an off-by-one there would send a neighbour's
bytes or hang a player waiting for more."""

from __future__ import annotations

import http.client
import os
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api_fixtures import issue
from tests.live_gunicorn import gunicorn_servers

pytestmark = pytest.mark.django_db(transaction=True)
# 3 MB that never repeats, so a range shifted by any number of bytes cannot compare equal.
AUDIO = random.Random(20260622).randbytes(3 * 1024 * 1024)


@dataclass
class Gunicorn:
    base: str
    proc: subprocess.Popen
    notes: Path

    def sendfile_bytes(self) -> int:
        """Bytes the workers have sent by os.sendfile so far."""
        text = self.notes.read_text() if self.notes.exists() else ""
        return sum(int(line) for line in text.split())

    def files_open_in_workers(self) -> set[str]:
        paths = set()
        for pid in self._workers():
            fds = Path(f"/proc/{pid}/fd")
            for fd in fds.iterdir() if fds.exists() else ():
                try:
                    paths.add(os.readlink(fd))
                except OSError:
                    continue  # closed while we looked
        return paths

    def _workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:  # the parent pid
                children.append(int(stat.parent.name))
        return children


@pytest.fixture
def gunicorn(transactional_db, settings, tmp_path):
    """Start one gthread worker on the test database and media folder, noting its sendfile calls;
    yields a function taking the settings module and giving the server."""
    with gunicorn_servers() as start_server:

        def start(settings_module: str = "config.settings") -> Gunicorn:
            notes = tmp_path / f"sendfile-{len(list(tmp_path.glob('sendfile-*')))}.log"
            notes.touch()
            base, proc = start_server(
                "-c",
                "python:tests.gunicorn_sendfile_probe",
                "--workers",
                "1",
                DJANGO_SETTINGS_MODULE=settings_module,
                MEDIA_ROOT=str(settings.MEDIA_ROOT),
                API_RATE_LIMIT_PER_MINUTE="10000",
                SENDFILE_PROBE_LOG=str(notes),
            )
            return Gunicorn(base, proc, notes)

        yield start


@pytest.fixture
def recorded(franchise_a, make_call, make_recording):
    call = make_call(franchise_a)
    recording = make_recording(call, audio=AUDIO)
    return call, Path(recording.file.path)


def get(server: Gunicorn, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_until(predicate, seconds: float = 5.0) -> bool:
    # The worker notes a sendfile or closes the file just after the client has the bytes.
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


CASES = [
    (None, 0, len(AUDIO) - 1),
    ("bytes=1000000-1999999", 1000000, 1999999),
    ("bytes=-777", len(AUDIO) - 777, len(AUDIO) - 1),
    ("bytes=123457-", 123457, len(AUDIO) - 1),
]


def fetch_every_case(server: Gunicorn, franchise, conversation_id: str, path: Path) -> list[int]:
    """GET each case, check its bytes and headers, and give what sendfile carried for each."""
    token = issue(franchise)
    carried = []
    for header, first, last in CASES:
        headers = {"Authorization": f"Bearer {token}"} | ({"Range": header} if header else {})
        before = server.sendfile_bytes()

        status, response_headers, body = get(server, f"/data/recordings/{conversation_id}", headers)

        assert status == (206 if header else 200), header
        assert body == AUDIO[first : last + 1], header
        assert response_headers["Content-Length"] == str(len(body)), header
        if header:
            assert response_headers["Content-Range"] == f"bytes {first}-{last}/{len(AUDIO)}"
        # The worker closes the file once its last sendfile call has returned and been noted.
        assert wait_until(lambda: str(path) not in server.files_open_in_workers())
        carried.append(server.sendfile_bytes() - before)
    return carried


def test_gunicorn_sendfiles_exactly_the_bytes_asked_for(gunicorn, franchise_a, recorded):
    call, path = recorded
    server = gunicorn()

    carried = fetch_every_case(server, franchise_a, call.conversation_id, path)

    # The kernel carried every body, byte for byte, not Python.
    assert carried == [last - first + 1 for _, first, last in CASES]


def test_a_storage_without_a_file_descriptor_streams_the_same_bytes_through_python(gunicorn, franchise_a, recorded):
    """The control for the test above: the probe counts only what really went by sendfile."""
    call, path = recorded
    server = gunicorn("tests.recording_settings")

    carried = fetch_every_case(server, franchise_a, call.conversation_id, path)

    assert carried == [0] * len(CASES)


def test_a_listener_who_hangs_up_mid_file_leaves_no_file_open(gunicorn, franchise_a, make_call, make_recording):
    call = make_call(franchise_a)
    # Larger than loopback's socket buffers, so the worker is still sending when the client goes.
    path = Path(make_recording(call, audio=AUDIO * 8).file.path)
    server = gunicorn()
    conn = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=30)
    token = issue(franchise_a)
    conn.request("GET", f"/data/recordings/{call.conversation_id}", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.read(64 * 1024) == AUDIO[: 64 * 1024]
    assert wait_until(lambda: str(path) in server.files_open_in_workers())

    conn.sock.close()  # with unread bytes: the kernel resets the connection mid-sendfile
    conn.close()

    assert wait_until(lambda: str(path) not in server.files_open_in_workers())
