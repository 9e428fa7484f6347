"""`GET /healthz` for a load balancer: the database, Redis (when configured), the recordings storage
and the job cluster's heartbeat; 200 when all answer, else 503 naming the part that failed.

A middleware rather than a view, placed first: a load balancer probes by address over plain HTTP,
so the answer must come before the host check (ALLOWED_HOSTS) and the HTTPS redirect. Nothing in
the body comes from an exception's message (those can hold host names or user names): a failed
part says only the kind of error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpRequest, HttpResponse

PATH = "/healthz"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError("the recordings folder is not writable")
        return
    storage.check()  # config.storage.RecordingsS3Storage: HEAD on the bucket


def check_jobs() -> None:
    """At least one job cluster saved its heartbeat within the last few seconds (django-q2 keeps each
    cluster's status for 3 s, refreshed every half second, in Redis or the "jobs" cache)."""
    from django_q.status import Stat

    if not Stat.get_all():
        raise LookupError("no job cluster has a heartbeat")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "jobs": check_jobs,
}


def health() -> tuple[bool, dict[str, str]]:
    """Each part's state: "ok", "not configured", or "failed: <kind of error>"."""
    parts: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "redis" and not settings.REDIS_URL:
            parts[name] = "not configured"
            continue
        try:
            check()
        except Exception as error:  # a health check reports every failure rather than raising it
            parts[name] = f"failed: {type(error).__name__}"
        else:
            parts[name] = "ok"
    return all(not state.startswith("failed") for state in parts.values()), parts


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        ok, parts = health()
        body = json.dumps({"status": "ok" if ok else "failed", "checks": parts})
        response = HttpResponse(body, status=200 if ok else 503, content_type="application/json")
        response["Cache-Control"] = "no-store"
        request.health = ok  # the request log leaves out passing probes
        return response
