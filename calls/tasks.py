"""django-q2 tasks of the calls app: each takes ids, loads rows through a service, and is safe to run twice."""

from __future__ import annotations

from django_q.tasks import async_task

from calls.recording_fetch import recording_fetch_attempt, recording_fetches_due


def recording_fetch(fetch_id: int) -> str:
    """One attempt at fetching a recording (queued when a webhook delivery commits, and by the schedule)."""
    return recording_fetch_attempt(fetch_id=fetch_id)


def recordings_fetch_due() -> int:
    """Scheduled every minute: queue an attempt for each fetch whose backoff has run out. A fetch
    queued twice is attempted once (the attempt claims it first)."""
    ids = recording_fetches_due()
    for fetch_id in ids:
        async_task("calls.tasks.recording_fetch", fetch_id)
    return len(ids)
