"""Staff call pages: the list (filters, search, keyset paging, HTMX rows), one call, its audio."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Recording
from contacts.services import contact_upsert
from tests.conftest import PASSWORD

AUDIO = Path(__file__).resolve().parents[2] / "demo" / "audio" / "burst_pipe.mp3"


def add_recording(call) -> Recording:
    with AUDIO.open("rb") as fh:
        recording = Recording(call=call, size=AUDIO.stat().st_size)
        recording.file.save("audio.mp3", File(fh), save=False)
    recording.save()
    return recording


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="call-row" data-conversation-id="([^"]+)"', response.content.decode())


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/calls/", "/calls/CA1/", "/calls/CA1/recording"])
def test_anonymous_visitors_are_sent_to_sign_in(db, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_owner_and_agent_both_see_their_franchise_calls(alice, bob, franchise_a, make_call, signed_in):
    call = make_call(franchise_a, customer_name="Dana Flood")
    for user in (alice, bob):
        response = signed_in(user).get("/calls/")
        assert response.status_code == 200
        assert row_ids(response) == [call.conversation_id]
        assert signed_in(user).get(f"/calls/{call.conversation_id}/").status_code == 200


def test_carol_gets_404_for_franchise_a_call_and_its_audio(carol, franchise_a, franchise_b, make_call, signed_in):
    call = make_call(franchise_a)
    add_recording(call)
    client = signed_in(carol)
    assert client.get(f"/calls/{call.conversation_id}/").status_code == 404
    assert client.get(f"/calls/{call.conversation_id}/recording").status_code == 404
    assert row_ids(client.get("/calls/")) == []


def test_a_user_without_any_franchise_is_told_so(db, django_user_model, client):
    django_user_model.objects.create_user("drifter", password=PASSWORD)
    client.login(username="drifter", password=PASSWORD)
    response = client.get("/calls/")
    assert response.status_code == 403
    assert b"No franchise yet" in response.content


# --- list: filters, search, paging, fragment ----------------------------------------------------


def test_filters_narrow_the_list_and_stay_in_the_form(
    alice, franchise_a, location_a, location_a2, make_call, signed_in
):
    north = make_call(franchise_a, location=location_a, call_category="billing", agent_type="daytime")
    south = make_call(franchise_a, location=location_a2, call_category="billing", agent_type="afterhours")
    add_recording(south)
    client = signed_in(alice)

    assert row_ids(client.get("/calls/", {"location": str(location_a.pk)})) == [north.conversation_id]
    assert row_ids(client.get("/calls/", {"agent_type": "afterhours"})) == [south.conversation_id]
    assert row_ids(client.get("/calls/", {"has_recording": "yes"})) == [south.conversation_id]
    assert row_ids(client.get("/calls/", {"has_recording": "no"})) == [north.conversation_id]
    assert set(row_ids(client.get("/calls/", {"category": "billing"}))) == {
        north.conversation_id,
        south.conversation_id,
    }
    assert row_ids(client.get("/calls/", {"category": "other"})) == []
    page = client.get("/calls/", {"location": str(location_a2.pk)}).content.decode()
    assert f'<option value="{location_a2.pk}" selected>' in page


def test_each_category_and_agent_type_is_offered_once(alice, franchise_a, make_call, signed_in):
    for category in ["billing", "billing", "estimate", "billing"]:
        make_call(franchise_a, call_category=category, agent_type="daytime")
    page = signed_in(alice).get("/calls/").content.decode()
    assert re.findall(r'<option value="(billing|estimate|daytime)"', page) == ["billing", "estimate", "daytime"]


def test_date_range_is_whole_days_in_the_franchise_zone(alice, franchise_a, make_call, signed_in):
    # 03:00 UTC on June 23 is still June 22 in Chicago.
    late = make_call(franchise_a, timestamp=datetime(2026, 6, 23, 3, 0, tzinfo=UTC))
    make_call(franchise_a, timestamp=datetime(2026, 6, 24, 15, 0, tzinfo=UTC))
    response = signed_in(alice).get("/calls/", {"start": "2026-06-22", "end": "2026-06-22"})
    assert row_ids(response) == [late.conversation_id]


def test_search_finds_a_word_said_in_the_call(alice, franchise_a, make_call, signed_in):
    wanted = make_call(franchise_a, transcript="Agent: Hello. Caller: The dishwasher leaked everywhere.")
    make_call(franchise_a, transcript="Agent: Hello. Caller: I need a quote for mold.")
    response = signed_in(alice).get("/calls/", {"q": "dishwasher"})
    assert row_ids(response) == [wanted.conversation_id]
    # The link carries the search on, so the call page can point at the turn that matched.
    assert f"/calls/{wanted.conversation_id}/?q=dishwasher" in response.content.decode()


def test_search_finds_a_caller_by_phone_in_any_format(alice, franchise_a, make_call, signed_in):
    wanted = make_call(franchise_a, caller_id="+13125550188")
    make_call(franchise_a, caller_id="+13125550199")
    assert row_ids(signed_in(alice).get("/calls/", {"q": "(312) 555-0188"})) == [wanted.conversation_id]


@pytest.mark.parametrize(
    "params",
    [{"start": "2026-13-01"}, {"location": "not-a-uuid"}, {"has_recording": "maybe"}, {"after": "tampered"}],
)
def test_bad_filters_are_a_clear_400_not_a_500(alice, params, signed_in):
    response = signed_in(alice).get("/calls/", params)
    assert response.status_code == 400
    assert b'data-testid="filter-error"' in response.content


def test_keyset_paging_goes_older_and_back_newer_without_repeats(alice, franchise_a, make_call, signed_in):
    base = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    # Thirty calls, several sharing one second so the (timestamp, id) tie-break matters.
    calls = [make_call(franchise_a, timestamp=base - timedelta(seconds=i // 3)) for i in range(30)]
    newest_first = [c.conversation_id for c in sorted(calls, key=lambda c: (c.timestamp, c.id), reverse=True)]
    client = signed_in(alice)

    first = client.get("/calls/")
    assert row_ids(first) == newest_first[:25]
    assert 'data-testid="page-newer"' not in first.content.decode()
    older_url = re.search(r'href="(\?after=[^"]+)" hx-get', first.content.decode()).group(1)

    second = client.get("/calls/" + older_url.replace("&amp;", "&"))
    assert row_ids(second) == newest_first[25:]
    assert 'data-testid="page-older"' not in second.content.decode()
    newer_url = re.search(r'href="(\?before=[^"]+)" hx-get', second.content.decode()).group(1)

    back = client.get("/calls/" + newer_url.replace("&amp;", "&"))
    assert row_ids(back) == newest_first[:25]
    assert 'data-testid="page-newer"' not in back.content.decode()


def test_paging_links_keep_the_filters(alice, franchise_a, make_call, signed_in):
    for _ in range(26):
        make_call(franchise_a, agent_type="daytime")
    page = signed_in(alice).get("/calls/", {"agent_type": "daytime", "location": ""}).content.decode()
    link = re.search(r'data-testid="page-older"', page) and re.search(r'href="(\?[^"]*after=[^"]+)"', page).group(1)
    assert "agent_type=daytime" in link
    assert "location=" not in link


def test_htmx_gets_only_the_rows_and_a_normal_request_the_whole_page(alice, franchise_a, make_call, signed_in):
    make_call(franchise_a)
    client = signed_in(alice)
    full = client.get("/calls/")
    fragment = client.get("/calls/", headers={"HX-Request": "true"})
    assert b"<html" in full.content and b'data-testid="call-filters"' in full.content
    assert b"<html" not in fragment.content and b'data-testid="call-filters"' not in fragment.content
    assert b'data-testid="call-row"' in fragment.content
    assert "HX-Request" in fragment["Vary"]
    # The back button after htmx's history cache is gone asks for the page again: it needs all of it.
    restore = client.get("/calls/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content


def test_the_rows_take_the_same_queries_for_3_or_30_calls(alice, franchise_a, location_a, make_call, signed_in):
    client = signed_in(alice)
    client.get("/calls/")  # the first request stores the current franchise in the session

    def run() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/calls/", headers={"HX-Request": "true"}).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    for _ in range(3):
        make_call(franchise_a, location=location_a)
    few = run()
    for _ in range(27):
        make_call(franchise_a, location=location_a)
    many = run()
    assert len(many) == len(few)
    # Rows, location names and "has a recording" come in one query, the result count (capped) in
    # another; the rest is session and membership.
    assert len([sql for sql in many if "calls_call" in sql]) == 2
    assert len(many) <= 5


# --- detail ------------------------------------------------------------------------------------


def test_call_page_shows_the_call_in_the_franchise_zone(alice, franchise_a, location_a, make_call, signed_in):
    call = make_call(
        franchise_a,
        location=location_a,
        customer_name="Dana Flood",
        timestamp=datetime(2026, 6, 22, 18, 4, 11, tzinfo=UTC),
        duration=182,
        call_summary="Basement flooded after a storm.",
        real_estate_year_built="1962",
    )
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/").content.decode()
    assert "Dana Flood" in page
    assert "1:04 PM CDT" in page  # 18:04 UTC in America/Chicago
    assert "3:02" in page and "North Branch" in page and "New urgent service request" in page
    assert "Basement flooded after a storm." in page
    assert "1962" in page


def test_transcript_turns_come_from_stored_start_times(alice, franchise_a, make_call, signed_in):
    call = make_call(
        franchise_a,
        transcript_turns=[
            {"speaker": "agent", "text": "Thanks for calling.", "start": 0},
            {"speaker": "caller", "text": "My pipe burst.", "start": 6.36},
        ],
    )
    add_recording(call)
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/").content.decode()
    assert re.findall(r'data-testid="transcript-turn" data-start="([\d.]+)"', page) == ["0.00", "6.36"]
    assert 'data-testid="call-audio"' in page and f"/calls/{call.conversation_id}/recording" in page
    assert "≈" not in page


def test_transcript_text_is_split_into_turns_with_estimated_times(alice, franchise_a, make_call, signed_in):
    call = make_call(franchise_a, duration=100, transcript="Agent: Thanks for calling. Caller: My basement is flooded.")
    add_recording(call)
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/").content.decode()
    starts = [float(s) for s in re.findall(r'data-testid="transcript-turn" data-start="([\d.]+)"', page)]
    assert len(starts) == 2 and starts[0] == 0 and 30 < starts[1] < 60
    assert "My basement is flooded." in page
    assert 'data-testid="approximate-note"' in page


def test_search_words_mark_the_matching_turn(alice, franchise_a, make_call, signed_in):
    call = make_call(franchise_a, transcript="Agent: Hello there. Caller: The dishwasher leaked.")
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/", {"q": "dishwasher"}).content.decode()
    assert page.count("is-match") == 1
    assert re.search(r'is-match"[^>]*>.*?The <mark>dishwasher</mark> leaked', page, re.S)


def test_call_page_links_the_contact_with_the_callers_phone(alice, franchise_a, make_call, signed_in):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550100", first_name="Dana")
    call = make_call(franchise_a, caller_id="(312) 555-0100")
    client = signed_in(alice)
    panel_url = f"/contacts/for-call/{call.conversation_id}/"
    assert f'hx-get="{panel_url}" hx-trigger="load"' in client.get(f"/calls/{call.conversation_id}/").content.decode()
    page = client.get(panel_url, headers={"HX-Request": "true"}).content.decode()
    assert f'href="/contacts/{contact.pk}/" data-testid="linked-contact"' in page


def test_call_without_recording_says_so(alice, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    client = signed_in(alice)
    assert b'data-testid="no-recording"' in client.get(f"/calls/{call.conversation_id}/").content
    assert client.get(f"/calls/{call.conversation_id}/recording").status_code == 404


# --- recording -----------------------------------------------------------------------------------


def test_recording_streams_with_range_for_seeking(bob, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    add_recording(call)
    size = AUDIO.stat().st_size
    client = signed_in(bob)

    whole = client.get(f"/calls/{call.conversation_id}/recording")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == AUDIO.read_bytes()

    part = client.get(f"/calls/{call.conversation_id}/recording", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{size}"
    assert b"".join(part.streaming_content) == AUDIO.read_bytes()[100:200]

    assert client.head(f"/calls/{call.conversation_id}/recording").status_code == 200
    download = client.get(f"/calls/{call.conversation_id}/recording", {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_expired_session_sends_htmx_to_sign_in_for_the_whole_page(db, client):
    response = client.get(
        "/calls/?q=flood", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/calls/?q=flood"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/calls/%3Fq%3Dflood"


def test_the_dropdowns_offer_only_this_franchise_values_in_order(alice, franchise_a, franchise_b, make_call, signed_in):
    make_call(franchise_a, call_category="water_damage", agent_type="overflow")
    make_call(franchise_a, call_category="", agent_type="")
    make_call(franchise_a, call_category="billing", agent_type="daytime")
    make_call(franchise_b, call_category="carol_only_category", agent_type="carol_only_agent")
    page = signed_in(alice).get("/calls/").content.decode()
    category = page.split('name="category"')[1].split("</select>")[0]
    agent = page.split('name="agent_type"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', category) == ["", "billing", "water_damage"]
    assert re.findall(r'<option value="([^"]*)"', agent) == ["", "daytime", "overflow"]
    assert "carol_only" not in page


@pytest.mark.postgres_only
def test_the_dropdowns_walk_an_index_instead_of_reading_every_call(franchise_a):
    from calls.models import Call
    from calls.queries import _CHOICES_SQL

    base = datetime(2026, 1, 1, tzinfo=UTC)
    Call.objects.bulk_create(
        Call(
            franchise=franchise_a,
            conversation_id=f"CA-bulk-{n}",
            timestamp=base + timedelta(minutes=n),
            call_category=["billing", "estimate_request", "spam"][n % 3],
            agent_type=["daytime", "overflow"][n % 2],
        )
        for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call")
        for column, index in [
            ("call_category", "call_franchise_category"),
            ("agent_type", "call_franchise_agent_type"),
        ]:
            cursor.execute("EXPLAIN " + _CHOICES_SQL.format(table="calls_call", column=column), [franchise_a.pk] * 2)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"using {index}" in plan, plan
            assert "Seq Scan" not in plan, plan
