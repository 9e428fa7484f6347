"""gunicorn config for tests (`-c python:tests.gunicorn_sendfile_probe`): production's worker kind, and
every worker notes how many bytes each os.sendfile call sent, so a test can tell that the kernel
carried a response body rather than Python. The note file is $SENDFILE_PROBE_LOG."""

from __future__ import annotations

import os

worker_class = "gthread"
threads = 4


def post_worker_init(worker) -> None:
    notes = os.environ["SENDFILE_PROBE_LOG"]
    real_sendfile = os.sendfile

    def counting_sendfile(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        sent = real_sendfile(out_fd, in_fd, offset, count)
        with open(notes, "a") as f:  # one short line per call: appends from threads don't interleave
            f.write(f"{sent}\n")
        return sent

    # socket.sendfile looks os.sendfile up on every call, so replacing it here is enough.
    os.sendfile = counting_sendfile
