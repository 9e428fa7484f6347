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


@dataclass(frozen=True)
class Windows:
    """The two windows a request at `now` falls in, and their limits."""

    now: datetime
    minute: int  # window starts, epoch seconds
    day: int
    date: str  # the UTC day, YYYYMMDD
    minute_limit: int
    day_limit: int

    @classmethod
    def at(cls, now: datetime | None = None) -> Windows:
        now = now or datetime.now(UTC)
        epoch = int(now.timestamp())
        return cls(
            now=now,
            minute=epoch - epoch % 60,
            day=epoch - epoch % 86400,  # epoch days are UTC days
            date=now.strftime("%Y%m%d"),
            minute_limit=settings.API_RATE_LIMIT_PER_MINUTE,
            day_limit=settings.API_RATE_LIMIT_PER_DAY,
        )

    def keys(self, token_id: int) -> tuple[str, str]:
        return f"t:{token_id}:m:{self.minute}", f"t:{token_id}:d:{self.date}"

    def db_params(self) -> dict:
        """The parameters of `PG_COUNT` but the keys."""
        adapt = connection.ops.adapt_datetimefield_value
        return {
            "minute": str(self.minute),
            "date": self.date,
            "ml": self.minute_limit,
            "dl": self.day_limit,
            "me": adapt(datetime.fromtimestamp(self.minute + 60, UTC)),
            "de": adapt(datetime.fromtimestamp(self.day + 86400, UTC)),
        }

    def state(self, allowed: bool, minute_count: int, day_count: int) -> RateLimitState:
        return RateLimitState(
            allowed=allowed,
            minute_limit=self.minute_limit,
            minute_remaining=max(0, self.minute_limit - minute_count),
            minute_reset=self.minute + 60,
            day_limit=self.day_limit,
            day_remaining=max(0, self.day_limit - day_count),
            day_reset=self.day + 86400,
            now=self.now.timestamp(),
        )

    def db_state(
        self, minute_count: int | None, day_count: int | None, minute_before: int | None, day_before: int | None
    ) -> RateLimitState:
        """Where the token stands after the database counted (or refused to count) one request:
        the counts after, or None where a window refused, and the counts before."""
        if minute_count is not None and day_count is not None:
            if day_count == 1:
                _db_purge_expired(self.now)  # the first request of a token's day: a cheap, rare moment to tidy up
            return self.state(True, minute_count, day_count)
        if minute_count is None and (day_before or 0) < self.day_limit:  # the minute blocked
            return self.state(False, self.minute_limit, day_before or 0)
        return self.state(False, minute_count if minute_count is not None else (minute_before or 0), self.day_limit)


def ratelimit_hit(token_id: int, *, now: datetime | None = None) -> RateLimitState:
    """Count one request of `token_id` if both its windows have room; say where it stands."""
    windows = Windows.at(now)
    minute_key, day_key = windows.keys(token_id)
    if settings.REDIS_URL:
        # Keys expire a little after their window ends (seconds from `now`, so tests may move time).
        epoch = int(windows.now.timestamp())
        allowed, minute_count, day_count = _redis_hit(
            minute_key,
            day_key,
            windows.minute_limit,
            windows.day_limit,
            windows.minute + 120 - epoch,
            windows.day + 86400 + 60 - epoch,
        )
        return windows.state(allowed, minute_count, day_count)
    return windows.db_state(*_db_hit(minute_key, day_key, windows))


def auth_failure_hit(address: str, *, now: datetime | None = None) -> tuple[bool, int]:
    """Count one failed authentication from `address`. Returns (over the limit, Retry-After seconds)."""
    now = now or datetime.now(UTC)
    minute = Windows.at(now).minute
    key = f"a:{address[:100]}:m:{minute}"
    if settings.REDIS_URL:
        key = settings.API_RATE_LIMIT_REDIS_PREFIX + key
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
# The counting CTEs follow a CTE `keys (mk, dk)`, given here or derived from the token being
# authenticated in the same statement (`franchises.auth`). `PG_COUNTS` selects the counts after
# (NULL where a window refused) and, since a statement's CTE writes are invisible to its own
# reads, the counts before, used for the headers of a rejected request.
PG_COUNT = f"""minute AS (
    INSERT INTO {TABLE} (key, count, expires_at)
    SELECT mk, 1, %(me)s FROM keys
    WHERE COALESCE((SELECT count FROM {TABLE} WHERE key = keys.dk), 0) < %(dl)s
    ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %(ml)s
    RETURNING count
), day AS (
    INSERT INTO {TABLE} (key, count, expires_at)
    SELECT dk, 1, %(de)s FROM keys WHERE EXISTS (SELECT 1 FROM minute)
    ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %(dl)s
    RETURNING count
)"""
PG_COUNTS = (
    f"(SELECT count FROM minute), (SELECT count FROM day), "
    f"(SELECT count FROM {TABLE} WHERE key = keys.mk), (SELECT count FROM {TABLE} WHERE key = keys.dk)"
)
PG_HIT = f"WITH keys AS (SELECT %(mk)s AS mk, %(dk)s AS dk), {PG_COUNT} SELECT {PG_COUNTS} FROM keys"

UPSERT = f"""
INSERT INTO {TABLE} (key, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 WHERE {TABLE}.count < %s
RETURNING count
"""


def _db_hit(mk: str, dk: str, windows: Windows) -> tuple[int | None, int | None, int | None, int | None]:
    """(minute count, day count) after, None where a window refused; (minute, day) counts before."""
    params = windows.db_params()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PG_HIT, {**params, "mk": mk, "dk": dk})
            return cursor.fetchone()
    # SQLite has no INSERT inside WITH; its writers are serialised (IMMEDIATE transactions),
    # so the same steps in one transaction are just as exact.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT key, count FROM {TABLE} WHERE key IN (%s, %s)", [mk, dk])
        before = dict(cursor.fetchall())
        minute_count = day_count = None
        if before.get(dk, 0) < params["dl"]:
            cursor.execute(UPSERT, [mk, params["me"], params["ml"]])
            row = cursor.fetchone()
            minute_count = row[0] if row else None
        if minute_count is not None:
            cursor.execute(UPSERT, [dk, params["de"], params["dl"]])
            row = cursor.fetchone()
            day_count = row[0] if row else None
    return minute_count, day_count, before.get(mk), before.get(dk)


def _db_increment(key: str, reset: int) -> int:
    expires = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(reset, UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET count = {TABLE}.count + 1 RETURNING count",
            [key, expires],
        )
        return cursor.fetchone()[0]


def _db_purge_expired(now: datetime) -> int:
    from franchises.models import RateLimitCounter

    return RateLimitCounter.objects.filter(expires_at__lt=now - timedelta(minutes=5)).delete()[0]


def ratelimit_counters_purge(*, now: datetime | None = None) -> int:
    """Delete the database counters whose window is over (Redis expires its own); returns how many."""
    return _db_purge_expired(now or datetime.now(UTC))


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
    prefix = settings.API_RATE_LIMIT_REDIS_PREFIX
    allowed, minute_count, day_count = _redis_script()(keys=[prefix + mk, prefix + dk], args=[ml, dl, m_ttl, d_ttl])
    return bool(allowed), int(minute_count), int(day_count)
