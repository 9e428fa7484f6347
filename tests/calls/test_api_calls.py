"""GET /data/calls: filters, paging, shapes, bad input and the query budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Call

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [call["conversation_id"] for call in response.json()["calls"]]


def test_it_lists_calls_newest_first_with_recording_links(api_a, franchise_a, make_call):
    old = make_call(franchise_a, timestamp=datetime(2026, 6, 1, tzinfo=UTC))
    new = make_call(franchise_a, timestamp=datetime(2026, 6, 2, tzinfo=UTC))

    body = api_a.get("/data/calls").json()

    assert [c["conversation_id"] for c in body["calls"]] == [new.conversation_id, old.conversation_id]
    call = body["calls"][0]
    assert call["recording_url"] == f"http://testserver/data/recordings/{new.conversation_id}"
    assert call["recording_breesy_url"] == f"http://testserver/insights?tab=calldata&callId=conv_{new.conversation_id}"
    assert call["timestamp"] == "2026-06-02T00:00:00+00:00"
    assert body["pagination"] == {"page_size": 100, "has_more": False, "next_cursor": None}


def test_responses_are_never_stored_by_shared_caches(api_a):
    assert api_a.get("/data/calls")["Cache-Control"] == "private, no-store"


def test_include_recording_url_false_omits_both_links(api_a, franchise_a, make_call):
    make_call(franchise_a)

    call = api_a.get("/data/calls?include_recording_url=false").json()["calls"][0]

    assert "recording_url" not in call and "recording_breesy_url" not in call


def test_it_filters_by_location_and_reports_it_in_scope(api_a, franchise_a, location_a, location_a2, make_call):
    here = make_call(franchise_a, location=location_a)
    make_call(franchise_a, location=location_a2)

    response = api_a.get(f"/data/calls?location_id={location_a.id}")

    assert ids(response) == [here.conversation_id]
    assert response.json()["scope"]["location_id"] == str(location_a.id)
    assert response.json()["calls"][0]["location"] == "North Branch"


def test_dates_are_whole_days_in_the_franchise_time_zone(api_a, franchise_a, make_call):
    # Franchise A is in America/Chicago (UTC-5 in June): June 10 runs 05:00Z June 10 → 05:00Z June 11.
    before = make_call(franchise_a, timestamp=datetime(2026, 6, 10, 4, 59, 59, tzinfo=UTC))
    first = make_call(franchise_a, timestamp=datetime(2026, 6, 10, 5, 0, 0, tzinfo=UTC))
    last = make_call(franchise_a, timestamp=datetime(2026, 6, 11, 4, 59, 59, tzinfo=UTC))
    after = make_call(franchise_a, timestamp=datetime(2026, 6, 11, 5, 0, 0, tzinfo=UTC))

    got = ids(api_a.get("/data/calls?start_date=2026-06-10&end_date=2026-06-10"))

    assert got == [last.conversation_id, first.conversation_id]
    assert before.conversation_id not in got and after.conversation_id not in got


def test_iso_datetimes_are_exact_bounds(api_a, franchise_a, make_call):
    t = datetime(2026, 6, 10, 12, 0, 0, tzinfo=UTC)
    make_call(franchise_a, timestamp=t - timedelta(seconds=1))
    at = make_call(franchise_a, timestamp=t)
    make_call(franchise_a, timestamp=t + timedelta(seconds=1))

    got = ids(api_a.get("/data/calls", {"start_date": t.isoformat(), "end_date": t.isoformat()}))

    assert got == [at.conversation_id]


def test_call_id_is_an_exact_match(api_a, franchise_a, make_call):
    wanted = make_call(franchise_a)
    make_call(franchise_a)

    assert ids(api_a.get(f"/data/calls?call_id={wanted.conversation_id}")) == [wanted.conversation_id]
    assert ids(api_a.get(f"/data/calls?call_id={wanted.conversation_id[:-1]}")) == []


@pytest.mark.parametrize("written", ["(555) 123-4567", "+1 555 123 4567", "5551234567", "555.123.4567"])
def test_phone_matches_caller_callback_and_customer_phone_in_any_format(api_a, franchise_a, make_call, written):
    by_caller = make_call(franchise_a, caller_id="+15551234567")
    by_callback = make_call(franchise_a, caller_id="+15550000000", callback_number="555-123-4567")
    by_customer = make_call(franchise_a, caller_id="+15550000000", customer_phone="1 (555) 123 4567")
    make_call(franchise_a, caller_id="+15559999999")

    got = ids(api_a.get("/data/calls", {"phone": written}))

    assert sorted(got) == sorted([by_caller.conversation_id, by_callback.conversation_id, by_customer.conversation_id])


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=", "page_size"),
        ("cursor=garbage", "cursor"),
        ("location_id=not-a-uuid", "location_id"),
        ("start_date=2026-02-30", "start_date"),
        ("end_date=yesterday", "end_date"),
        ("start_date=2026-06-10&end_date=2026-06-01", "start_date"),
        ("phone=12", "phone"),
        ("phone=call-me", "phone"),
        ("include_recording_url=maybe", "include_recording_url"),
        ("call_id=a%00b", "call_id"),
        ("locaton_id=5", "locaton_id"),
        ("page_size=5&page_size=6", "page_size"),
    ],
)
def test_bad_input_is_a_400_that_says_what_is_wrong(api_a, query, says):
    response = api_a.get(f"/data/calls?{query}")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert says in body["detail"].lower()


def test_it_rejects_a_tampered_cursor(api_a, franchise_a, make_call):
    for _ in range(3):
        make_call(franchise_a)
    cursor = api_a.get("/data/calls?page_size=1").json()["pagination"]["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")

    response = api_a.get("/data/calls", {"cursor": tampered})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_a_contacts_cursor_is_not_a_calls_cursor(api_a, franchise_a):
    from contacts.queries import next_cursor

    assert api_a.get("/data/calls", {"cursor": next_cursor(5)}).status_code == 400


def walk(api, query: str = "") -> list[str]:
    seen, cursor = [], None
    while True:
        params = {"page_size": 3} | ({"cursor": cursor} if cursor else {})
        body = api.get(f"/data/calls?{query}", params).json()
        seen += [c["conversation_id"] for c in body["calls"]]
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            return seen


def test_walking_all_pages_returns_every_call_once_even_with_equal_timestamps(api_a, franchise_a, make_call):
    same = datetime(2026, 6, 1, 12, tzinfo=UTC)
    calls = [make_call(franchise_a, timestamp=same) for _ in range(7)]
    calls += [make_call(franchise_a) for _ in range(5)]

    seen = walk(api_a)

    assert sorted(seen) == sorted(c.conversation_id for c in calls)
    assert len(seen) == len(set(seen))


def test_calls_arriving_between_pages_neither_repeat_nor_skip_older_calls(api_a, franchise_a, make_call):
    base = datetime(2026, 6, 1, tzinfo=UTC)
    old = [make_call(franchise_a, timestamp=base - timedelta(minutes=n)) for n in range(8)]
    seen, cursor, arrivals = [], None, []
    while True:
        body = api_a.get("/data/calls", {"page_size": 3} | ({"cursor": cursor} if cursor else {})).json()
        seen += [c["conversation_id"] for c in body["calls"]]
        # New calls land while the client pages: newer ones and one at the very timestamp of the page's end.
        arrivals.append(make_call(franchise_a, timestamp=base + timedelta(hours=len(arrivals) + 1)))
        if body["calls"]:
            last_ts = datetime.fromisoformat(body["calls"][-1]["timestamp"])
            arrivals.append(make_call(franchise_a, timestamp=last_ts))
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)), "no call twice"
    assert {c.conversation_id for c in old} <= set(seen), "no older call skipped"


def test_page_size_limits_the_page(api_a, franchise_a, make_call):
    for _ in range(5):
        make_call(franchise_a)

    body = api_a.get("/data/calls?page_size=2").json()

    assert len(body["calls"]) == 2
    assert body["pagination"]["page_size"] == 2 and body["pagination"]["has_more"] is True


def test_another_franchises_calls_are_never_listed(api_a, franchise_a, franchise_b, make_call):
    mine = make_call(franchise_a)
    theirs = make_call(franchise_b)

    got = ids(api_a.get("/data/calls"))

    assert got == [mine.conversation_id]
    assert ids(api_a.get(f"/data/calls?call_id={theirs.conversation_id}")) == []


@pytest.mark.parametrize("page_size", [1, 200])
def test_a_page_costs_two_queries_whatever_its_size(api_a, franchise_a, location_a, make_call, page_size):
    Call.objects.bulk_create(
        Call(
            franchise=franchise_a,
            location=location_a,
            conversation_id=f"bulk-{n}",
            timestamp=datetime(2026, 6, 1, tzinfo=UTC) - timedelta(minutes=n),
        )
        for n in range(250)
    )
    api_a.get("/data/calls?page_size=1")  # first use stamps last_used_at (at most once a minute)

    with CaptureQueriesContext(connection) as queries:
        response = api_a.get(f"/data/calls?page_size={page_size}")

    assert response.status_code == 200 and len(response.json()["calls"]) == page_size
    sql = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # PostgreSQL: the token (with its franchise) and its rate limit in one statement, then the page
    # (location name joined in). SQLite has no INSERT inside WITH: the token, then the rate limit in
    # three statements of one transaction, then the page.
    assert len(sql) == (2 if connection.vendor == "postgresql" else 5), sql


SHAPES = [
    "",
    "?location_id={loc}",
    "?start_date=2026-06-02",
    "?end_date=2026-06-03",
    "?start_date=2026-06-01T12:00:00Z&end_date=2026-06-03T12:00:00Z",
    "?call_id=CA-7",
    "?phone=(555) 010-0003",
    "?location_id={loc}&start_date=2026-06-01&end_date=2026-06-04&phone=+15550100003&page_size=2",
]


@pytest.mark.parametrize("query", SHAPES)
def test_every_filter_and_cursor_gives_what_the_orm_gives(franchise_a, location_a, location_a2, make_call, query):
    from calls import queries
    from calls.api import COLUMNS
    from config import compiled

    for n in range(12):
        make_call(
            franchise_a,
            conversation_id=f"CA-{n}",
            location=location_a if n % 2 else location_a2,
            timestamp=datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=7 * n),
            caller_id=f"+1555010000{n % 4}",
        )
    query = query.format(loc=location_a.id)
    params = dict(part.split("=", 1) for part in query.lstrip("?").split("&") if part)
    size = int(params.pop("page_size", 3))
    filters = queries.CallFilters.parse(franchise_a, **params)
    orm = queries.calls_for(franchise_a, filters)
    compiled._SQL.clear()
    walked, cursor, pages = [], None, 0
    while True:
        page = queries.calls_page(franchise_a, filters, cursor, columns=COLUMNS, size=size + 1)
        assert page == list(queries.keyset_after(orm, cursor).values_list(*COLUMNS)[: size + 1])
        walked += [row[1] for row in page[:size]]
        pages += 1
        if len(page) <= size:
            break
        cursor = queries.next_cursor(page[size - 1][3], page[size - 1][0])

    assert walked == list(orm.values_list("conversation_id", flat=True))
    assert walked, "every shape here matches some calls"
    if connection.vendor == "postgresql":  # compiled once per shape: the first page, then every later one
        assert len([shape for shape, sql in compiled._SQL.items() if sql and shape[0] == "calls_page"]) == min(pages, 2)
    else:  # SQLite's timestamps need converting: the ORM runs every page, judged so once per shape
        assert list(compiled._SQL.values()) == [None] * min(pages, 2)
