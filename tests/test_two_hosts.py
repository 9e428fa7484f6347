"""Two hosts, one truth: the test that proves the design.

Two gunicorns on two ports with two job clusters, as two hosts would run them, each with a local media
folder of its own, sharing only PostgreSQL, Redis and an S3 bucket (moto's server on loopback). What
one host does, the other sees: a recording imported through host 1 streams from host 2; one token's
limit holds across both; one phone makes one contact whichever host the POSTs reach; a staff session
signed in on one works on the other; a scheduled job runs once, not once per host."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import random
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.api_fixtures import issue
from tests.conftest import PASSWORD
from tests.live_cluster import redis_namespace, wait_for
from tests.live_hosts import Host, hosts, production_environment

pytestmark = [
    pytest.mark.two_hosts,
    # Each test reads inside a transaction, seeing what the hosts commit; what the hosts need to see is
    # made and committed once, by the `deployment` fixture, and flushed after the module.
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two hosts share PostgreSQL (SQLite is one machine's file): runs on CI's PostgreSQL pass",
    ),
]
AUDIO = random.Random(2026).randbytes(3 * 1024 * 1024 + 5)
CONVERSATION = "CAtwohosts000000000000000000000001"


class Deployment:
    """The hosts and what the tests made on them."""

    def __init__(self, hosts: list[Host], tokens: list[str], franchise, started: float, folder: Path) -> None:
        self.hosts = hosts
        self.token, self.fresh_token = tokens
        self.franchise = franchise
        self.started = started
        self.folder = folder


@pytest.fixture(scope="module")
def deployment(django_db_setup, django_db_blocker, s3_server, tmp_path_factory):
    from django_q.models import Schedule

    from franchises.models import Franchise, Location

    folder = tmp_path_factory.mktemp("two-hosts")
    with django_db_blocker.unblock():
        franchise = Franchise.objects.create(name="Aqua Restoration North", timezone="America/Chicago")
        Location.objects.create(franchise=franchise, name="North Branch")
        tokens = [issue(franchise), issue(franchise)]  # the second for the limit test alone
        # Due now, every 10 minutes: each cluster looks about 30 s after it starts; one must take it.
        Schedule.objects.create(
            func="tests.jobs_probe.note_work",
            args=repr((str(folder), "scheduled", 0)),
            schedule_type=Schedule.MINUTES,
            minutes=10,
            repeats=-1,
            next_run=timezone.now() - timedelta(seconds=1),
        )
    try:
        with redis_namespace() as namespace:
            shared = production_environment(namespace, s3_server, s3_server.new_bucket())
            with hosts(shared, folder) as started:
                # Alice, made the way an operator would on a host (its password hasher, not the tests').
                made = started[0].manage(
                    "create_staff_user",
                    "--franchise",
                    franchise.name,
                    "--role",
                    "owner",
                    "--password",
                    PASSWORD,
                    "alice",
                )
                assert made.returncode == 0, made.stderr
                yield Deployment(started, tokens, franchise, time.monotonic(), folder)
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)  # what a transactional test does after


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_both_hosts_report_every_part_healthy(deployment):
    for host in deployment.hosts:
        status, _, body = get(host.base, "/healthz")
        assert status == 200, body
        assert json.loads(body)["checks"] == {"database": "ok", "redis": "ok", "storage": "ok", "jobs": "ok"}


def test_a_recording_imported_through_host_1_streams_byte_exact_from_host_2(deployment, tmp_path):
    first, second = deployment.hosts
    (tmp_path / "audio.mp3").write_bytes(AUDIO)
    line = {
        "conversation_id": CONVERSATION,
        "caller_id": "+15551234567",
        "timestamp": "2026-06-22T18:04:11+00:00",
        "duration": "182",
        "location": "North Branch",
        "recording_file": "audio.mp3",
    }
    (tmp_path / "calls.jsonl").write_text(json.dumps(line) + "\n")

    imported = first.manage("import_calls", "--franchise", deployment.franchise.name, str(tmp_path / "calls.jsonl"))
    assert imported.returncode == 0, imported.stderr

    auth = {"Authorization": f"Bearer {deployment.token}"}
    whole = get(second.base, f"/data/recordings/{CONVERSATION}", auth)
    seek = get(second.base, f"/data/recordings/{CONVERSATION}", {**auth, "Range": "bytes=2000000-2000999"})
    assert whole[0] == 200 and whole[2] == AUDIO
    assert seek[0] == 206 and seek[2] == AUDIO[2_000_000:2_001_000]
    # Neither host kept it on its own disk: the bucket is the one copy.
    assert not [p for host in deployment.hosts for p in host.media.rglob("*") if p.is_file()]


def wait_for_a_fresh_minute() -> None:
    # The 100 requests must land in one fixed window: don't start seconds before the minute turns.
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_one_tokens_limit_holds_across_both_hosts(deployment):
    token = deployment.fresh_token  # used by no other test: its minute starts empty
    wait_for_a_fresh_minute()

    def one(n: int) -> int:
        host = deployment.hosts[n % 2]
        return get(host.base, "/data/locations", {"Authorization": f"Bearer {token}"})[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(one, range(100)))

    assert statuses.count(200) == 60 and statuses.count(429) == 40, sorted(statuses)


def test_twenty_concurrent_posts_of_one_phone_across_both_hosts_make_one_contact(deployment):
    from contacts.models import Contact

    barrier = threading.Barrier(20)

    def one(n: int) -> int:
        host = deployment.hosts[n % 2]
        body = json.dumps({"primary_phone": ["555-444-3333", "(555) 444-3333", "+1 555 444 3333"][n % 3]})
        barrier.wait()
        conn = http.client.HTTPConnection(host.base.removeprefix("http://"), timeout=30)
        try:
            headers = {"Authorization": f"Bearer {deployment.token}", "Content-Type": "application/json"}
            conn.request("POST", "/data/contacts", body=body, headers=headers)
            return conn.getresponse().status
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(one, range(20)))

    assert sorted(statuses) == [200] * 19 + [201]
    assert Contact.objects.filter(franchise=deployment.franchise).count() == 1


def test_a_staff_session_signed_in_on_host_1_works_on_host_2(deployment):
    first, second = deployment.hosts
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.open(f"{first.base}/accounts/login/", timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    browser.open(f"{first.base}/accounts/login/", data=form.encode(), timeout=30).read()
    assert any(c.name == "sessionid" for c in jar)

    # The same cookies, sent to the other host (cookies do not care about ports).
    page = browser.open(f"{second.base}/calls/", timeout=30)

    assert page.status == 200 and page.url == f"{second.base}/calls/"  # not sent back to sign in
    assert "Aqua Restoration North" in page.read().decode()


def test_a_scheduled_job_runs_once_not_once_per_host(deployment):
    from django_q.models import Task

    def ran() -> int:
        return Task.objects.filter(func="tests.jobs_probe.note_work").count()

    # Each cluster first looks at the schedule about 30 s after it starts; wait past both looks.
    assert wait_for(lambda: ran() > 0, max(0.0, deployment.started + 45 - time.monotonic()), every=0.5)
    wait_for(lambda: False, max(5.0, deployment.started + 40 - time.monotonic()))

    assert ran() == 1
    assert (deployment.folder / "scheduled.finished").exists()
