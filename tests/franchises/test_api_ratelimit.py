"""Per-token rate limits: headers, 429s, fixed windows, both backends, and exactness across processes."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from franchises.models import ApiToken, RateLimitCounter
from franchises.ratelimit import ratelimit_hit
from tests.api_fixtures import issue
from tests.live_gunicorn import gunicorn_servers

pytestmark = pytest.mark.django_db
HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Limit-Day",
    "X-RateLimit-Remaining-Day",
)


def test_every_authenticated_response_carries_the_five_headers(api_a):
    for response in (
        api_a.get("/data/calls"),
        api_a.get("/data/calls?page_size=0"),
        api_a.get("/data/recordings/nope"),
    ):
        assert all(name in response for name in HEADERS), response.status_code


def test_remaining_is_what_is_left_after_this_request(api_a):
    now = time.time()
    first = api_a.get("/data/locations")
    second = api_a.get("/data/locations")

    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Limit-Day"]) == ("60", "5000")
    assert (first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]) == ("59", "58")
    assert second["X-RateLimit-Remaining-Day"] == "4998"
    reset = int(first["X-RateLimit-Reset"])
    assert reset % 60 == 0 and now < reset <= now + 60


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_over_the_minute_limit_is_a_429_and_rejected_requests_are_not_counted(api_a):
    answers = [api_a.get("/data/locations") for _ in range(5)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    blocked = answers[-1]
    assert blocked.json()["code"] == "rate_limited"
    assert blocked["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert blocked["X-RateLimit-Remaining-Day"] == "4997", "only the three served requests count"


@override_settings(API_RATE_LIMIT_PER_MINUTE=10, API_RATE_LIMIT_PER_DAY=2)
def test_over_the_day_limit_retry_after_points_at_utc_midnight(api_a):
    answers = [api_a.get("/data/locations") for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 429]
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    assert abs(int(answers[-1]["Retry-After"]) - (midnight - now).total_seconds()) <= 2
    assert answers[-1]["X-RateLimit-Remaining-Day"] == "0"


def test_each_token_has_its_own_limits(api_a, franchise_a):
    from tests.api_fixtures import bearer

    api_a.get("/data/locations")
    other = bearer(issue(franchise_a)).get("/data/locations")

    assert other["X-RateLimit-Remaining"] == "59"


@override_settings(API_RATE_LIMIT_ENABLED=False)
def test_the_limiter_can_be_switched_off(api_a):
    response = api_a.get("/data/locations")

    assert response.status_code == 200 and "X-RateLimit-Remaining" not in response


def token_id(franchise) -> int:
    return ApiToken.objects.get(token_hash=__import__("franchises.models").models.hash_token(issue(franchise))).pk


@override_settings(API_RATE_LIMIT_PER_MINUTE=2, API_RATE_LIMIT_PER_DAY=3)
def test_windows_are_fixed_to_the_clock_minute_and_the_utc_day(franchise_a):
    tid = token_id(franchise_a)
    t = datetime(2026, 6, 22, 23, 58, 59, tzinfo=UTC)

    assert [ratelimit_hit(tid, now=t).allowed for _ in range(3)] == [True, True, False]
    # A new minute: room again, until the day's three are spent.
    assert [ratelimit_hit(tid, now=t + timedelta(seconds=1)).allowed for _ in range(2)] == [True, False]
    state = ratelimit_hit(tid, now=t + timedelta(seconds=2))
    assert not state.allowed and state.retry_after == 59  # 23:59:01 → midnight
    # A new UTC day.
    assert ratelimit_hit(tid, now=t + timedelta(minutes=2)).allowed


def test_expired_counters_are_purged_on_a_tokens_first_request_of_the_day(franchise_a):
    now = datetime.now(UTC)
    RateLimitCounter.objects.create(key="t:0:m:0", count=5, expires_at=now - timedelta(days=1))
    RateLimitCounter.objects.create(key="t:0:m:1", count=5, expires_at=now + timedelta(minutes=1))

    ratelimit_hit(token_id(franchise_a), now=now)

    assert set(RateLimitCounter.objects.values_list("key", flat=True)) >= {"t:0:m:1"}
    assert not RateLimitCounter.objects.filter(key="t:0:m:0").exists()


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_the_redis_backend_counts_the_same_way(franchise_a):
    from franchises import ratelimit

    prefix = f"breesy-test:{uuid.uuid4().hex}:"
    with override_settings(
        REDIS_URL="redis://127.0.0.1:6379/0",
        API_RATE_LIMIT_REDIS_PREFIX=prefix,
        API_RATE_LIMIT_PER_MINUTE=2,
        API_RATE_LIMIT_PER_DAY=3,
    ):
        ratelimit._redis.cache_clear()
        ratelimit._redis_script.cache_clear()
        try:
            t = datetime(2026, 6, 22, 23, 58, 59, tzinfo=UTC)
            states = [ratelimit_hit(7, now=t) for _ in range(3)]
            assert [s.allowed for s in states] == [True, True, False]
            assert [s.minute_remaining for s in states] == [1, 0, 0]
            assert states[-1].day_remaining == 1, "the rejected request was not counted"
            assert [ratelimit_hit(7, now=t + timedelta(seconds=1)).allowed for _ in range(2)] == [True, False]
            client = ratelimit._redis()
            ttls = {key.decode(): client.ttl(key) for key in client.scan_iter(f"{prefix}t:7:*")}
            # `t` is one second before midnight: every key outlives its window by at most a minute.
            assert len(ttls) == 3 and all(0 < ttl <= 121 for ttl in ttls.values()), ttls
            with override_settings(API_AUTH_FAILURES_PER_MINUTE=2):
                address = f"198.51.100.{uuid.uuid4().int % 250}"
                assert [ratelimit.auth_failure_hit(address, now=t)[0] for _ in range(3)] == [False, False, True]
        finally:
            client = ratelimit._redis()
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            ratelimit._redis.cache_clear()
            ratelimit._redis_script.cache_clear()


# --- Across real processes -------------------------------------------------------------------------


def fire(url: str, token: str, n: int) -> list[int]:
    def one(_: int) -> int:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.fixture
def gunicorn():
    """Start gunicorn (4 workers) on the test database; yields a function giving its base URL."""
    with gunicorn_servers() as start_server:

        def start(**env: str) -> str:
            limits = {"API_RATE_LIMIT_PER_MINUTE": "60", "API_RATE_LIMIT_PER_DAY": "5000", "LOG_LEVEL": "WARNING"}
            base, _ = start_server("--workers", "4", "--preload", **{**limits, **env})
            return base

        yield start


def wait_for_a_fresh_minute() -> None:
    # 100 requests must land in one fixed window; don't start seconds before the minute turns.
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60 + 0.1)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_exactly_sixty_of_a_hundred_concurrent_requests_succeed_across_four_workers(gunicorn, franchise_a, backend):
    if backend == "redis" and not redis_available():
        pytest.skip("needs Redis")
    env = {}
    if backend == "redis":
        env = {
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_SETTINGS_MODULE": "tests.live_settings",
            "API_RATE_LIMIT_REDIS_PREFIX": f"breesy-test:{uuid.uuid4().hex}:",
        }
    base = gunicorn(**env)
    token = issue(franchise_a)
    wait_for_a_fresh_minute()

    statuses = fire(f"{base}/data/locations", token, 100)

    assert statuses.count(200) == 60 and statuses.count(429) == 40, sorted(statuses)
