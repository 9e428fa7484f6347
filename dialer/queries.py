"""The dialer's read side: the call-back queue and speed-to-lead, on one rule — "has this call's
caller been dialled since the call?" (`dials_since_call`): a dial to any of the call's phones, or
to the contact who owns one of them, at or after the call's time.

The queue: the franchise's calls of the last N days in its call-back categories whose triage is
still open (not booked, not "not needed") and whose caller has not been dialled since, one row per
caller (the contact owning one of the call's phones, else the call's own number), newest call
first. Callers who must not be called are left out: the queue is the list of people waiting for a
human on the phone.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone

from calls.models import Call
from calls.queries import call_choices
from calls.triage import CLOSED
from contacts.models import Contact, ContactPhone
from dialer.models import DialCall, DialerSettings, DialSession
from franchises.models import Franchise

CALL_PHONES = ("callback_number_e164", "caller_id_e164", "customer_phone_e164")  # the first is the one to ring
SPAM = "spam"
AGES = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "24h": timedelta(days=1), "3d": timedelta(days=3)}
AGE_LABELS = {"1h": "Last hour", "4h": "Last 4 hours", "24h": "Last 24 hours", "3d": "Last 3 days"}


def dialer_settings(franchise: Franchise) -> DialerSettings:
    """The franchise's dialer settings (defaults when it never saved any)."""
    return DialerSettings.objects.filter(franchise=franchise).first() or DialerSettings(franchise=franchise)


def _any_phone(field_name: str) -> Q:
    return Q(*(Q(**{field_name: OuterRef(phone)}) for phone in CALL_PHONES), _connector=Q.OR)


def caller_contact_id(franchise: Franchise) -> Subquery:
    """For an outer Call: the id of the franchise's contact owning one of its phones."""
    owners = ContactPhone.objects.filter(franchise=franchise).filter(_any_phone("number"))
    return Subquery(owners.order_by("-is_primary", "id").values("contact_id")[:1])


def dials_since_call(franchise: Franchise) -> QuerySet[DialCall]:
    """For an outer Call annotated with `caller_contact_id`: dials to its caller at or after it."""
    return DialCall.objects.filter(franchise=franchise, started_at__gte=OuterRef("timestamp")).filter(
        _any_phone("phone") | Q(contact_id=OuterRef("caller_contact_id"))
    )


def callback_calls(franchise: Franchise, *, since: datetime, categories: list[str]) -> QuerySet[Call]:
    """The franchise's calls since `since` in its call-back categories (none chosen: every
    category but spam), each with its caller's contact id."""
    calls = Call.objects.filter(franchise=franchise, timestamp__gte=since)
    calls = calls.filter(call_category__in=categories) if categories else calls.exclude(call_category__iexact=SPAM)
    return calls.annotate(caller_contact_id=caller_contact_id(franchise))


@dataclass(frozen=True)
class QueueFilters:
    location: uuid.UUID | None = None
    category: str | None = None
    age: str | None = None  # a key of AGES: only calls newer than that


def queue_calls(
    franchise: Franchise,
    filters: QueueFilters = QueueFilters(),
    *,
    now: datetime | None = None,
    chosen: DialerSettings | None = None,
):
    """One call per caller still waiting for a call back, newest first (a QuerySet of Calls with
    `caller_contact_id`, `caller_calls` — the caller's waiting calls — and the contact prefetched)."""
    now = now or timezone.now()
    chosen = chosen or dialer_settings(franchise)
    since = now - timedelta(days=chosen.queue_days)
    if filters.age in AGES:
        since = max(since, now - AGES[filters.age])
    calls = callback_calls(franchise, since=since, categories=chosen.callback_categories).exclude(state__in=CLOSED)
    if filters.location:
        calls = calls.filter(location_id=filters.location)
    if filters.category:
        calls = calls.filter(call_category=filters.category)
    must_not_call = Contact.objects.filter(pk=OuterRef("caller_contact_id"), do_not_call=True)
    calls = calls.filter(~Exists(dials_since_call(franchise)), ~Exists(must_not_call))
    caller = Coalesce(Cast("caller_contact_id", CharField()), *CALL_PHONES)
    calls = calls.annotate(caller=caller).filter(caller__isnull=False)
    ranked = calls.annotate(
        rank=Window(RowNumber(), partition_by=[F("caller")], order_by=[F("timestamp").desc(), F("id").desc()]),
        caller_calls=Window(Count("id"), partition_by=[F("caller")]),
    )
    return ranked.filter(rank=1).select_related("location").order_by("-timestamp", "-id")


def franchise_categories(franchise: Franchise) -> list[str]:
    """Every call category the franchise's calls have, for choosing the call-back ones."""
    return [c for c in call_choices(franchise, "call_category") if c]


def queue_categories(franchise: Franchise, chosen: DialerSettings | None = None) -> list[str]:
    """The categories the queue takes calls from, for its filter: the chosen ones, else those of
    the queue's window but spam."""
    chosen = chosen or dialer_settings(franchise)
    if chosen.callback_categories:
        return sorted(chosen.callback_categories)
    recent = Call.objects.filter(franchise=franchise, timestamp__gte=timezone.now() - timedelta(days=chosen.queue_days))
    found = recent.exclude(call_category="").values_list("call_category", flat=True).order_by().distinct()
    return sorted(c for c in found if c.lower() != SPAM)


def caller_contacts(franchise: Franchise, calls: list[Call]) -> dict[int, Contact]:
    """The contact owning one of each call's phones, by call id (calls whose caller has none are absent)."""
    phones = {p for call in calls for p in (getattr(call, name) for name in CALL_PHONES) if p}
    owner = dict(
        ContactPhone.objects.filter(franchise=franchise, number__in=phones).values_list("number", "contact_id")
    )
    contacts = Contact.objects.in_bulk(set(owner.values()))
    found: dict[int, Contact] = {}
    for call in calls:
        contact_id = next((owner[p] for p in (getattr(call, name) for name in CALL_PHONES) if p in owner), None)
        if contact_id in contacts:
            found[call.pk] = contacts[contact_id]
    return found


def sessions_with_counts(franchise: Franchise) -> QuerySet[DialSession]:
    """The franchise's dial sessions, newest first, with how many contacts and calls each has."""
    calls = DialCall.objects.filter(session=OuterRef("pk")).order_by().values("session").annotate(n=Count("id"))
    return (
        DialSession.objects.filter(franchise=franchise)
        .select_related("created_by")
        .annotate(contact_count=Count("contacts"), call_count=Coalesce(Subquery(calls.values("n")), 0))
        .order_by("-created_at")
    )


# --- Speed-to-lead -----------------------------------------------------------------------------------


@dataclass
class LeadSpeed:
    """How fast one location (or the whole franchise: `name` "All locations") calls its leads back."""

    name: str
    calls: int = 0
    dialled: int = 0
    within_hour: int = 0
    within_day: int = 0
    waits: list[float] = field(default_factory=list, repr=False)

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.waits) / 60 if self.waits else None

    @property
    def share_within_hour(self) -> float | None:
        return self.within_hour / self.calls if self.calls else None

    @property
    def share_within_day(self) -> float | None:
        return self.within_day / self.calls if self.calls else None

    def add(self, wait_seconds: float | None) -> None:
        self.calls += 1
        if wait_seconds is None:
            return
        self.dialled += 1
        self.waits.append(wait_seconds)
        self.within_hour += wait_seconds <= 3600
        self.within_day += wait_seconds <= 86400


def speed_to_lead(franchise: Franchise, *, days: int = 30, now: datetime | None = None) -> list[LeadSpeed]:
    """Time from each call-back call of the last `days` days to its caller's first dial after it:
    the whole franchise first, then each location. A call never dialled counts against the shares
    and is left out of the median (which is over the calls that were dialled)."""
    now = now or timezone.now()
    first_dial = dials_since_call(franchise).order_by("started_at").values("started_at")[:1]
    rows = (
        callback_calls(
            franchise, since=now - timedelta(days=days), categories=dialer_settings(franchise).callback_categories
        )
        .exclude(state=Call.State.NOT_NEEDED)  # nobody was meant to call these back
        .annotate(first_dial=Subquery(first_dial))
        .values_list("timestamp", "first_dial", "location__name")
    )
    overall = LeadSpeed("All locations")
    by_location: dict[str, LeadSpeed] = {}
    for timestamp, dialled_at, location in rows:
        wait = (dialled_at - timestamp).total_seconds() if dialled_at else None
        overall.add(wait)
        name = location or "No location"
        by_location.setdefault(name, LeadSpeed(name)).add(wait)
    return [overall, *sorted(by_location.values(), key=lambda speed: speed.name)]
