"""`make serve`, the production profile: it refuses to start without its variables (one line each),
passes `check --deploy`, serves over gunicorn with a job cluster behind a TLS-terminating proxy, logs
one line per request, and stops cleanly on SIGTERM."""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.live_cluster import require_redis
from tests.live_gunicorn import ROOT, database_url, free_port
from tests.test_make_run_stops import processes_in_session, wait_for


def production(**extra: str) -> dict[str, str]:
    """A complete production environment (what an operator sets), on loopback."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "AWS_"))}
    return {
        **environment,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "desk.example.com,127.0.0.1",
        "SITE_URL": "https://desk.example.com",
        "DATABASE_URL": "postgres://breesy@db.example.com:5432/breesy",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "TRUSTED_PROXIES": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        **extra,
    }


def test_it_refuses_to_start_without_its_variables_one_line_each():
    bare = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}

    result = subprocess.run(["make", "serve"], cwd=ROOT, env=bare, capture_output=True, text=True, timeout=60)

    lines = [line for line in result.stderr.splitlines() if line.startswith("make serve: ")]
    named = [line.removeprefix("make serve: ").split()[0] for line in lines]
    assert result.returncode != 0
    assert named == ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "REDIS_URL"]


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("SECRET_KEY", "short", "SECRET_KEY is too weak"),
        ("SITE_URL", "http://desk.example.com", "SITE_URL must start with https://"),
        ("DATABASE_URL", "sqlite:///var/db.sqlite3", "DATABASE_URL must be a postgres:// URL"),
        ("DEBUG", "true", "DEBUG must be false"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-key", "FIELD_ENCRYPTION_KEYS: key 1 is not a Fernet key"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a redis://"),
    ],
)
def test_a_wrong_value_is_named_too(variable, value, complaint):
    result = subprocess.run(
        [sys.executable, "-m", "config.production"],
        cwd=ROOT,
        env=production(**{variable: value}),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [line for line in result.stderr.splitlines() if complaint in line]
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "variable, value, complaint",
    [
        ("TRUSTED_PROXIES", "10.0.0.300", "TRUSTED_PROXIES: '10.0.0.300' is not an IP address or network"),
        (
            "SECURE_PROXY_SSL_HEADER",
            "https",
            "SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got 'https'",
        ),
        ("Q_WORKERS", "two", "Q_WORKERS must be an integer, got 'two'"),
    ],
)
def test_once_installed_what_the_settings_refuse_is_one_line_too(variable, value, complaint):
    """make serve's second look (`--settings`, after the install) loads the settings: no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "config.production", "--settings"],
        cwd=ROOT,
        env=production(**{variable: value}),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"make serve: {complaint}"]


def test_check_deploy_is_clean_under_the_production_profile():
    environment = {**production(), "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "config.settings"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stderr


def get(url: str, headers: dict[str, str] | None = None):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10)
    except urllib.error.HTTPError as answer:
        return answer


def healthy(url: str) -> bool:
    try:
        return get(url).status == 200
    except OSError:  # not listening yet
        return False


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("whole_group", [True, False], ids=["SIGTERM to the group", "SIGTERM to make alone"])
def test_it_serves_behind_a_tls_proxy_logs_each_request_and_stops_cleanly(tmp_path, whole_group):
    require_redis()
    port = free_port()
    environment = production(
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),  # two of these tests may collect at once
        PORT=str(port),
        WEB_CONCURRENCY="2",
        Q_WORKERS="1",
    )
    environment.pop("MAKEFLAGS", None)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "serve"], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            assert wait_for(lambda: healthy(f"{base}/healthz"), 120), log.read_text()[-3000:]

            plain = get(f"{base}/accounts/login/")
            proxied = get(f"{base}/accounts/login/", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
            missing = get(f"{base}/no-such-page/", {"X-Forwarded-Proto": "https"})

            (os.killpg if whole_group else os.kill)(make.pid, signal.SIGTERM)
            stopped = wait_for(lambda: not processes_in_session(make.pid), 10)
        finally:
            for line in processes_in_session(make.pid):
                os.kill(int(line.split()[0]), signal.SIGKILL)

    # Plain HTTP is sent to HTTPS; what the proxy says came over HTTPS is served with HSTS and secure cookies.
    assert plain.status == 301 and plain.headers["Location"] == f"https://127.0.0.1:{port}/accounts/login/"
    assert proxied.status == 200
    assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert all("Secure" in cookie for cookie in proxied.headers.get_all("Set-Cookie"))
    # One line for that request, with the client's address as the proxy saw it.
    text = log.read_text()
    request_id = proxied.headers["X-Request-ID"]
    [line] = [line for line in text.splitlines() if f"request_id={request_id}" in line]
    assert re.search(r"request method=GET path=/accounts/login/ status=200 duration_ms=[\d.]+ franchise=- ", line)
    assert line.endswith("client=203.0.113.7")
    # A 404 is one line too: its request line, no second "Not Found" warning from Django.
    [line] = [line for line in text.splitlines() if "/no-such-page/" in line]
    assert missing.status == 404 and "path=/no-such-page/ status=404" in line
    assert stopped, processes_in_session(make.pid)
