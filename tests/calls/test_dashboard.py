"""The dashboard: a period of whole days in the franchise's zone beside the period before, and every
figure a link to exactly the calls it counts."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from calls.models import Call, Recording

CHICAGO = ZoneInfo("America/Chicago")
WEEK = "/?start=2026-06-08&end=2026-06-14"  # Monday to Sunday


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


@pytest.fixture
def week(franchise_a, franchise_b, location_a, location_a2, make_call):
    """Six calls in the week of June 8, 2026 (four after hours), one the week before, one just after,
    one of another franchise."""
    S = Call.State

    def call(day: int, hour: int, minute: int, state: str, category: str = "", location=None) -> Call:
        when = local(2026, 6, day, hour, minute)
        return make_call(franchise_a, timestamp=when, state=state, call_category=category, location=location)

    made = [
        call(8, 7, 59, S.NEEDS_CALLBACK, "billing", location_a),
        call(8, 8, 0, S.NEEDS_CALLBACK, "billing", location_a),
        call(9, 17, 59, S.BOOKED, "estimate", location_a2),
        call(9, 18, 0, S.NEW, "estimate"),
        call(13, 12, 0, S.NEEDS_CALLBACK, "billing", location_a),
        call(14, 23, 30, S.REVIEWED),
    ]
    make_call(franchise_a, timestamp=local(2026, 6, 3, 10, 0), state=S.NEEDS_CALLBACK)  # the week before
    make_call(franchise_a, timestamp=local(2026, 6, 15, 0, 30), state=S.NEEDS_CALLBACK)  # the Monday after
    make_call(franchise_b, timestamp=local(2026, 6, 10, 12, 0), state=S.NEEDS_CALLBACK)
    Recording.objects.create(call=made[0], file="x.mp3", size=1)
    return made


def text_of(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(a|span|p)>', page, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def figure_links(page: str) -> list[tuple[str, int]]:
    """Each (call-list URL, how many calls the dashboard says it holds): cards, triage counts, the
    per-day and per-hour tables, the category and location bars."""
    found = [
        (url, int(n))
        for url, n in re.findall(r'<a class="kpi[^"]*" href="([^"]+)"[^>]*><span class="kpi__value"[^>]*>(\d+)<', page)
        if "after_hours" not in url and "has_recording" not in url
    ]
    found += re.findall(r'<a href="([^"]+)">(\d+)<span class="visually-hidden"> call', page)
    found += re.findall(r'<a href="([^"]+)">[^<]*<span class="visually-hidden">: (\d+) call', page)
    return [(html.unescape(url), int(n)) for url, n in found]


def rows(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return re.findall(r'data-testid="call-row" data-conversation-id="([^"]+)"', response.content.decode())


def test_a_custom_period_beside_the_one_before(alice, week, signed_in):
    page = signed_in(alice).get(WEEK).content.decode()
    assert "Jun 8, 2026 – Jun 14, 2026 (America/Chicago)" in text_of(page, "period")
    assert text_of(page, "kpi-total") == "6"
    assert text_of(page, "kpi-after-hours") == "67%"  # 7:59 and 18:00 on weekdays, the weekend's two
    assert text_of(page, "kpi-recordings") == "17%"
    changes = re.findall(r'data-testid="change">([^<]+)<', page)
    assert changes[:2] == ["up 500% from 1", "up 67 points from 0%"]
    counts = dict(
        re.findall(r'data-testid="state-(\w+)"[^>]*><span class="kpi__value" data-testid="state-count">(\d+)<', page)
    )
    assert counts == {
        "needs_callback": "3",
        "booked": "1",
        "new": "1",
        "reviewed": "1",
        "called_back": "0",
        "not_needed": "0",
    }
    assert "Waiting for a call-back" in page and "up 200% from 1" in page
    assert len(re.findall(r'<rect class="chart__bar"', page)) == 7 + 24 + 3 + 3  # days, hours, categories, locations
    assert 'style="' not in page  # the CSP forbids inline styles


def test_every_figure_opens_exactly_the_calls_it_counts(alice, week, signed_in):
    client = signed_in(alice)
    links = figure_links(client.get(WEEK).content.decode())
    # the total, 6 states, 4 busy days, 6 busy hours, 2 categories, 2 locations (not "Uncategorised" or
    # "No location": no filter says "none")
    assert len(links) == 1 + 6 + 4 + 6 + 2 + 2
    for url, n in links:
        assert url.startswith("/calls/?start=2026-06-") and len(rows(client, url)) == n, url


def test_waiting_for_a_call_back_opens_those_calls(alice, week, signed_in):
    client = signed_in(alice)
    page = client.get(WEEK).content.decode()
    url = html.unescape(re.search(r'href="([^"]+)" data-testid="state-needs_callback"', page).group(1))
    wanted = {c.conversation_id for c in week if c.state == Call.State.NEEDS_CALLBACK}
    assert set(rows(client, url)) == wanted and len(wanted) == 3


def test_after_hours_is_weekday_evenings_nights_and_weekends_in_the_franchises_zone(alice, week, signed_in):
    client = signed_in(alice)
    page = client.get(WEEK).content.decode()
    url = html.unescape(re.search(r'href="([^"]+)" data-testid="kpi-after-hours-link"', page).group(1))
    assert set(rows(client, url)) == {
        week[0].conversation_id,
        week[3].conversation_id,
        week[4].conversation_id,
        week[5].conversation_id,
    }
    business = set(rows(client, url.replace("after_hours=yes", "after_hours=no")))
    assert business == {week[1].conversation_id, week[2].conversation_id}


def test_presets_end_today_in_the_franchises_zone(alice, franchise_a, make_call, signed_in):
    now = timezone.now()
    make_call(franchise_a, timestamp=now - timedelta(minutes=5))
    make_call(franchise_a, timestamp=now - timedelta(days=20))
    make_call(franchise_a, timestamp=now - timedelta(days=60))
    make_call(franchise_a, timestamp=now - timedelta(days=100))
    client = signed_in(alice)
    for days, total in [("7", "1"), ("30", "2"), ("90", "3")]:
        page = client.get(f"/?days={days}").content.decode()
        assert text_of(page, "kpi-total") == total
        assert f'href="?days={days}" aria-current="page"' in page
        assert len(re.findall(r'<tr><th scope="row">', page)) == int(days) + 24
    assert text_of(client.get("/").content.decode(), "kpi-total") == "2"  # 30 days unless told


@pytest.mark.parametrize(
    "query, reason",
    [
        ("start=2026-06-14&end=2026-06-08", "From must be on or before To."),
        ("start=2026-06-14", "Pick both From and To"),
        ("start=2025-01-01&end=2026-06-08", "A period is 366 days at most."),
        ("start=2026-13-01&end=2026-06-08", "Enter a valid date."),
        ("days=12", "Select a valid choice."),
        ("start=9999-12-30&end=9999-12-31", "Pick a date in the years 1900–2200."),  # were 500s
        ("start=0001-01-01&end=0001-01-02", "Pick a date in the years 1900–2200."),
    ],
)
def test_a_period_that_cannot_be_is_a_400_with_the_reason(alice, query, reason, signed_in):
    response = signed_in(alice).get(f"/?{query}")
    assert response.status_code == 400
    assert reason in text_of(response.content.decode(), "period-error")


def test_another_franchises_calls_never_count(carol, week, signed_in):
    page = signed_in(carol).get(WEEK).content.decode()
    assert text_of(page, "kpi-total") == "1"


def test_the_dashboard_with_no_calls(alice, signed_in):
    page = signed_in(alice).get("/").content.decode()
    assert text_of(page, "kpi-total") == "0" and "No calls in this period." in page


@pytest.mark.parametrize("query", ["hour=24", "hour=x", "after_hours=maybe", "state=lost"])
def test_the_call_lists_drill_down_filters_refuse_nonsense(alice, query, signed_in):
    assert signed_in(alice).get(f"/calls/?{query}").status_code == 400


def test_the_call_list_shows_the_drill_down_it_was_opened_with(alice, week, signed_in):
    page = signed_in(alice).get("/calls/?after_hours=yes&hour=18").content.decode()
    assert re.search(r'<option value="yes" selected>After hours</option>', page)
    assert re.search(r'<option value="18" selected>6 PM–7 PM</option>', page)
    assert len(re.findall('data-testid="call-row"', page)) == 1
