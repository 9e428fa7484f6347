"""The call page as a reviewer uses it: comments at moments of the recording, a corrected
category, the neighbouring calls of the list, `?t=`, and details that read well."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from calls.models import Call, CallComment
from tests.calls.test_views_calls import add_recording


@pytest.fixture
def call(franchise_a, make_call) -> Call:
    return make_call(franchise_a, duration=182, call_category="billing")


def test_a_comment_at_a_moment_links_there(bob, call, signed_in):
    client = signed_in(bob)
    url = f"/calls/{call.conversation_id}/"
    response = client.post(url + "comments?q=flood", {"text": "Caller gives the address here.", "at": "1:05"})
    assert response.status_code == 302 and response["Location"] == url + "?q=flood"
    comment = CallComment.objects.get()
    assert (comment.call, comment.author, comment.at) == (call, bob, 65)
    page = client.get(url).content.decode()
    assert re.search(r'data-testid="call-comment"', page)
    assert f'href="{url}?t=65" data-seek="65" data-testid="comment-moment">at 1:05<' in page
    assert "Caller gives the address here." in page


def test_htmx_gets_the_comments_back_or_the_reason_they_were_refused(bob, call, signed_in):
    client = signed_in(bob)
    url = f"/calls/{call.conversation_id}/comments"
    added = client.post(url, {"text": "Whole call note"}, headers={"HX-Request": "true"})
    assert added.status_code == 200 and "<html" not in added.content.decode()
    assert 'id="call-comments"' in added.content.decode() and "data-focus-after-swap" in added.content.decode()
    for data, reason in [
        ({"text": "  ", "at": ""}, "Write something"),
        ({"text": "x", "at": "soon"}, "m:ss"),
        ({"text": "x", "at": "9:00"}, "after the end"),
        ({"text": "x" * 2001}, "at most 2000"),
    ]:
        refused = client.post(url, data, headers={"HX-Request": "true"})
        assert refused.status_code == 400 and reason in refused.content.decode(), data
    assert CallComment.objects.count() == 1


def test_the_category_is_corrected_to_one_the_franchise_uses(alice, franchise_a, make_call, call, signed_in):
    make_call(franchise_a, call_category="water_damage")
    make_call(franchise_a, call_category="billing")
    client = signed_in(alice)
    url = f"/calls/{call.conversation_id}/category"
    assert client.post(url, {"category": "water_damage"}).status_code == 302
    call.refresh_from_db()
    assert call.call_category == "water_damage"
    back = client.post(url, {"category": "billing"}, headers={"HX-Request": "true"}).content.decode()
    assert "Category changed to Billing." in back
    assert (
        '<dd id="call-category" data-testid="call-category" hx-swap-oob="true">Billing</dd>' in back
    )  # the header too
    assert client.post(url, {"category": "made_up"}, headers={"HX-Request": "true"}).status_code == 400
    call.refresh_from_db()
    assert call.call_category == "billing"


@pytest.mark.parametrize("path", ["comments", "category"])
def test_carol_cannot_write_on_franchise_a_calls(carol, call, signed_in, path):
    response = signed_in(carol).post(f"/calls/{call.conversation_id}/{path}", {"text": "x", "category": "billing"})
    assert response.status_code == 404
    assert not CallComment.objects.exists()


def test_the_neighbouring_calls_follow_the_lists_filters(alice, franchise_a, make_call, signed_in):
    base = datetime(2026, 6, 1, 12, tzinfo=UTC)
    calls = [
        make_call(franchise_a, timestamp=base - timedelta(hours=i), agent_type="daytime" if i % 2 else "x")
        for i in range(5)
    ]
    middle = calls[3]  # daytime: calls 1 and 3 are daytime; 1 is newer, none older
    page = signed_in(alice).get(f"/calls/{middle.conversation_id}/", {"agent_type": "daytime"}).content.decode()
    assert f'href="/calls/{calls[1].conversation_id}/?agent_type=daytime" data-testid="call-newer"' in page
    assert 'data-testid="call-older"' not in page
    assert 'href="/calls/?agent_type=daytime" data-testid="back-to-calls"' in page


def test_t_starts_the_player_there(alice, call, signed_in):
    add_recording(call)
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/", {"t": "42"}).content.decode()
    assert f'src="/calls/{call.conversation_id}/recording#t=42"' in page
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/", {"t": "nonsense"}).content.decode()
    assert f'src="/calls/{call.conversation_id}/recording"' in page


def test_details_read_as_words_links_and_money(alice, franchise_a, make_call, signed_in):
    call = make_call(
        franchise_a,
        caller_id="+13125550123",
        callback_number="312.555.0188",
        customer_email="dana@example.com",
        request_type="INITIAL_SERVICE_REQUEST",
        real_estate_last_sale_value="350000",
        real_estate_square_footage="1850",
    )
    page = signed_in(alice).get(f"/calls/{call.conversation_id}/").content.decode()
    assert '<a href="tel:+13125550188">(312) 555-0188</a>' in page
    assert '<a href="mailto:dana@example.com" data-testid="customer-email">' in page
    assert "Initial service request" in page
    assert "$350,000 USD" in page and "1850 sq ft" in page
