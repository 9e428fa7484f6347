"""The one place calls are filtered and paged: the Data Share API and the staff pages both use it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Exists, Expression, Func, JSONField, Max, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils.dateparse import parse_datetime

from calls import search
from calls.models import Call, Recording
from config.compiled import fetch_rows
from config.errors import BadFilter, parse_uuid
from config.keyset import BadCursor, cursor_decode, cursor_encode
from franchises.models import Franchise
from franchises.phones import normalize_phone_filter

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates a filter may name. Far beyond, a day added or a zone applied leaves Python's datetime range.
YEARS = range(1900, 2201)
# Business hours in the franchise's zone: Monday to Friday, 8:00 to 18:00. Calls outside them are
# "after hours" (the dashboard's share and the call list's filter answer by this one rule).
OPEN_FROM, OPEN_UNTIL = 8, 18
CURSOR_KIND = "calls"


def parse_bound(value: str, tz: ZoneInfo, *, end: bool, name: str) -> datetime:
    """Read a start/end bound. `YYYY-MM-DD` is that whole day in the franchise's zone (an end bound
    becomes the next midnight, exclusive); an ISO 8601 datetime is exact (no offset: franchise zone)."""
    value = value.strip()
    if DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise BadFilter(f"{name} is not a real date: {value!r}") from None
        _check_year(day, name)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=tz)
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise BadFilter(f"{name} must be YYYY-MM-DD or an ISO 8601 datetime, got {value!r}")
    _check_year(moment, name)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _check_year(day: date, name: str) -> None:
    if day.year not in YEARS:
        raise BadFilter(f"{name} must have a year from {YEARS.start} to {YEARS.stop - 1}, got {day.year}")


class BadDateRange(BadFilter):
    """The start of a date range is after its end."""


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
    state: str | None = None  # a Call.State value
    hour: int | None = None  # 0–23, the hour of day in the franchise's zone
    after_hours: bool | None = None  # outside OPEN_FROM–OPEN_UNTIL on weekdays, in the franchise's zone
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
            raise BadDateRange("start_date is after end_date")
        return cls(
            location_id=parse_uuid(location_id, name="location_id"),
            start=start,
            end=end,
            end_exclusive=bool(end_date and DATE_ONLY.match(end_date.strip())),
            conversation_id=call_id or None,
            phone=normalize_phone_filter(phone, franchise.phone_region),
            **extra,
        )


def phones_match(phones: list[str]) -> Q:
    """A call's caller id, callback number or customer phone is one of `phones` (E.164): the link
    between calls and whoever owns those phones."""
    return Q(caller_id_e164__in=phones) | Q(callback_number_e164__in=phones) | Q(customer_phone_e164__in=phones)


def calls_with_phones(franchise_id: object, phones: Iterable[str | None]) -> QuerySet[Call]:
    """The franchise's calls of any of these phones (empty ones ignored), newest first. The one
    answer to "which calls belong to these phones?": a contact's calls and statistics come from it."""
    wanted = [phone for phone in phones if phone]
    if not wanted:
        return Call.objects.none()
    return Call.objects.filter(franchise_id=franchise_id).filter(phones_match(wanted)).order_by("-timestamp", "-id")


@dataclass(frozen=True)
class CallStats:
    total_calls: int = 0
    last_contact_date: datetime | None = None


def call_stats(franchise_id: object, phones_by_owner: Mapping[int, Iterable[str | None]]) -> dict[int, CallStats]:
    """`total_calls` and `last_contact_date` of each owner (a contact) from `calls_with_phones` of its
    phones; owners without calls are left out. One query for any number of owners: calls are grouped
    by their phone triple, and a call counts once per owner even when two of its phones are the
    owner's. `CallStatsOfPhones` is the same rule in PostgreSQL's SQL (a test holds them equal)."""
    owner = {phone: oid for oid, phones in phones_by_owner.items() for phone in phones if phone}
    groups = (
        calls_with_phones(franchise_id, owner)
        .values_list("caller_id_e164", "callback_number_e164", "customer_phone_e164")
        .annotate(n=Count("id"), last=Max("timestamp"))
        .order_by()
    )
    totals: dict[int, int] = {}
    lasts: dict[int, datetime] = {}
    for caller, callback, customer, n, last in groups:
        for oid in {owner.get(caller), owner.get(callback), owner.get(customer)} - {None}:
            totals[oid] = totals.get(oid, 0) + n
            if oid not in lasts or last > lasts[oid]:
                lasts[oid] = last
    return {oid: CallStats(totals[oid], lasts[oid]) for oid in totals}


class CallStatsOfPhones(Func):
    """PostgreSQL: `{"total_calls": n, "last_contact_date": "<ISO 8601>" | null}` of each row, as a
    correlated subquery over the row's franchise id, primary phone and JSON list of other phones, so
    a page of contacts gets its call statistics in its own query.

    The same calls as `call_stats`: those of the franchise whose caller id, callback number or
    customer phone is one of the row's phones, each counted once. Each phone column is read through
    its covering index (calls/migrations/0004), the UNION on the call's id dropping a call found
    through two of its phones: index-only scans, no heap page per call.
    """

    template = """(
SELECT jsonb_build_object('total_calls', count(*), 'last_contact_date', max(found."timestamp"))
FROM (SELECT %(expressions)s) AS contact (franchise_id, primary_phone, alternate_phones)
CROSS JOIN LATERAL (
    SELECT array_remove(
        ARRAY[NULLIF(contact.primary_phone, '')::text]
        || ARRAY(SELECT jsonb_array_elements_text(
            CASE jsonb_typeof(contact.alternate_phones) WHEN 'array' THEN contact.alternate_phones ELSE '[]' END
        )),
        NULL
    ) AS numbers
) AS phones
CROSS JOIN LATERAL (
    SELECT id, "timestamp" FROM calls_call
    WHERE franchise_id = contact.franchise_id AND caller_id_e164 = ANY(phones.numbers)
    UNION
    SELECT id, "timestamp" FROM calls_call
    WHERE franchise_id = contact.franchise_id AND callback_number_e164 = ANY(phones.numbers)
    UNION
    SELECT id, "timestamp" FROM calls_call
    WHERE franchise_id = contact.franchise_id AND customer_phone_e164 = ANY(phones.numbers)
) AS found
)"""
    output_field = JSONField()

    def __init__(self, franchise_id: Expression, primary_phone: Expression, other_phones: Expression) -> None:
        super().__init__(franchise_id, primary_phone, other_phones)


def local_clock(tz: ZoneInfo) -> dict[str, Expression]:
    """Annotations: a call's hour of day (0–23) and ISO weekday (1 = Monday) in the zone `tz`."""
    return {
        "local_hour": ExtractHour("timestamp", tzinfo=tz),
        "local_weekday": ExtractIsoWeekDay("timestamp", tzinfo=tz),
    }


# Over `local_clock`'s annotations.
AFTER_HOURS = Q(local_hour__lt=OPEN_FROM) | Q(local_hour__gte=OPEN_UNTIL) | Q(local_weekday__gte=6)


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
        qs = qs.filter(phones_match([f.phone]))
    if f.call_category:
        qs = qs.filter(call_category=f.call_category)
    if f.agent_type:
        qs = qs.filter(agent_type=f.agent_type)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.hour is not None or f.after_hours is not None:
        qs = qs.annotate(**local_clock(franchise.tzinfo))
        if f.hour is not None:
            qs = qs.filter(local_hour=f.hour)
        if f.after_hours is not None:
            qs = qs.filter(AFTER_HOURS if f.after_hours else ~AFTER_HOURS)
    if f.has_recording is not None:
        qs = qs.filter(recording__isnull=not f.has_recording)
    if f.q:
        qs = search.matching(qs, f.q[:200])
    return qs.order_by("-timestamp", "-id")


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

    # Search, and the hour in the franchise's zone (the dashboard's drill-downs), compile to SQL whose
    # parameters are not plain filter values: the ORM runs those.
    if filters.q or filters.hour is not None or filters.after_hours is not None:
        return list(page())
    after = cursor_key(cursor) if cursor else None
    # The SQL's shape from every field of CallFilters, so a field added later gets shapes of its own
    # by itself: it can never reuse the SQL of a query without it.
    shape = ("calls_page", *(_shape_of(getattr(filters, f.name)) for f in fields(CallFilters)), bool(after))
    return fetch_rows((*shape, columns, size), _bound_params(franchise, filters, after), page)


def _shape_of(value: object) -> object:
    """What of a filter value changes the SQL text: a flag's value, else whether it is set."""
    return value if value is None or isinstance(value, bool) else bool(value)


def _bound_params(franchise: Franchise, f: CallFilters, after: tuple[datetime, int] | None) -> list:
    """The parameters in the order calls_for and keyset_after bind them. `fetch_rows` compares them
    with Django's own on a shape's first use: a list that disagrees (a filter added to calls_for but
    not here) makes that shape run through the ORM, slower but never wrong, and the test of every
    CallFilters field on PostgreSQL (tests/calls/test_calls_page_fast_path.py) fails."""
    values = (
        franchise.pk,
        f.location_id,
        f.start,
        f.end,
        f.conversation_id,
        *[f.phone] * 3,
        f.call_category,
        f.agent_type,
        f.state,
    )
    params = [value for value in values if value]
    if after:
        params += [after[0], after[0], after[1]]
    return params


def keyset_before(qs: QuerySet[Call], cursor: str) -> QuerySet[Call]:
    """Rows strictly before the cursor's (timestamp, id) in newest-first order (the "newer" page),
    ordered OLDEST first so a LIMIT takes the rows nearest the cursor; reverse them to show."""
    moment, first_id = cursor_key(cursor)
    newer = qs.filter(timestamp__gte=moment).filter(Q(timestamp__gt=moment) | Q(id__gt=first_id))
    return newer.order_by("timestamp", "id")


def next_cursor(last_timestamp: datetime, last_id: int) -> str:
    return cursor_encode(CURSOR_KIND, [last_timestamp.isoformat(), last_id])


class StoredRecording(NamedTuple):
    """Where a call's audio is in storage, and what it is."""

    name: str
    size: int
    content_type: str


def recording_of(*, franchise_id: object, conversation_id: str) -> StoredRecording | None:
    """The stored recording of the franchise's call `conversation_id`; None for a missing call, one
    without audio and another franchise's call alike, so ids of other franchises cannot be probed."""

    def row() -> QuerySet[Recording]:
        # `[:1]`, not `.first()`: a conversation_id has one recording, and first()'s ORDER BY costs time.
        wanted = Recording.objects.filter(call__franchise=franchise_id, call__conversation_id=conversation_id)
        return wanted.values_list("file", "size", "content_type")[:1]

    # The parameters as Django binds them: filter()'s keywords sorted by name.
    rows = fetch_rows("recording", [conversation_id, franchise_id], row)
    return StoredRecording(*rows[0]) if rows and rows[0][0] else None


# The franchise's distinct non-empty values of one column, smallest first, by a "loose index scan":
# each step asks the (franchise, column) index for the next value above the last one, so the cost
# grows with the number of values (a handful), not with the franchise's calls. A plain DISTINCT
# reads every call of the franchise (0.36 s at 200k calls). Works as written on PostgreSQL and SQLite.
_CHOICES_SQL = """
WITH RECURSIVE choice(value) AS (
    SELECT MIN({column}) FROM {table} WHERE franchise_id = %s AND {column} > ''
  UNION ALL
    SELECT (SELECT MIN({column}) FROM {table} WHERE franchise_id = %s AND {column} > choice.value)
    FROM choice WHERE choice.value IS NOT NULL
)
SELECT value FROM choice WHERE value IS NOT NULL
"""
CHOICE_COLUMNS = ("call_category", "agent_type")  # each has its index (calls/migrations/0004)


def call_choices(franchise: Franchise, column: str) -> list[str]:
    """The values of `column` among the franchise's calls, for a filter dropdown."""
    if column not in CHOICE_COLUMNS:
        raise ValueError(column)
    sql = _CHOICES_SQL.format(table=Call._meta.db_table, column=Call._meta.get_field(column).column)
    franchise_id = Call._meta.get_field("franchise").get_db_prep_value(franchise.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [franchise_id, franchise_id])
        return [value for (value,) in cursor.fetchall()]


def call_count(franchise: Franchise, filters: CallFilters, *, cap: int) -> int:
    """How many calls match `filters`, counting no further than `cap` + 1 (the list says "more than")."""
    return calls_for(franchise, filters).order_by()[: cap + 1].count()


def call_list_rows(franchise: Franchise, filters: CallFilters) -> QuerySet[Call]:
    """The staff call list: `calls_for` with each row's location and whether it has audio, in one
    query, without the long text columns the list never shows."""
    return (
        calls_for(franchise, filters)
        .select_related("location")
        .annotate(has_audio=Exists(Recording.objects.filter(call=OuterRef("pk"))))
        .defer("transcript", "transcript_turns", "notes")
    )
