"""`make run` stops cleanly: SIGTERM to its process group (what a process manager sends; Ctrl-C sends
SIGINT the same way), or to make alone (systemd's KillMode=mixed), leaves no process behind within
10 s, and a task that was running finishes while one that cannot finish in time stays in the queue
for the next start. Its first start, on an empty database, prints the demo login once."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from demo.seed import LOCATIONS
from tests.live_gunicorn import ROOT, free_port

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="make run is the SQLite profile: tested once, on the SQLite pass"
)


def processes_in_session(sid: int) -> list[str]:
    """Every live process of the session `sid` (fields after the command name: state, ppid, pgrp, session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone while we looked
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(f"{stat.parent.name} {text[text.index('(') : text.rindex(')') + 1]}")
    return found


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return response.status == 200  # the web server answers and the job cluster has a heartbeat
    except OSError:
        return False


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A migrated SQLite database holding one franchise (so `seed_demo --if-empty` leaves it be)."""
    db = tmp_path_factory.mktemp("template") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    location = ["create_location", "--franchise", "Stop Test", LOCATIONS[0]]  # where send_demo_call's call is
    for argv in (["migrate", "-v0"], ["create_franchise", "Stop Test"], location):
        subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True)
    return db


@pytest.fixture
def own_install(migrated, tmp_path) -> dict[str, str]:
    """`make run`'s environment on a database, media folder and port of its own."""
    shutil.copy(migrated, tmp_path / "db.sqlite3")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": "",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "Q_WORKERS": "2",
    }
    env.pop("MAKEFLAGS", None)
    return env


def start_make_run(env: dict[str, str], log) -> subprocess.Popen:
    """`make run` in a session of its own (its pid is the session's and the process group's id), with
    SIGINT handled as under a terminal: a runner started in the background by a non-interactive shell
    (`.ci/run &`) hands SIGINT down ignored, and bash cannot trap a signal ignored when it started."""
    return subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def enqueue(env: dict[str, str], *tasks: tuple[str, float], folder: Path) -> None:
    code = "from django_q.tasks import async_task\n" + "".join(
        f"async_task('tests.jobs_probe.note_work', {str(folder)!r}, {name!r}, {seconds})\n" for name, seconds in tasks
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)


@pytest.mark.parametrize(
    "stop_signal, whole_group",
    [(signal.SIGTERM, True), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["SIGTERM to the group", "SIGINT to the group", "SIGTERM to make alone (systemd's KillMode=mixed)"],
)
def test_a_signal_to_make_run_leaves_nothing_behind(own_install, tmp_path, stop_signal, whole_group):
    log = (tmp_path / "make-run.log").open("wb")
    make = start_make_run(own_install, log)
    base = f"http://127.0.0.1:{own_install['PORT']}"
    try:
        assert wait_for(lambda: healthy(base), 240), (tmp_path / "make-run.log").read_text()
        # The fakes are parts too: the dialer's PhoneBurner is up (no demo user to link here), and
        # the app talks to it (else it says where the app points instead).
        assert wait_for(lambda: "Fake PhoneBurner at http://127.0.0.1:" in (tmp_path / "make-run.log").read_text(), 20)
        assert "The app talks to" not in (tmp_path / "make-run.log").read_text()
        # A signed call posted to the webhook has its audio fetched by the job worker within seconds.
        sent = subprocess.run(
            [sys.executable, "manage.py", "send_demo_call", "--url", base, "--franchise", "Stop Test", "--wait", "20"],
            cwd=ROOT, env=own_install, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sent.returncode == 0 and "audio fetched" in sent.stdout, sent.stdout + sent.stderr
        enqueue(own_install, ("quick", 2), ("slow", 60), folder=tmp_path)
        assert wait_for(lambda: (tmp_path / "quick.started").exists() and (tmp_path / "slow.started").exists(), 20)
        running = processes_in_session(make.pid)

        (os.killpg if whole_group else os.kill)(make.pid, stop_signal)
        stopped = wait_for(lambda: not processes_in_session(make.pid), 10)

        assert len(running) >= 6, running  # make, the script, runserver ×2, qcluster master, sentinel...
        assert stopped, processes_in_session(make.pid)
    finally:
        for line in processes_in_session(make.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)
        log.close()

    # The running task finished; the one that could not finish in time is still queued.
    assert (tmp_path / "quick.finished").exists()
    assert not (tmp_path / "slow.finished").exists()
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    queued = db.execute("SELECT COUNT(*) FROM django_q_ormq").fetchone()[0]
    done = db.execute("SELECT name, success FROM django_q_task WHERE func = 'tests.jobs_probe.note_work'").fetchall()
    db.close()
    assert queued == 1 and len(done) == 1 and done[0][1]


def test_a_first_make_run_prints_the_demo_login_once(own_install, tmp_path):
    env = {**own_install, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}  # seed_demo loads the demo
    path = tmp_path / "make-run.log"
    with path.open("wb") as log:
        make = start_make_run(env, log)
        try:
            # The banner's last line is printed before any part starts.
            assert wait_for(lambda: "export OUTBOUND_ALLOWED_HOSTS=" in path.read_text(), 240), path.read_text()
        finally:
            os.killpg(make.pid, signal.SIGTERM)
            wait_for(lambda: not processes_in_session(make.pid), 10)
            for line in processes_in_session(make.pid):
                os.kill(int(line.split()[0]), signal.SIGKILL)
    printed = path.read_text()
    assert printed.count("Demo login") == 1, printed
    assert "Demo login: demo / " in printed, printed
