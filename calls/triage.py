"""Triage: where each call stands with the franchise's staff.

A call is new until someone (or something) acts on it: staff mark it reviewed, needing a call-back
or not needed (spam, a wrong number, an existing customer handled elsewhere); the dialer marks it
called back when a caller is dialled and booked when the outcome is an appointment. Booked and
not-needed calls are closed: they leave the call-back queue.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from calls.models import Call
from config.errors import DomainError

State = Call.State

# The order a call moves through; an automatic change only ever moves a call forward along it.
FORWARD = (State.NEW, State.REVIEWED, State.NEEDS_CALLBACK, State.CALLED_BACK, State.BOOKED)
CLOSED = (State.BOOKED, State.NOT_NEEDED)
NOT_NEEDED_REASONS = ("spam", "wrong number", "existing customer")


class BadCallState(DomainError):
    """A triage state or reason that is not one of the known ones."""

    code = "invalid_state"


def call_state_set(
    *,
    calls: QuerySet[Call],
    state: str,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    automatic: bool = False,
) -> int:
    """Put `calls` (already scoped to the caller's franchise) in `state`, keeping who and when.
    Returns how many calls changed.

    Staff may set any state (`reason` says why a call is not needed). An automatic change, made by
    the system from what it learns (a dial attempt, a booking), only moves a call forward: it never
    undoes a later state, and never reopens a call a person closed as not needed.
    """
    if state not in State.values:
        raise BadCallState(f"Unknown call state {state!r}")
    if state == State.NOT_NEEDED and reason and reason not in NOT_NEEDED_REASONS:
        raise BadCallState(f"A call is not needed because of {', '.join(NOT_NEEDED_REASONS)}, not {reason!r}")
    changing = calls.exclude(state=state, state_reason=reason if state == State.NOT_NEEDED else "")
    if automatic:
        if state not in FORWARD:
            raise BadCallState(f"{state!r} is only set by staff")
        changing = changing.filter(state__in=FORWARD[: FORWARD.index(state)])
    now = timezone.now()
    return changing.update(
        state=state,
        state_reason=reason if state == State.NOT_NEEDED else "",
        state_changed_at=now,
        state_changed_by=by,
        updated_at=now,
    )
