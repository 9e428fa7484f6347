"""PhoneBurner's three callbacks, and what a finished dial call changes.

PhoneBurner cannot sign its callbacks, so each session's callback URLs carry a secret of 256 bits
whose SHA-256 the session keeps; a wrong secret is a 404 that writes nothing. Every write is keyed
by (session, PhoneBurner's call_id), so a replayed callback changes nothing more, and a `calldone`
that arrives before its `callbegin` still lands (the `callbegin` then only fills in what is missing).
Reconcile records calls through `dial_call_record` too, under the same key.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import Contact, ContactPhone
from dialer.dispositions import disposition_family
from dialer.models import DialCall, DialSession, Family
from dialer.outcomes import dial_attempt_apply, dial_call_outcome_apply
from dialer.phoneburner.types import CallBegin, CallDone, ContactDisplayed
from franchises.phones import normalize_phone_or_none


def session_for_callback(*, session_id: uuid.UUID, secret: str) -> DialSession | None:
    """The session whose callback secret this is, or None (unknown session, wrong secret, or a
    failed session whose secret is dead). Constant-time on the secret."""
    from dialer.services import callback_secret_hash

    session = DialSession.objects.filter(pk=session_id).select_related("franchise", "created_by").first()
    expected = session.callback_secret_hash if session else ""
    offered = callback_secret_hash(secret)
    if not hmac.compare_digest(offered, expected or "-" * 64) or session is None:
        return None
    return session


@dataclass(frozen=True)
class CallFacts:
    """What we know of one dial call, from a callback or from PhoneBurner's GET answers."""

    call_id: str
    lead_id: str | None = None
    phone: str | None = None
    disposition: str | None = None
    connected: bool | None = None
    voicemail: bool | None = None
    duration: int | None = None
    note: str | None = None
    recording_url: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    phones: tuple[str, ...] = ()  # the contact's phones as the dialer has them (calldone)
    notes: str | None = None  # all the contact's notes from the dialer (calldone)
    exact_times: bool = False  # started_at/ended_at are PhoneBurner's own, not our estimate

    @property
    def done(self) -> bool:
        return self.disposition is not None


def callback_begin(*, session: DialSession, event: CallBegin) -> Recorded:
    """api_callbegin: a call starts. Teaches us PhoneBurner's session id."""
    now = timezone.now()
    with transaction.atomic():
        if event.ds_id and not session.phoneburner_session_id:
            DialSession.objects.filter(pk=session.pk, phoneburner_session_id__isnull=True).update(
                phoneburner_session_id=event.ds_id
            )
            session.phoneburner_session_id = event.ds_id
        DialSession.objects.filter(pk=session.pk).update(last_callback_at=now)
        return dial_call_record(
            session=session, facts=CallFacts(call_id=event.call_id, lead_id=event.lead_id, started_at=now)
        )


def callback_contact_displayed(*, session: DialSession, event: ContactDisplayed) -> None:
    """api_contact_displayed: the agent has a contact on screen; only the session's liveness changes."""
    DialSession.objects.filter(pk=session.pk).update(last_callback_at=timezone.now())


def callback_done(*, session: DialSession, event: CallDone) -> Recorded:
    """api_calldone: a call ended with a disposition. It carries no time, so the call's end is now
    and its start that less the duration (reconcile later puts PhoneBurner's own times)."""
    now = timezone.now()
    facts = CallFacts(
        call_id=event.call_id,
        lead_id=event.lead_id,
        phone=event.phone,
        disposition=event.status or "",
        connected=event.connected,
        duration=event.duration,
        started_at=now - timedelta(seconds=event.duration),
        ended_at=now,
        phones=event.phones,
        notes=event.notes,
    )
    with transaction.atomic():
        DialSession.objects.filter(pk=session.pk).update(last_callback_at=now)
        return dial_call_record(session=session, facts=facts)


@dataclass(frozen=True)
class Recorded:
    call: DialCall
    created: bool
    changed: bool


def dial_call_record(*, session: DialSession, facts: CallFacts) -> Recorded:
    """Create or update the session's call `facts.call_id`, then apply its outcome. Idempotent:
    the same facts again change nothing. Must run inside a transaction."""
    franchise = session.franchise
    contact = _contact_of(session, facts)
    phone = normalize_phone_or_none(facts.phone, franchise.phone_region) or (facts.phone or "")[:40]
    call, created = _locked_call(session, facts, contact, phone)
    changed: set[str] = set()

    def put(field: str, value: object) -> None:
        """What the latest word on the call says (a replay says the same)."""
        if value is not None and getattr(call, field) != value:
            setattr(call, field, value)
            changed.add(field)

    def fill(field: str, value: object) -> None:
        """What only fills a gap: a replay's "now" must not move a time already kept."""
        if getattr(call, field) in (None, "") and value not in (None, ""):
            put(field, value)

    fill("contact", contact)
    fill("phone", phone)
    fill("duration", facts.duration)
    fill("recording_url", (facts.recording_url or "")[:500])
    put("note", facts.note or None)
    if facts.exact_times:  # PhoneBurner's own start_when/end_when (reconcile)
        put("started_at", facts.started_at)
        put("ended_at", facts.ended_at)
    else:
        fill("ended_at", facts.ended_at)
    if facts.done:
        put("disposition", (facts.disposition or "")[:100])
        put("connected", facts.connected)
        put("voicemail", facts.voicemail)
        family = disposition_family(franchise=franchise, disposition=call.disposition, connected=call.connected)
        put("family", family)
        if family == Family.VOICEMAIL:
            put("voicemail", True)
    if changed:
        call.save()
    if created or changed:
        dial_attempt_apply(call=call, session=session)
    if call.family:
        dial_call_outcome_apply(call=call, session=session, facts=facts)
    return Recorded(call, created, bool(changed))


def _locked_call(session: DialSession, facts: CallFacts, contact: Contact | None, phone: str) -> tuple[DialCall, bool]:
    """The session's row for this call id, locked, and whether it was made now (a concurrent insert
    of the same call id loses to the unique constraint and takes the winner's row)."""
    key = {"session": session, "phoneburner_call_id": facts.call_id[:40]}
    call = DialCall.objects.select_for_update().filter(**key).first()
    if call is not None:
        return call, False
    try:
        with transaction.atomic():
            made = DialCall.objects.create(
                **key,
                franchise=session.franchise,
                contact=contact,
                phone=phone,
                started_at=facts.started_at or timezone.now(),
            )
            return made, True
    except IntegrityError:
        return DialCall.objects.select_for_update().get(**key), False


def _contact_of(session: DialSession, facts: CallFacts) -> Contact | None:
    """The session's contact this call was to: by our lead id, else by the phone dialled. Never a
    contact outside the session (a lead id is input from outside)."""
    contacts = session.contacts.all()
    if facts.lead_id and facts.lead_id.isdigit():
        found = contacts.filter(pk=int(facts.lead_id)).first()
        if found:
            return found
    phone = normalize_phone_or_none(facts.phone, session.franchise.phone_region)
    if phone:
        owner = ContactPhone.objects.filter(franchise=session.franchise, number=phone, contact__in=contacts)
        return Contact.objects.filter(pk__in=owner.values("contact_id")).first()
    return None
