"""`calls_page` compiles its SQL once per shape (config.compiled): on PostgreSQL, every filter of
`CallFilters` must give the rows the ORM gives, through the compiled SQL, not beside it."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from calls import queries
from calls.api import COLUMNS
from calls.models import Recording
from config import compiled

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def calls(franchise_a, location_a, location_a2, make_call):
    made = []
    for n in range(12):
        call = make_call(
            franchise_a,
            conversation_id=f"CA-{n}",
            location=location_a if n % 2 else location_a2,
            timestamp=datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=7 * n),
            caller_id=f"+1555010000{n % 4}",
            call_category="billing" if n % 3 else "estimate",
            agent_type="daytime" if n % 4 else "afterhours",
            state="reviewed" if n % 3 == 1 else "new",
        )
        if n % 5 == 0:
            Recording.objects.create(call=call, file=f"r{n}.mp3", size=1)
        made.append(call)
    return made


def samples(location) -> dict[str, dict]:
    """For each field of CallFilters, filters that set it (with what it needs to mean something)."""
    return {
        "location_id": {"location_id": location.id},
        "start": {"start": datetime(2026, 6, 2, tzinfo=UTC)},
        "end": {"end": datetime(2026, 6, 3, 4, tzinfo=UTC)},
        "end_exclusive": {"end": datetime(2026, 6, 3, 4, tzinfo=UTC), "end_exclusive": True},
        "conversation_id": {"conversation_id": "CA-7"},
        "phone": {"phone": "+15550100003"},
        "call_category": {"call_category": "estimate"},
        "agent_type": {"agent_type": "afterhours"},
        "state": {"state": "reviewed"},
        "hour": {"hour": 2},  # 07:00 UTC is 2 AM in Chicago (CDT)
        "after_hours": {"after_hours": True},
        "has_recording": {"has_recording": False},
        "q": {"q": "basement"},
    }


# Search, and the hour in the franchise's zone: SQL that is not a plain filter, which the ORM runs.
ORM_ONLY = ("q", "hour", "after_hours")


def walk(franchise, filters, size=2) -> tuple[list[tuple], list[tuple]]:
    """Every page through calls_page, and the rows the ORM gives for the same pages."""
    fast, orm, cursor = [], [], None
    while True:
        page = queries.calls_page(franchise, filters, cursor, columns=COLUMNS, size=size + 1)
        fast += page[:size]
        orm += list(queries.keyset_after(queries.calls_for(franchise, filters), cursor).values_list(*COLUMNS))[:size]
        if len(page) <= size:
            return fast, orm
        cursor = queries.next_cursor(page[size - 1][3], page[size - 1][0])


@pytest.mark.parametrize("name", [f.name for f in fields(queries.CallFilters)])
def test_every_field_of_the_filters_gives_what_the_orm_gives(franchise_a, location_a, calls, name):
    wanted = samples(location_a)
    assert name in wanted, f"CallFilters.{name} is new: give it a sample value here"
    filters = queries.CallFilters(**wanted[name])
    compiled._SQL.clear()

    fast, orm = walk(franchise_a, filters)

    assert fast == orm and fast, name
    used = [sql for shape, sql in compiled._SQL.items() if shape[0] == "calls_page"]
    if name in ORM_ONLY:
        assert used == []
    else:  # a parameter missing from _bound_params would leave the shape to the ORM (None)
        assert used and all(used), name


def test_all_filters_at_once_and_each_shape_apart(franchise_a, location_a, calls):
    everything = {}
    for name, values in samples(location_a).items():
        if name not in ORM_ONLY:
            everything.update(values)
    everything.update(has_recording=None, call_category=None, agent_type=None, state=None)  # CA-7 stays
    compiled._SQL.clear()
    both = queries.CallFilters(**everything)
    fast, orm = walk(franchise_a, both, size=1)
    assert fast == orm and [row[1] for row in fast] == ["CA-7"]
    # A shape's SQL never serves another shape: with fewer fields set, more rows come back.
    fewer = replace(both, conversation_id=None, start=None, end=None, end_exclusive=False)
    fast, orm = walk(franchise_a, fewer, size=1)
    assert fast == orm and sorted(row[1] for row in fast) == ["CA-11", "CA-3", "CA-7"]
