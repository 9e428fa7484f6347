"""The admin as people read it: times in the franchise's zone with its name, stored slugs and states
in words (columns and filters), and "View on site" opening the staff page in the object's franchise."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from calls.models import Call
from contacts.services import contact_upsert
from dialer.models import DialerSettings
from franchises.models import ApiToken
from franchises.roles import staff_groups_sync
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)


@pytest.fixture
def alice_admin(client, alice):
    staff_groups_sync(alice)
    client.force_login(alice)
    return client


@pytest.fixture
def root(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.login(username="root", password=PASSWORD)
    return client


@pytest.fixture
def calls(franchise_a, franchise_b, make_call):
    return (
        make_call(
            franchise_a, timestamp=MOMENT, call_category="new_urgent_service_request", state=Call.State.NEEDS_CALLBACK
        ),
        make_call(franchise_b, timestamp=MOMENT, call_category="job_update"),
    )


def test_each_rows_time_is_in_its_franchises_zone_with_its_name(root, calls):
    page = root.get(reverse("admin:calls_call_changelist")).content.decode()
    assert "Jan 5, 2026, 9:30 AM CST (America/Chicago)" in page
    assert "Jan 5, 2026, 7:30 AM PST (America/Los_Angeles)" in page


def test_a_staff_users_date_drill_down_is_in_their_franchises_zone(alice_admin, franchise_a, make_call):
    evening = make_call(franchise_a, timestamp=datetime(2026, 1, 6, 3, 0, tzinfo=UTC))  # Jan 5, 9 PM in Chicago
    url = reverse("admin:calls_call_changelist")
    page = alice_admin.get(url, {"timestamp__year": 2026, "timestamp__month": 1, "timestamp__day": 5}).content.decode()
    assert evening.conversation_id in page and "Jan 5, 2026, 9:00 PM CST (America/Chicago)" in page


def test_slugs_and_states_read_as_words_in_columns_and_filters(alice_admin, calls):
    page = alice_admin.get(reverse("admin:calls_call_changelist")).content.decode()
    filters = page[page.index('id="changelist-filter"') :]
    assert re.search(r'href="\?call_category=new_urgent_service_request"[^>]*>New urgent service request<', filters)
    assert re.search(r'href="\?state__exact=needs_callback"[^>]*>Needs call-back<', filters)
    assert re.search(r'href="\?recording__isempty=0"[^>]*>With a recording<', filters)
    assert "job_update" not in filters and "Job update" not in filters  # franchise B's value
    start = page.index('id="result_list"')
    rows = page[start : page.index("</table>", start)]
    assert "New urgent service request" in rows and "Needs call-back" in rows and "new_urgent_" not in rows


def test_a_change_form_shows_and_reads_times_in_the_franchises_zone(alice_admin, franchise_a):
    token, _ = ApiToken.issue(franchise=franchise_a, label="BI")
    url = reverse("admin:franchises_apitoken_change", args=[token.pk])
    page = alice_admin.get(url).content.decode()
    assert "times in America/Chicago" in page
    response = alice_admin.post(url, {"label": "BI", "expires_at_0": "2027-01-05", "expires_at_1": "09:30:00"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.expires_at == datetime(2027, 1, 5, 15, 30, tzinfo=UTC)  # 9:30 in Chicago
    page = alice_admin.get(url).content.decode()
    assert 'value="09:30:00"' in page


def view_on_site(client, admin_url: str) -> str:
    page = client.get(admin_url).content.decode()
    link = re.search(r'<a href="([^"]+)" class="viewsitelink">', page)
    assert link, "no View on site link"
    return html.unescape(link.group(1))


def test_view_on_site_opens_the_calls_and_the_contacts_staff_page(alice_admin, calls, franchise_a):
    call = calls[0]
    url = view_on_site(alice_admin, reverse("admin:calls_call_change", args=[call.pk]))
    response = alice_admin.get(url)
    assert response.status_code == 302 and response["Location"] == f"/calls/{call.conversation_id}/"
    assert alice_admin.get(response["Location"]).status_code == 200

    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550100", first_name="Dana")
    url = view_on_site(alice_admin, reverse("admin:contacts_contact_change", args=[contact.pk]))
    response = alice_admin.get(url)
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert alice_admin.get(response["Location"]).status_code == 200


def test_view_on_site_switches_a_superuser_to_the_objects_franchise(root, calls):
    call_b = calls[1]
    root.get("/")  # working in franchise A, the first by name
    url = view_on_site(root, reverse("admin:calls_call_change", args=[call_b.pk]))
    assert root.get(root.get(url)["Location"]).status_code == 200


def test_opening_another_franchise_or_another_site_goes_nowhere(alice, calls, franchise_b, signed_in):
    client = signed_in(alice)
    assert client.get(f"/franchise/{franchise_b.pk}/open?next=/calls/").status_code == 404
    franchise_a = alice.memberships.get().franchise_id
    for target in ("https://evil.example/", "//evil.example/", "calls/"):
        response = client.get(f"/franchise/{franchise_a}/open", {"next": target})
        assert response["Location"] == "/"


def test_the_dialers_call_back_categories_read_as_words(alice_admin, franchise_a):
    DialerSettings.objects.create(franchise=franchise_a, callback_categories=["new_urgent_service_request"])
    page = alice_admin.get(reverse("admin:dialer_dialersettings_changelist")).content.decode()
    assert "New urgent service request" in page and "new_urgent_service_request" not in page
