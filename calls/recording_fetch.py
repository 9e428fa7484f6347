"""Fetching a call's audio from the voice-agent platform into storage, behind the outbound guard.

Each attempt streams the answer to a temporary file (never the whole file in memory), refusing
anything that is not `audio/*` or is larger than RECORDING_FETCH_MAX_BYTES, then hands it to
`recording_store`, the one way a recording gets into storage. A failed attempt that may succeed
later (the server is down, answers 5xx, 429 or 404 while the audio is still being prepared) is
tried again after an exponential backoff with jitter, for RECORDING_FETCH_RETRY_HOURS; one that
cannot (refused by the guard, too big, not audio, 401/403) fails at once. Failures stay visible on
the call's page, in the admin and on the webhook settings page.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from calls.models import RecordingFetch
from calls.services import recording_store
from config.outbound import OutboundRefused, outbound_client, send_with_retries

ATTEMPT_SECONDS = 75  # one download's limit; with connect retries an attempt stays below the task timeout (120 s)
CLAIM = timedelta(seconds=ATTEMPT_SECONDS + 60)  # a worker killed mid-attempt frees the fetch after this
FIRST_DELAY = 30.0
MAX_DELAY = 30 * 60.0
CHUNK = 64 * 1024
TRANSIENT_STATUSES = {404, 408, 425, 429}  # 404: many platforms publish the audio a little after the call
_sleep = time.sleep  # between the quick retries inside one attempt (tests replace it)


class FetchError(Exception):
    """An attempt failed; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt: doubling from 30 s to at most 30 min, each between half and all of it."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def _download(url: str) -> tuple[Path, str]:
    """Stream `url` to a temporary file; returns its path and the content type. Raises FetchError."""
    max_bytes = settings.RECORDING_FETCH_MAX_BYTES
    deadline = time.monotonic() + ATTEMPT_SECONDS
    try:
        with outbound_client(follow_redirects=True) as client:
            request = client.build_request("GET", url, headers={"Accept": "audio/*"})
            response = send_with_retries(
                client, request, attempts=3, base_delay=1.0, max_delay=5.0, sleep=_sleep, stream=True
            )
            try:
                return _save_body(response, max_bytes=max_bytes, deadline=deadline)
            finally:
                response.close()
    except OutboundRefused as exc:
        raise FetchError(f"refused by the outbound guard: {exc}", permanent=True) from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects", permanent=True) from None
    except httpx.TimeoutException:
        raise FetchError("the audio server did not answer in time") from None
    except httpx.TransportError as exc:
        raise FetchError(f"could not reach the audio server ({type(exc).__name__}: {exc})") from None


def _save_body(response: httpx.Response, *, max_bytes: int, deadline: float) -> tuple[Path, str]:
    status = response.status_code
    if status != 200:
        transient = status >= 500 or status in TRANSIENT_STATUSES
        raise FetchError(f"the audio server answered {status}", permanent=not transient)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith("audio/"):
        raise FetchError(f"the answer is {content_type or 'of no content type'}, not audio/*", permanent=True)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the audio is {int(declared):,} bytes, over the {max_bytes:,}-byte limit", permanent=True)
    size = 0
    with tempfile.NamedTemporaryFile(prefix="breesy-audio-", delete=False) as out:
        path = Path(out.name)
        try:
            # iter_bytes counts decoded bytes, so a compressed answer cannot slip past the cap.
            for chunk in response.iter_bytes(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"the audio is over the {max_bytes:,}-byte limit", permanent=True)
                if time.monotonic() > deadline:
                    raise FetchError(f"the download took longer than {ATTEMPT_SECONDS} s")
                out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise FetchError("the audio server sent an empty file")
    return path, content_type


def _claim(fetch_id: int, *, force: bool) -> bool:
    """Take the fetch for one attempt: pending, due (unless forced) and claimed by no live worker."""
    now = timezone.now()
    rows = RecordingFetch.objects.filter(pk=fetch_id, status=RecordingFetch.Status.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if not force:
        rows = rows.filter(next_attempt_at__lte=now)
    return rows.update(claimed_until=now + CLAIM) == 1


def recording_fetch_attempt(*, fetch_id: int, force: bool = False) -> str:
    """One attempt at a fetch; returns its status after ("fetched", "pending", "failed"), or
    "skipped" when it was not ours to try (not pending, not due, or another worker has it)."""
    if not _claim(fetch_id, force=force):
        return "skipped"
    fetch = RecordingFetch.objects.select_related("call__franchise").get(pk=fetch_id)
    now = timezone.now()
    fetch.attempts += 1
    fetch.claimed_until = None
    try:
        path, content_type = _download(fetch.source_url)
        try:
            recording_store(call=fetch.call, path=path, content_type=content_type)
        finally:
            path.unlink(missing_ok=True)
    except FetchError as exc:
        fetch.last_error = str(exc)[:500]
        window_over = timezone.now() - fetch.started_at >= timedelta(hours=settings.RECORDING_FETCH_RETRY_HOURS)
        if exc.permanent or window_over:
            fetch.status, fetch.finished_at = RecordingFetch.Status.FAILED, timezone.now()
        else:
            fetch.next_attempt_at = now + timedelta(seconds=retry_delay(fetch.attempts))
    else:
        fetch.status, fetch.finished_at, fetch.last_error = RecordingFetch.Status.FETCHED, timezone.now(), ""
    fetch.save(
        update_fields=[
            "attempts",
            "claimed_until",
            "status",
            "finished_at",
            "last_error",
            "next_attempt_at",
            "updated_at",
        ]
    )
    return fetch.status


def recordings_fetch_pending() -> Counter:
    """Attempt every pending fetch now, whatever its backoff (after an outage; in tests instead of
    waiting), oldest first. Returns how many ended fetched, pending, failed or skipped."""
    ids = RecordingFetch.objects.filter(status=RecordingFetch.Status.PENDING).order_by("next_attempt_at", "pk")
    outcomes: Counter = Counter()
    for fetch_id in list(ids.values_list("pk", flat=True)):
        outcomes[recording_fetch_attempt(fetch_id=fetch_id, force=True)] += 1
    return outcomes


def recording_fetches_due(*, limit: int = 500) -> list[int]:
    """Ids of the pending fetches whose next attempt is due and that no worker holds."""
    now = timezone.now()
    rows = RecordingFetch.objects.filter(status=RecordingFetch.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    return list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def recording_fetches_retry(*, ids: list[int]) -> list[int]:
    """Start the given fetches over (not those already fetched): pending now, with a new retry window.
    Returns the ids to queue."""
    now = timezone.now()
    rows = RecordingFetch.objects.filter(pk__in=ids).exclude(status=RecordingFetch.Status.FETCHED)
    retried = list(rows.values_list("pk", flat=True))
    RecordingFetch.objects.filter(pk__in=retried).update(
        status=RecordingFetch.Status.PENDING, next_attempt_at=now, started_at=now, claimed_until=None, finished_at=None
    )
    return retried
