"""The dialer's background jobs (django-q2)."""

from __future__ import annotations

import logging

from dialer.reconcile import dial_sessions_reconcile

log = logging.getLogger(__name__)


def reconcile_dial_sessions(since_days: int = 2) -> str:
    """The scheduled reconcile: recent sessions from PhoneBurner, whatever the callbacks missed."""
    counts = dial_sessions_reconcile(since_days=since_days)
    log.info("reconcile_dial_sessions: %s", counts)
    return str(counts)
