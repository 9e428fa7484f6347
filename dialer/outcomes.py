"""What a dial changes outside the dialer: the caller's calls (triage), the contact (do-not-call, a
bad number, a phone the agent added, the notes) and the session. Every step looks before it
writes, so applying one call's outcome twice (a replayed callback, a second reconcile) changes
nothing the second time. Contacts change only through the contacts update service, so each change
lands in the contact's history with who (the agent who launched the session), source and reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from calls.models import Call
from calls.queries import calls_with_phones
from calls.triage import call_state_set
from contacts.models import Contact, ContactChange, ContactPhone
from contacts.services import BadContactPhone, PhoneTaken, contact_update
from dialer.models import BadPhone, DialCall, DialSession, Family
from franchises.phones import normalize_phone_or_none

if TYPE_CHECKING:
    from dialer.callbacks import CallFacts

# A dial answers the caller's calls of the month before it: they are called back (and booked when
# the outcome is an appointment). Older calls keep whatever state they have.
TRIAGE_DAYS = 30


def queue_count_key(franchise_id: object) -> str:
    return f"dialer:queue-count:{franchise_id}"


def dial_attempt_apply(*, call: DialCall, session: DialSession) -> None:
    """Any dial attempt, finished or not: the caller's recent calls are called back. Runs inside
    the caller's transaction."""
    phones = Contact.objects.get(pk=call.contact_id).phones if call.contact_id else [call.phone]
    calls = calls_with_phones(call.franchise_id, phones).filter(
        timestamp__lte=call.started_at, timestamp__gte=call.started_at - timedelta(days=TRIAGE_DAYS)
    )
    call_state_set(calls=calls, state=Call.State.CALLED_BACK, by=session.created_by, automatic=True)
    if call.family == Family.APPOINTMENT:
        call_state_set(calls=calls, state=Call.State.BOOKED, by=session.created_by, automatic=True)
    transaction.on_commit(lambda: cache.delete(queue_count_key(call.franchise_id)))


def dial_call_outcome_apply(*, call: DialCall, session: DialSession, facts: CallFacts) -> None:
    """Apply a done call's outcome to its contact and session. Runs inside the caller's transaction."""
    contact = Contact.objects.select_for_update().filter(pk=call.contact_id).first() if call.contact_id else None
    if contact is not None:
        if call.family == Family.DO_NOT_CALL and not contact.do_not_call:
            reason = f"PhoneBurner disposition “{call.disposition}” (call {call.phoneburner_call_id})"
            _contact_change(contact, {"do_not_call": True}, session, reason)
        if call.family == Family.BAD_NUMBER and call.phone:
            BadPhone.objects.get_or_create(
                franchise_id=call.franchise_id, number=call.phone, defaults={"dial_call": call}
            )
        _add_new_phones(contact, facts.phones, session)
        new_lines = _new_note_lines(contact, facts.notes or facts.note)
        if new_lines:
            if not call.note:
                call.note = "\n".join(new_lines)
                call.save(update_fields=["note", "updated_at"])
            notes = "\n".join(filter(None, [(contact.notes or "").rstrip(), *new_lines]))
            _contact_change(contact, {"notes": notes}, session, "notes from a PhoneBurner dial")
    _finish_when_everyone_was_called(session)


def _contact_change(contact: Contact, changes: dict, session: DialSession, reason: str) -> None:
    """One change to the contact, through the contacts update service (which keeps its history)."""
    updated = contact_update(
        franchise=session.franchise,
        contact_id=contact.pk,
        changes=changes,
        by=session.created_by,
        source=ContactChange.Source.DIALER,
        reason=reason,
    )
    for field in changes:
        setattr(contact, field, getattr(updated, field))


def _add_new_phones(contact: Contact, phones: tuple[str, ...], session: DialSession) -> None:
    """A phone the agent added in the dialer joins the contact when no other contact has it."""
    region = session.franchise.phone_region
    new = [p for p in dict.fromkeys(normalize_phone_or_none(raw, region) for raw in phones) if p]
    new = [p for p in new if p not in contact.phones]
    if not new:
        return
    taken = set(
        ContactPhone.objects.filter(franchise_id=contact.franchise_id, number__in=new).values_list("number", flat=True)
    )
    free = [p for p in new if p not in taken]
    if not free:
        return
    try:
        with transaction.atomic():
            changes = {"alternate_phones": [*contact.alternate_phones, *free]}
            _contact_change(contact, changes, session, "a phone the agent added in PhoneBurner")
    except (PhoneTaken, BadContactPhone):
        pass  # taken between our look and the write: one phone, one contact


def _new_note_lines(contact: Contact, notes: str | None) -> list[str]:
    """The lines of the dialer's notes (all of the contact's, old and new) that ours lack."""
    if not notes:
        return []
    have = {line.strip() for line in (contact.notes or "").splitlines()}
    return [line.rstrip() for line in notes.splitlines() if line.strip() and line.strip() not in have]


def _finish_when_everyone_was_called(session: DialSession) -> None:
    """A session whose every contact has a finished call is over (PhoneBurner sends no "ended")."""
    if session.status != DialSession.Status.LAUNCHED:
        return
    called = DialCall.objects.filter(session=session, contact__isnull=False).exclude(family="").values("contact_id")
    if not session.contacts.exclude(pk__in=called).exists():
        now = timezone.now()
        DialSession.objects.filter(pk=session.pk, status=DialSession.Status.LAUNCHED).update(
            status=DialSession.Status.FINISHED, finished_at=now
        )
        session.status, session.finished_at = DialSession.Status.FINISHED, now
