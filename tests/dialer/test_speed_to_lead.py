"""Speed-to-lead on known data: the median time from a call-back call to its caller's first dial,
and the shares dialled within an hour and a day, for the franchise and per location."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dialer.models import DialCall, DialSession
from dialer.queries import speed_to_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(franchise_a, location_a, location_a2, make_call, make_contact):
    """Four call-back calls in 30 days (North: dialled after 30 min and 3 h; South: after 2 days,
    and never), plus a spam call and an old call that do not count."""
    now = timezone.now()
    session = DialSession.objects.create(franchise=franchise_a, status=DialSession.Status.FINISHED)

    def call(phone, *, hours_ago, location, dial_after=None, **fields):
        made = make_call(
            franchise_a, caller_id=phone, timestamp=now - timedelta(hours=hours_ago), location=location, **fields
        )
        if dial_after is not None:
            DialCall.objects.create(
                session=session,
                franchise=franchise_a,
                phoneburner_call_id=str(made.pk),
                phone=phone,
                started_at=made.timestamp + dial_after,
                disposition="No Answer",
                family="no_answer",
            )
        return made

    call("+15556660001", hours_ago=10, location=location_a, dial_after=timedelta(minutes=30))
    call("+15556660002", hours_ago=120, location=location_a, dial_after=timedelta(hours=3))
    call("+15556660003", hours_ago=72, location=location_a2, dial_after=timedelta(days=2))
    call("+15556660004", hours_ago=24, location=location_a2)
    call("+15556660005", hours_ago=5, location=location_a, call_category="spam")
    call("+15556660006", hours_ago=24 * 40, location=location_a, dial_after=timedelta(minutes=1))
    # A dial to another caller never counts for this one.
    DialCall.objects.create(
        session=session,
        franchise=franchise_a,
        phoneburner_call_id="x",
        phone="+15559999999",
        started_at=now,
        family="other",
    )
    return now


def test_speed_to_lead_figures_on_known_data(franchise_a, known):
    overall, north, south = speed_to_lead(franchise_a, now=known)
    assert (overall.name, overall.calls, overall.dialled) == ("All locations", 4, 3)
    assert overall.median_minutes == pytest.approx(180)
    assert (overall.share_within_hour, overall.share_within_day) == (0.25, 0.5)
    assert (north.name, north.calls, north.dialled, north.median_minutes) == ("North Branch", 2, 2, pytest.approx(105))
    assert (north.share_within_hour, north.share_within_day) == (0.5, 1.0)
    assert (south.name, south.calls, south.dialled, south.median_minutes) == ("South Branch", 2, 1, pytest.approx(2880))
    assert (south.share_within_hour, south.share_within_day) == (0.0, 0.0)


def test_a_dial_to_the_callers_contact_on_another_phone_counts(franchise_a, location_a, make_call, make_contact):
    now = timezone.now()
    ann = make_contact(franchise_a, "Ann Lee", phone="+15556660001", alternate_phones=["+15556660009"])
    call = make_call(franchise_a, caller_id="+15556660001", timestamp=now - timedelta(hours=2), location=location_a)
    session = DialSession.objects.create(franchise=franchise_a, status=DialSession.Status.FINISHED)
    DialCall.objects.create(
        session=session, franchise=franchise_a, contact=ann, phoneburner_call_id="1", phone="+15556660009",
        started_at=call.timestamp + timedelta(minutes=10), family="voicemail",
    )  # fmt: skip
    overall = speed_to_lead(franchise_a, now=now)[0]
    assert (overall.dialled, overall.median_minutes) == (1, pytest.approx(10))


def test_no_calls_means_no_figures_not_an_error(franchise_a):
    (overall,) = speed_to_lead(franchise_a)
    assert (overall.calls, overall.median_minutes, overall.share_within_hour) == (0, None, None)


def test_the_dashboard_shows_speed_to_lead(franchise_a, known, alice, signed_in):
    html = signed_in(alice).get("/").content.decode()
    panel = html[html.index('data-testid="speed-to-lead"') :]
    assert 'data-testid="speed-median">3 h<' in panel
    assert 'data-testid="speed-hour">25%<' in panel
    assert 'data-testid="speed-day">50%<' in panel
    assert "North Branch" in panel and "1 h 45 min" in panel and "2 d" in panel


def test_another_franchises_dials_never_count(franchise_b, known, carol, signed_in):
    html = signed_in(carol).get("/").content.decode()
    assert 'data-testid="speed-median">—<' in html
