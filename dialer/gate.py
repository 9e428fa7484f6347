"""The one dial gate: who may be dialled, and for everyone else, why not.

Every launch goes through `dial_gate`; it is the only place that knows the reasons. A contact is
left out when it must not be called (its do-not-call flag, which the CRM's `callDND` also sets, or
a do-not-call disposition in an earlier dial), has no phone, has only bad numbers (unreadable, or
found bad by an earlier dial), or is already in a dial session that is still open (launched in the
last 12 hours with no call to that contact reported yet). Five queries whatever the number of
contacts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact
from dialer.models import BadPhone, DialCall, DialSession, Family
from franchises.models import Franchise
from franchises.phones import normalize_phone_or_none

OPEN_SESSION_HOURS = 12

DO_NOT_CALL = "Do not call"
DNC_DISPOSITION = "Asked not to be called (do-not-call disposition)"
NO_PHONE = "No phone number"
BAD_NUMBER = "Bad number"
OPEN_SESSION = "Already in an open dial session"


@dataclass(frozen=True)
class Dialable:
    """A contact the gate lets through, with the phone to dial first and any other good ones."""

    contact: Contact
    phone: str
    other_phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Excluded:
    """A contact the gate leaves out, and why, in words a call-back agent understands."""

    contact: Contact
    reason: str


@dataclass(frozen=True)
class GateResult:
    dialable: list[Dialable]
    excluded: list[Excluded]


def dial_gate(*, franchise: Franchise, contacts: Iterable[Contact], now: datetime | None = None) -> GateResult:
    """Split `contacts` (the franchise's, in the order given) into the dialable and the left out."""
    contacts = [c for c in dict.fromkeys(contacts) if c.franchise_id == franchise.pk]
    now = now or timezone.now()
    ids = [c.pk for c in contacts]
    readable = {c.pk: [p for p in map(_readable(franchise), c.phones) if p] for c in contacts}
    everyone = {p for phones in readable.values() for p in phones}
    bad = set(BadPhone.objects.filter(franchise=franchise, number__in=everyone).values_list("number", flat=True))
    refused = set(
        DialCall.objects.filter(franchise=franchise, contact_id__in=ids, family=Family.DO_NOT_CALL).values_list(
            "contact_id", flat=True
        )
    )
    in_open = _in_open_sessions(franchise, ids, now)

    dialable: list[Dialable] = []
    excluded: list[Excluded] = []
    for contact in contacts:
        good = [p for p in readable[contact.pk] if p not in bad]
        if contact.do_not_call:
            excluded.append(Excluded(contact, DO_NOT_CALL))
        elif contact.pk in refused:
            excluded.append(Excluded(contact, DNC_DISPOSITION))
        elif not contact.phones:
            excluded.append(Excluded(contact, NO_PHONE))
        elif not good:
            excluded.append(Excluded(contact, BAD_NUMBER))
        elif contact.pk in in_open:
            excluded.append(Excluded(contact, OPEN_SESSION))
        else:
            dialable.append(Dialable(contact, good[0], tuple(good[1:])))
    return GateResult(dialable, excluded)


def _readable(franchise: Franchise):
    return lambda phone: normalize_phone_or_none(phone, franchise.phone_region)


def _in_open_sessions(franchise: Franchise, contact_ids: list[int], now: datetime) -> set[int]:
    """Contacts of a session launched in the last 12 hours (or launching now) with no call to
    them reported in it yet."""
    since = now - timedelta(hours=OPEN_SESSION_HOURS)
    listed = set(
        DialSession.contacts.through.objects.filter(
            contact_id__in=contact_ids,
            dialsession__franchise=franchise,
            dialsession__created_at__gte=since,
            dialsession__status__in=[DialSession.Status.PENDING, DialSession.Status.LAUNCHED],
        ).values_list("dialsession_id", "contact_id")
    )
    if not listed:
        return set()
    sessions = {session_id for session_id, _ in listed}
    called = set(
        DialCall.objects.filter(Q(session_id__in=sessions) & Q(contact_id__in=contact_ids)).values_list(
            "session_id", "contact_id"
        )
    )
    return {contact_id for _, contact_id in listed - called}
