"""Per-token rate limits (fixed windows: the clock's minute and the UTC day) and the failed-auth limit
per client address, counted in one shared place so they hold across every process and host.

Backends: the database (`RateLimitCounter`, one row per window) by default; Redis when
`settings.REDIS_URL` is set. Either way one request costs one atomic round trip, and a rejected
request is not counted in the window that rejected it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction

TABLE = "franchises_ratelimitcounter"


@dataclass(frozen=True)
class RateLimitState:
    """Where a token stands after one request; `allowed` says whether the request may proceed."""

    allowed: bool
    minute_limit: int
    minute_remaining: int
    minute_reset: int  # epoch seconds
    day_limit: int
    day_remaining: int
    day_reset: int
    now: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window that blocks resets."""
        reset = self.day_reset if self.day_remaining <= 0 else self.minute_reset
        return max(1, math.ceil(reset - self.now))

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.minute_limit),
            "X-RateLimit-Remaining": str(self.minute_remaining),
            "X-RateLimit-Reset": str(self.minute_reset),
            "X-RateLimit-Limit-Day": str(self.day_limit),
            "X-RateLimit-Remaining-Day": str(self.day_remaining),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _windows(now: datetime) -> tuple[int, int, str]:
    """(minute window start, day window start) in epoch seconds, and the UTC date."""
    epoch = int(now.timestamp())
    minute = epoch - epoch % 60
    day = epoch - epoch % 86400  # epoch days are UTC days
    return minute, day, now.strftime("%Y%m%d")


def ratelimit_hit(token_id: int, *, now: datetime | None = None) -> RateLimitState:
    """Count one request of `token_id` if both its windows have room; say where it stands."""
    now = now or datetime.now(UTC)
    minute, day, date = _windows(now)
    minute_key, day_key = f"t:{token_id}:m:{minute}", f"t:{token_id}:d:{date}"
    minute_limit, day_limit = settings.API_RATE_LIMIT_PER_MINUTE, settings.API_RATE_LIMIT_PER_DAY
    if settings.REDIS_URL:
        # Keys expire a little after their window ends (seconds from `now`, so tests may move time).
        epoch = int(now.timestamp())
        allowed, minute_count, day_count = _redis_hit(
            minute_key, day_key, minute_limit, day_limit, minute + 120 - epoch, day + 86400 + 60 - epoch
        )
    else:
        allowed, minute_count, day_count = _db_hit(
            minute_key, day_key, minute_limit, day_limit, minute + 60, day + 86400
        )
        if allowed and day_count == 1:
            _db_purge_expired(now)  # the first request of a token's day: a cheap, rare moment to tidy up
    return RateLimitState(
        allowed=allowed,
        minute_limit=minute_limit,
        minute_remaining=max(0, minute_limit - minute_count),
        minute_reset=minute + 60,
        day_limit=day_limit,
        day_remaining=max(0, day_limit - day_count),
        day_reset=day + 86400,
        now=now.timestamp(),
    )


def auth_failure_hit(address: str, *, now: datetime | None = None) -> tuple[bool, int]:
    """Count one failed authentication from `address`. Returns (over the limit, Retry-After seconds)."""
    now = now or datetime.now(UTC)
    minute, _, _ = _windows(now)
    key = f"a:{address[:100]}:m:{minute}"
    if settings.REDIS_URL:
        key = getattr(settings, "API_RATE_LIMIT_REDIS_PREFIX", "breesy:rl:") + key
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, max(1, minute + 120 - int(now.timestamp())))
        count = pipe.execute()[0]
    else:
        count = _db_increment(key, minute + 60)
    retry_after = max(1, math.ceil(minute + 60 - now.timestamp()))
    return count > settings.API_AUTH_FAILURES_PER_MINUTE, retry_after


# --- Database -------------------------------------------------------------------------------------

# PostgreSQL: one statement. The minute row is bumped only while it has room (ON CONFLICT locks the
# row and re-checks `count < limit` against its latest version, so concurrent requests are exact),
# and the day row only when the minute row was bumped. The day check guarding the minute insert
# reads the statement's snapshot, so under a race a request rejected by the day limit can still be
# counted in its minute; that is harmless, because a spent day blocks every later minute of it.
# The last two columns are the pre-statement counts, used for the headers of a rejected request.
PG_HIT = f"""
WITH minute AS (
    INSERT INTO {TABLE} (key, count, expires_at)
    SELECT %(mk)s, 1, %(me)s
    WHERE COALESCE((SELECT count FROM {TABLE} WHERE key = %(dk)s), 0) < %(dl)s
    ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %(ml)s
    RETURNING count
), day AS (
    INSERT INTO {TABLE} (key, count, expires_at)
    SELECT %(dk)s, 1, %(de)s WHERE EXISTS (SELECT 1 FROM minute)
    ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %(dl)s
    RETURNING count
)
SELECT (SELECT count FROM minute), (SELECT count FROM day),
       (SELECT count FROM {TABLE} WHERE key = %(mk)s), (SELECT count FROM {TABLE} WHERE key = %(dk)s)
"""

UPSERT = f"""
INSERT INTO {TABLE} (key, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %s
RETURNING count
"""


def _db_hit(mk: str, dk: str, ml: int, dl: int, m_reset: int, d_reset: int) -> tuple[bool, int, int]:
    adapt = connection.ops.adapt_datetimefield_value
    me = adapt(datetime.fromtimestamp(m_reset, UTC))
    de = adapt(datetime.fromtimestamp(d_reset, UTC))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PG_HIT, {"mk": mk, "dk": dk, "ml": ml, "dl": dl, "me": me, "de": de})
            minute_count, day_count, minute_before, day_before = cursor.fetchone()
    else:
        # SQLite has no INSERT inside WITH; its writers are serialised (IMMEDIATE transactions),
        # so the same steps in one transaction are just as exact.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT key, count FROM {TABLE} WHERE key IN (%s, %s)", [mk, dk])
            before = dict(cursor.fetchall())
            minute_before, day_before = before.get(mk), before.get(dk)
            minute_count = day_count = None
            if (day_before or 0) < dl:
                cursor.execute(UPSERT, [mk, me, ml])
                row = cursor.fetchone()
                minute_count = row[0] if row else None
            if minute_count is not None:
                cursor.execute(UPSERT, [dk, de, dl])
                row = cursor.fetchone()
                day_count = row[0] if row else None
    if minute_count is not None and day_count is not None:
        return True, minute_count, day_count
    if minute_count is None and (day_before or 0) < dl:  # the minute blocked
        return False, ml, day_before or 0
    return False, minute_count if minute_count is not None else (minute_before or 0), dl


def _db_increment(key: str, reset: int) -> int:
    expires = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(reset, UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 RETURNING count",
            [key, expires],
        )
        return cursor.fetchone()[0]


def _db_purge_expired(now: datetime) -> None:
    from franchises.models import RateLimitCounter

    RateLimitCounter.objects.filter(expires_at__lt=now - timedelta(minutes=5)).delete()


# --- Redis ----------------------------------------------------------------------------------------

# Checked and counted in one script, which Redis runs atomically: a rejected request touches nothing.
REDIS_HIT = """
local m = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = tonumber(redis.call('GET', KEYS[2]) or '0')
if m >= tonumber(ARGV[1]) or d >= tonumber(ARGV[2]) then
    return {0, m, d}
end
m = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
d = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {1, m, d}
"""


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


@cache
def _redis_script():
    return _redis().register_script(REDIS_HIT)


def _redis_hit(mk: str, dk: str, ml: int, dl: int, m_ttl: int, d_ttl: int) -> tuple[bool, int, int]:
    prefix = getattr(settings, "API_RATE_LIMIT_REDIS_PREFIX", "breesy:rl:")
    allowed, minute_count, day_count = _redis_script()(keys=[prefix + mk, prefix + dk], args=[ml, dl, m_ttl, d_ttl])
    return bool(allowed), int(minute_count), int(day_count)
