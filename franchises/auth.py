"""Bearer-token authentication for the Data Share API, with the rate limits applied on the way in.

The franchise always comes from the token (`request.auth.franchise`), never from client input.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from config.api_base import ApiError
from franchises.models import ApiToken, Franchise, hash_token
from franchises.ratelimit import PG_COUNT, PG_COUNTS, RateLimitState, Windows, auth_failure_hit, ratelimit_hit

# last_used_at is for people ("is this token still in use?"): minute precision is plenty, and it
# spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


# PostgreSQL authenticates and counts in one statement: the token, its franchise and the rate-limit
# counters keyed by the token's id (the keys `Windows.keys` makes), one round trip per request.
# Columns in model field order, as `Model.from_db` wants them.
TOKEN_FIELDS = ("id", "franchise_id", "token_hash", "last_used_at")
FRANCHISE_FIELDS = ("id", "name", "timezone", "phone_region", "created_at")
PG_TOKEN = """token AS (
    SELECT t.id AS token_id, t.franchise_id, t.token_hash, t.last_used_at,
           f.name, f.timezone, f.phone_region, f.created_at
    FROM franchises_apitoken t JOIN franchises_franchise f ON f.id = t.franchise_id
    WHERE t.token_hash = %(digest)s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %(now)s)
)"""
PG_TOKEN_KEYS = (
    "keys AS (SELECT 't:' || token_id || ':m:' || %(minute)s AS mk, 't:' || token_id || ':d:' || %(date)s AS dk "
    "FROM token)"
)


class TokenRow(NamedTuple):
    """A row of `PG_AUTHENTICATE(_AND_COUNT)`: the `token` CTE's columns, then `PG_COUNTS`'s."""

    token_id: int
    franchise_id: object
    token_hash: str
    last_used_at: datetime | None
    name: str
    timezone: str
    phone_region: str
    created_at: datetime
    minute_count: int | None = None
    day_count: int | None = None
    minute_before: int | None = None
    day_before: int | None = None


PG_AUTHENTICATE = f"WITH {PG_TOKEN} SELECT * FROM token"
PG_AUTHENTICATE_AND_COUNT = f"WITH {PG_TOKEN}, {PG_TOKEN_KEYS}, {PG_COUNT} SELECT token.*, {PG_COUNTS} FROM token, keys"


def token_authenticate(plaintext: str, *, count: bool = False) -> tuple[ApiToken, RateLimitState | None] | None:
    """The usable (not revoked, not expired) token with this plaintext, with its franchise loaded;
    with `count`, this request also counted against the token's rate limits, and where it stands."""
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(plaintext)
    if connection.vendor == "postgresql" and not settings.REDIS_URL:
        found = _pg_authenticate(digest, count)
    else:
        # `[:1]` rather than `.first()`: the hash is unique, so first()'s ORDER BY would only cost time.
        token = next(iter(ApiToken.objects.usable().select_related("franchise").filter(token_hash=digest)[:1]), None)
        found = (token, ratelimit_hit(token.pk) if count else None) if token else None
    # The lookup is by an index on the hash; the compare is constant-time all the same.
    if found is None or not hmac.compare_digest(found[0].token_hash, digest):
        return None
    token = found[0]
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return found


def _pg_authenticate(digest: str, count: bool) -> tuple[ApiToken, RateLimitState | None] | None:
    windows = Windows.at()
    with connection.cursor() as cursor:
        if count:
            cursor.execute(PG_AUTHENTICATE_AND_COUNT, {"digest": digest, "now": windows.now, **windows.db_params()})
        else:
            cursor.execute(PG_AUTHENTICATE, {"digest": digest, "now": windows.now})
        row = cursor.fetchone()
    if row is None:
        return None
    r = TokenRow(*row)
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, TOKEN_FIELDS, (r.token_id, r.franchise_id, r.token_hash, r.last_used_at))
    token.franchise = Franchise.from_db(
        DEFAULT_DB_ALIAS, FRANCHISE_FIELDS, (r.franchise_id, r.name, r.timezone, r.phone_region, r.created_at)
    )
    return token, windows.db_state(r.minute_count, r.day_count, r.minute_before, r.day_before) if count else None


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`. Missing, malformed, unknown, expired or revoked → 401; too
    many failures from one address in a minute → 429; a token over its limits → 429."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        scheme, _, plaintext = request.headers.get("Authorization", "").partition(" ")
        counting = settings.API_RATE_LIMIT_ENABLED
        found = token_authenticate(plaintext.strip(), count=counting) if scheme.lower() == "bearer" else None
        if found is None:
            over, retry_after = auth_failure_hit(client_address(request))
            if over:
                raise ApiError(
                    429,
                    "too_many_auth_failures",
                    "Too many failed authentication attempts from this address; retry later.",
                    {"Retry-After": str(retry_after)},
                )
            raise ApiError(
                401,
                "not_authenticated",
                "Missing, invalid, expired or revoked bearer token.",
                {"WWW-Authenticate": 'Bearer realm="data"'},
            )
        token, state = found
        if state is not None:
            request.ratelimit = state  # the API adds its headers to whatever response follows
            if not state.allowed:
                raise ApiError(429, "rate_limited", "Rate limit exceeded; honor Retry-After.")
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:  # pragma: no cover
        found = token_authenticate(token)  # unused: __call__ does the whole job
        return found[0] if found else None


bearer_auth = BearerTokenAuth()
