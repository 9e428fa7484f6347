"""Measurements taken inside one Django process against the bench database: SQL queries per request
and the rate limiter's cost (inside authentication as requests run it, its hit function alone, and
whole requests with and without it)."""

from __future__ import annotations

import statistics
import time

from bench.data import Dataset


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 4)


def queries_per_request(client, auth: str) -> tuple[dict[str, int], list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}
    sample: list[str] = []
    for path in ("/data/calls", "/data/contacts"):
        for size in (1, 100, 200):
            client.get(f"{path}?page_size={size}", HTTP_AUTHORIZATION=auth)  # warm caches first
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(f"{path}?page_size={size}", HTTP_AUTHORIZATION=auth)
            if response.status_code != 200:
                raise SystemExit(f"bench: GET {path}?page_size={size} answered {response.status_code}")
            counts[f"{path}?page_size={size}"] = len(ctx.captured_queries)
            if path == "/data/calls" and size == 100:
                sample = [q["sql"][:300] for q in ctx.captured_queries]
    return counts, sample


def limiter_alone(token_id: int, n: int = 2000) -> list[float]:
    """`ratelimit_hit` on its own: the limiter's statement where it cannot share the token's (Redis,
    SQLite; on PostgreSQL the same counting SQL as the request's, without the token lookup)."""
    from franchises.ratelimit import ratelimit_hit

    out = []
    for _ in range(n):
        started = time.perf_counter()
        ratelimit_hit(token_id)
        out.append((time.perf_counter() - started) * 1000)
    return out


def limiter_in_authentication(plaintext: str, n: int = 2000) -> dict:
    """What counting adds to authenticating, as a request does it: on PostgreSQL one statement
    finds the token and counts the request, so the limiter's cost is that statement's time minus
    the token lookup's alone. Alternated call by call, so both see the same moment of the machine."""
    from franchises.auth import token_authenticate

    counted, plain = [], []
    for _ in range(n):
        started = time.perf_counter()
        token_authenticate(plaintext, count=True)
        counted.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        token_authenticate(plaintext, count=False)
        plain.append((time.perf_counter() - started) * 1000)
    return {"p50_counted_ms": _p50(counted), "p50_lookup_only_ms": _p50(plain), "diff_ms": _p50(counted) - _p50(plain)}


def _request_times(client, auth: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        client.get("/data/calls?page_size=1", HTTP_AUTHORIZATION=auth)
        out.append((time.perf_counter() - started) * 1000)
    return out


def with_and_without_limiter(client, auth: str, rounds: int = 10, n: int = 50) -> dict:
    """Whole requests, alternating blocks with the limiter on and off (`API_RATE_LIMIT_ENABLED`)."""
    from django.test import override_settings

    on: list[float] = []
    off: list[float] = []
    for _ in range(rounds):
        on += _request_times(client, auth, n)
        with override_settings(API_RATE_LIMIT_ENABLED=False):
            off += _request_times(client, auth, n)
    return {"p50_on_ms": _p50(on), "p50_off_ms": _p50(off), "diff_ms": round(_p50(on) - _p50(off), 4)}


def measure(tokens: dict[str, str], ds: Dataset) -> dict:
    from django.test import Client

    from franchises.models import ApiToken, hash_token

    client = Client()
    auth = f"Bearer {tokens['b']}"
    counts, sample = queries_per_request(client, auth)
    token = ApiToken.objects.get(token_hash=hash_token(tokens["b"]))
    alone = limiter_alone(token.id)
    in_auth = limiter_in_authentication(tokens["b"])
    whole = with_and_without_limiter(client, auth)
    return {
        "queries_per_request": max(counts.values()),
        "queries_by_page_size": counts,
        "queries_sample_calls_page_size_100": sample,
        "ratelimit_overhead_ms_p50": round(in_auth["diff_ms"], 4),
        "ratelimit_in_authentication": in_auth,
        "ratelimit_hit_ms": {"p50": _p50(alone), "p90": round(sorted(alone)[int(len(alone) * 0.9)], 4)},
        "request_with_vs_without_limiter": whole,
    }
