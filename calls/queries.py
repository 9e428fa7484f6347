"""The one place calls are filtered and paged: the Data Share API and the staff pages both use it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from calls.models import Call
from config.compiled import fetch_rows
from config.errors import BadFilter, parse_uuid
from config.keyset import BadCursor, cursor_decode, cursor_encode
from franchises.models import Franchise
from franchises.phones import normalize_phone_filter, normalize_phone_or_none

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CURSOR_KIND = "calls"

# The staff pages' full-text search; the GIN index in calls' migrations is on this very expression.
SEARCH_VECTOR = SearchVector("transcript", "call_summary", "customer_name", "notes", config="english")


def parse_bound(value: str, tz: ZoneInfo, *, end: bool, name: str) -> datetime:
    """Read a start/end bound. `YYYY-MM-DD` is that whole day in the franchise's zone (an end bound
    becomes the next midnight, exclusive); an ISO 8601 datetime is exact (no offset: franchise zone)."""
    value = value.strip()
    if DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise BadFilter(f"{name} is not a real date: {value!r}") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=tz)
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise BadFilter(f"{name} must be YYYY-MM-DD or an ISO 8601 datetime, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@dataclass(frozen=True)
class CallFilters:
    """What a client may narrow calls by. Build it with `CallFilters.parse` from raw strings."""

    location_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None
    end_exclusive: bool = False
    conversation_id: str | None = None
    phone: str | None = None  # E.164
    call_category: str | None = None
    agent_type: str | None = None
    has_recording: bool | None = None
    q: str | None = None

    @classmethod
    def parse(
        cls,
        franchise: Franchise,
        *,
        location_id: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        call_id: str | None = None,
        phone: str | None = None,
        **extra,
    ) -> CallFilters:
        """Validate raw query values; raise BadFilter with a reason a client can act on."""
        tz = franchise.tzinfo
        start = parse_bound(start_date, tz, end=False, name="start_date") if start_date else None
        end = parse_bound(end_date, tz, end=True, name="end_date") if end_date else None
        if start and end and start > end:
            raise BadFilter("start_date is after end_date")
        return cls(
            location_id=parse_uuid(location_id, name="location_id"),
            start=start,
            end=end,
            end_exclusive=bool(end_date and DATE_ONLY.match(end_date.strip())),
            conversation_id=call_id or None,
            phone=normalize_phone_filter(phone, franchise.phone_region),
            **extra,
        )


def calls_for(franchise: Franchise, filters: CallFilters = CallFilters()) -> QuerySet[Call]:
    """The franchise's calls matching `filters`, newest first (timestamp, then id)."""
    qs = Call.objects.filter(franchise=franchise)
    f = filters
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.start:
        qs = qs.filter(timestamp__gte=f.start)
    if f.end:
        qs = qs.filter(timestamp__lt=f.end) if f.end_exclusive else qs.filter(timestamp__lte=f.end)
    if f.conversation_id:
        qs = qs.filter(conversation_id=f.conversation_id)
    if f.phone:
        qs = qs.filter(Q(caller_id_e164=f.phone) | Q(callback_number_e164=f.phone) | Q(customer_phone_e164=f.phone))
    if f.call_category:
        qs = qs.filter(call_category=f.call_category)
    if f.agent_type:
        qs = qs.filter(agent_type=f.agent_type)
    if f.has_recording is not None:
        qs = qs.filter(recording__isnull=not f.has_recording)
    if f.q:
        qs = _search(qs, f.q, franchise.phone_region)
    return qs.order_by("-timestamp", "-id")


def _search(qs: QuerySet[Call], q: str, region: str) -> QuerySet[Call]:
    """Words said in the call (transcript, summary, notes), names, or a phone in any format."""
    q = q.strip()[:200]
    match = Q(customer_name__icontains=q) | Q(caller_id__icontains=q) | Q(callback_number__icontains=q)
    phone = normalize_phone_or_none(q, region) if any(ch.isdigit() for ch in q) else None
    if phone:
        match |= Q(caller_id_e164=phone) | Q(callback_number_e164=phone) | Q(customer_phone_e164=phone)
    if connection.vendor == "postgresql":
        words = SearchQuery(q, config="english", search_type="websearch")
        # The words go through a sub-select so the GIN index (calls migration 0002) answers them;
        # OR-ed straight into the filter, the planner computes to_tsvector for every call instead.
        said = Call.objects.annotate(search=SEARCH_VECTOR).filter(search=words).values("id")
        return qs.filter(Q(id__in=said) | match)
    return qs.filter(match | Q(transcript__icontains=q) | Q(call_summary__icontains=q) | Q(notes__icontains=q))


def cursor_key(cursor: str) -> tuple[datetime, int]:
    """The (timestamp, id) a cursor from `next_cursor` points at."""
    key = cursor_decode(CURSOR_KIND, cursor)
    try:
        return datetime.fromisoformat(key[0]), int(key[1])
    except (IndexError, TypeError, ValueError):
        raise BadCursor("Invalid cursor") from None


def keyset_after(qs: QuerySet[Call], cursor: str | None) -> QuerySet[Call]:
    """Rows strictly after the cursor's (timestamp, id) in newest-first order."""
    if not cursor:
        return qs
    moment, last_id = cursor_key(cursor)
    # `timestamp <= t` is what the (franchise, timestamp, id) index can range-scan; the OR then
    # breaks ties on id, so a page boundary inside one second never repeats or skips a call.
    return qs.filter(timestamp__lte=moment).filter(Q(timestamp__lt=moment) | Q(id__lt=last_id))


def calls_page(
    franchise: Franchise, filters: CallFilters, cursor: str | None, *, columns: tuple[str, ...], size: int
) -> list[tuple]:
    """`keyset_after(calls_for(franchise, filters), cursor).values_list(*columns)[:size]` as a list,
    compiled to SQL once per shape of the query (`config.compiled`)."""

    def page() -> QuerySet[Call]:
        return keyset_after(calls_for(franchise, filters), cursor).values_list(*columns)[:size]

    f = filters
    if f.q:  # search compiles to SQL whose parameters are not plain filter values
        return list(page())
    # The parameters in the order calls_for and keyset_after bind them.
    values = (
        franchise.pk,
        f.location_id,
        f.start,
        f.end,
        f.conversation_id,
        *[f.phone] * 3,
        f.call_category,
        f.agent_type,
    )
    params = [value for value in values if value]
    after = cursor_key(cursor) if cursor else None
    if after:
        params += [after[0], after[0], after[1]]
    shape = ("calls_page", *(bool(v) for v in values), f.end_exclusive, f.has_recording, bool(after), columns, size)
    return fetch_rows(shape, params, page)


def keyset_before(qs: QuerySet[Call], cursor: str) -> QuerySet[Call]:
    """Rows strictly before the cursor's (timestamp, id) in newest-first order (the "newer" page),
    ordered OLDEST first so a LIMIT takes the rows nearest the cursor; reverse them to show."""
    moment, first_id = cursor_key(cursor)
    newer = qs.filter(timestamp__gte=moment).filter(Q(timestamp__gt=moment) | Q(id__gt=first_id))
    return newer.order_by("timestamp", "id")


def next_cursor(last_timestamp: datetime, last_id: int) -> str:
    return cursor_encode(CURSOR_KIND, [last_timestamp.isoformat(), last_id])
