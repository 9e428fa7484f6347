"""Bearer-token authentication for the Data Share API, with the rate limits applied on the way in.

The franchise always comes from the token (`request.auth.franchise`), never from client input.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from config.api_base import ApiError
from franchises.models import ApiToken, hash_token
from franchises.ratelimit import auth_failure_hit, ratelimit_hit

# last_used_at is for people ("is this token still in use?"): minute precision is plenty, and it
# spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def token_authenticate(plaintext: str) -> ApiToken | None:
    """The usable (not revoked, not expired) token with this plaintext, with its franchise loaded."""
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(plaintext)
    # `[:1]` rather than `.first()`: the hash is unique, so first()'s ORDER BY would only cost time.
    token = next(iter(ApiToken.objects.usable().select_related("franchise").filter(token_hash=digest)[:1]), None)
    # The lookup is by an index on the hash; the compare is constant-time all the same.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`. Missing, malformed, unknown, expired or revoked → 401; too
    many failures from one address in a minute → 429; a token over its limits → 429."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        scheme, _, plaintext = request.headers.get("Authorization", "").partition(" ")
        token = token_authenticate(plaintext.strip()) if scheme.lower() == "bearer" else None
        if token is None:
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
        if getattr(settings, "API_RATE_LIMIT_ENABLED", True):
            state = ratelimit_hit(token.pk)
            request.ratelimit = state  # the API adds its headers to whatever response follows
            if not state.allowed:
                raise ApiError(429, "rate_limited", "Rate limit exceeded; honor Retry-After.")
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:  # pragma: no cover
        return token_authenticate(token)  # unused: __call__ does the whole job


bearer_auth = BearerTokenAuth()
