"""Reconcile: fill in from PhoneBurner whatever the callbacks missed.

For each recent session of ours, PhoneBurner's account of it (GET /rest/1/dialsession/{id} with
its calls and recording links) is recorded through the same `dial_call_record` as the callbacks,
under the same (session, call_id) key, so running it twice changes nothing. PhoneBurner's answer to
a launch has no session id: we learn it from the first callback's `ds_id`; a session that sent no
callback at all is found among the account's sessions by its calls — every call's phone one of
our session's contacts' phones — and its start time within 12 hours after our launch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.utils import timezone

from contacts.models import ContactPhone
from dialer.callbacks import CallFacts, dial_call_record
from dialer.models import DialSession
from dialer.phoneburner.client import PhoneBurnerClient, PhoneBurnerError
from dialer.phoneburner.types import DialSessionInfo
from dialer.services import DialerError, phoneburner_client
from franchises.phones import normalize_phone_or_none

log = logging.getLogger(__name__)

MATCH_EARLIEST = timedelta(minutes=10)  # clocks differ: PhoneBurner's session may seem to start a little before ours
MATCH_LATEST = timedelta(hours=12)  # the gate's "open session" window


@dataclass
class ReconcileCounts:
    sessions: int = 0
    matched: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"sessions {self.sessions} (matched {self.matched}), calls added {self.added}, "
            f"updated {self.updated}, unchanged {self.unchanged}, errors {len(self.errors)}"
        )


def dial_sessions_reconcile(
    *, since_days: int = 2, http: httpx.Client | None = None, now: datetime | None = None
) -> ReconcileCounts:
    """Reconcile every launched session of the last `since_days` days, account by account."""
    now = now or timezone.now()
    since = now - timedelta(days=since_days)
    counts = ReconcileCounts()
    sessions = (
        DialSession.objects.filter(
            created_at__gte=since,
            status__in=[DialSession.Status.LAUNCHED, DialSession.Status.FINISHED],
            created_by__isnull=False,
        )
        .select_related("franchise", "created_by")
        .order_by("created_at")
    )
    by_user: dict[int, list[DialSession]] = defaultdict(list)
    for session in sessions:
        by_user[session.created_by_id].append(session)
    for user_sessions in by_user.values():
        user = user_sessions[0].created_by
        try:
            client = phoneburner_client(user=user, http=http)
            _reconcile_account(client, user_sessions, since, now, counts)
        except (DialerError, PhoneBurnerError) as error:
            counts.errors.append(f"{user.get_username()}: {error}")
            log.warning("reconcile: %s: %s", user.get_username(), error)
    return counts


def _reconcile_account(
    client: PhoneBurnerClient, sessions: list[DialSession], since: datetime, now: datetime, counts: ReconcileCounts
) -> None:
    details: dict[str, DialSessionInfo] = {}

    def detail(pb_id: str) -> DialSessionInfo:
        if pb_id not in details:
            details[pb_id] = client.dial_session_with_calls(pb_id, include_recording=True)
        return details[pb_id]

    unknown = [s for s in sessions if not s.phoneburner_session_id]
    if unknown:
        _match_by_calls(client, unknown, since, now, detail, counts)
    for session in sessions:
        if not session.phoneburner_session_id:
            continue
        counts.sessions += 1
        try:
            info = detail(session.phoneburner_session_id)
        except PhoneBurnerError as error:
            counts.errors.append(f"session {session.pk}: {error}")
            continue
        _record(session, info, counts)


def _match_by_calls(client, unknown, since, now, detail, counts) -> None:
    """Give each session that never called back the PhoneBurner session whose calls went to its
    contacts and that started soon after it was launched."""
    tz = client.tz
    claimed = set(
        DialSession.objects.filter(phoneburner_session_id__isnull=False).values_list(
            "phoneburner_session_id", flat=True
        )
    )
    listed = [
        info
        for info in client.iter_dial_sessions(
            date_start=since.astimezone(tz).date(), date_end=now.astimezone(tz).date()
        )
        if info.call_count and info.start_when and info.dialsession_id not in claimed
    ]
    for session in unknown:
        ours = _session_phones(session)
        window = (session.created_at - MATCH_EARLIEST, session.created_at + MATCH_LATEST)
        for info in sorted(listed, key=lambda i: i.start_when):
            if info.dialsession_id in claimed or not window[0] <= info.start_when <= window[1]:
                continue
            phones = {
                normalize_phone_or_none(c.phone, session.franchise.phone_region)
                for c in detail(info.dialsession_id).calls
            }
            if phones and phones <= ours:
                updated = DialSession.objects.filter(pk=session.pk, phoneburner_session_id__isnull=True).update(
                    phoneburner_session_id=info.dialsession_id
                )
                if updated:
                    session.phoneburner_session_id = info.dialsession_id
                    claimed.add(info.dialsession_id)
                    counts.matched += 1
                break


def _session_phones(session: DialSession) -> set[str]:
    return set(ContactPhone.objects.filter(contact__in=session.contacts.all()).values_list("number", flat=True))


def _record(session: DialSession, info: DialSessionInfo, counts: ReconcileCounts) -> None:
    with transaction.atomic():
        for call in info.calls:
            recorded = dial_call_record(
                session=session,
                facts=CallFacts(
                    call_id=call.call_id,
                    phone=call.phone,
                    disposition=call.disposition or "",
                    connected=call.connected,
                    voicemail=call.voicemail,
                    duration=call.duration,
                    note=call.note,
                    recording_url=call.recording_url,
                    started_at=call.start_when,
                    ended_at=call.end_when,
                    exact_times=call.start_when is not None,
                ),
            )
            if recorded.created:
                counts.added += 1
            elif recorded.changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        fields = {"reconciled_at": timezone.now()}
        if info.end_when and session.status == DialSession.Status.LAUNCHED:
            fields |= {"status": DialSession.Status.FINISHED, "finished_at": info.end_when}
        DialSession.objects.filter(pk=session.pk).update(**fields)
