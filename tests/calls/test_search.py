"""The call search forgives: words in any order, plurals and -ing forms, a typo, partial phones
written any way; it counts and marks what it found; SQLite and PostgreSQL answer alike."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from calls import queries, search
from calls.models import Call
from calls.search import highlight, highlighter, terms


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="call-row" data-conversation-id="([^"]+)"', response.content.decode())


@pytest.fixture
def burst(franchise_a, make_call) -> Call:
    return make_call(
        franchise_a,
        caller_id="(312) 555-1023",
        customer_name="Dana Flood",
        call_summary="Pipe burst in the basement; technician booked.",
        transcript="Agent: Thanks for calling. Caller: A pipe burst and the basement is flooding.",
    )


@pytest.fixture
def other(franchise_a, make_call) -> Call:
    return make_call(
        franchise_a,
        caller_id="+17735559999",
        call_summary="Roof leak after the storm.",
        transcript="Agent: Hello. Caller: Water is coming through the roof.",
    )


def found(franchise, q: str) -> list[str]:
    filters = queries.CallFilters(q=q)
    return [c.conversation_id for c in queries.calls_for(franchise, filters)]


@pytest.mark.parametrize(
    "q",
    [
        "pipe burst",
        "burst pipe",  # any order
        "BURST   Pipe",
        "pipes",  # a plural of what was said
        "bursts flooded",  # other forms of the words
        "basment",  # a letter left out
        "basemnet",  # two swapped
        "technican",
        "dana flood",
        "555-1023",  # partial phones, written any way
        "555 1023",
        "(312) 555",
        "5551023",
        "+1 312 555 1023",
        "pipe in the basement",  # short words beside longer ones are left out (they were a 500)
        "no basement",
        "dana flood dr",
    ],
)
def test_the_search_forgives(franchise_a, burst, other, q):
    assert found(franchise_a, q) == [burst.conversation_id]


@pytest.mark.parametrize("q", ["burst roof", "555-1024", "pipe burst storm", "basmnt"])
def test_every_word_must_match(franchise_a, burst, other, q):
    assert found(franchise_a, q) == []


@pytest.mark.parametrize("q", ["ab", "in", "a1"])
def test_a_query_of_short_words_is_looked_for_as_written(franchise_a, burst, other, q, alice, signed_in):
    expected = [c.conversation_id for c in (burst, other) if q in (c.transcript + c.call_summary).lower()]
    assert sorted(found(franchise_a, q)) == sorted(expected)
    assert signed_in(alice).get("/calls/", {"q": f"{q} {q}"}).status_code == 200


def test_another_franchises_calls_are_never_found(franchise_a, franchise_b, make_call, burst):
    make_call(franchise_b, caller_id="(312) 555-1023", transcript="A pipe burst.")
    assert found(franchise_a, "pipe burst 555-1023") == [burst.conversation_id]


def test_the_list_counts_and_marks_what_it_found(alice, franchise_a, burst, other, signed_in):
    response = signed_in(alice).get("/calls/", {"q": "burst pipes"})
    page = response.content.decode()
    assert row_ids(response) == [burst.conversation_id]
    assert re.search(r'data-testid="result-count">1 call matches<', page)
    assert "<mark>Pipe</mark> <mark>burst</mark> in the basement" in page


def test_the_call_page_marks_the_words_in_the_transcript(alice, franchise_a, burst, signed_in):
    page = signed_in(alice).get(f"/calls/{burst.conversation_id}/", {"q": "basment"}).content.decode()
    assert "the <mark>basement</mark> is flooding" in page
    assert page.count("is-match") == 1


def test_marks_escape_the_text_around_them():
    marked = highlight("<b>pipe</b> & (312) 555-1023", highlighter("pipe 5551023"))
    assert marked == "&lt;b&gt;<mark>pipe</mark>&lt;/b&gt; &amp; (312) <mark>555-1023</mark>"


def test_a_long_query_is_cut_to_a_few_terms():
    assert len(terms(" ".join(f"word{n}" for n in range(50)))) == 8


@pytest.mark.postgres_only
@pytest.mark.parametrize("q, index", [("basment pipe", "call_search_trgm"), ("555-1023", "call_phones_trgm")])
def test_trigram_indexes_answer_the_search(franchise_a, burst, q, index):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
        (indexdef,) = cursor.fetchone()
        cursor.execute("SET enable_seqscan = off")
        # The search alone (the franchise's own index would answer a table this small first).
        qs = search.matching(Call.objects.all(), q).values("id")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "gin_trgm_ops" in indexdef
    assert index in plan, plan


def test_a_count_past_the_cap_says_more_than(alice, franchise_a, make_call, signed_in, monkeypatch):
    from calls import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    for _ in range(3):
        make_call(franchise_a)
    page = signed_in(alice).get("/calls/").content.decode()
    assert re.search(r'data-testid="result-count">More than 2 calls match<', page)
