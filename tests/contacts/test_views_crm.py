"""The owners' CRM sync page (/settings/crm/): connect, sync now, live progress; owners only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from contacts.crm.sync import crm_sync
from contacts.models import Contact, CrmConnection, CrmSyncRun
from tests.conftest import PASSWORD


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form(crm, server, **overrides) -> dict:
    return {"base_url": server.base_url, "business_id": crm.business_id, "api_key": crm.api_key, **overrides}


def test_only_owners_see_the_crm_page(alice, bob, crm_connection):
    assert signed_in(alice).get("/settings/crm/").status_code == 200
    assert signed_in(bob).get("/settings/crm/").status_code == 403
    assert signed_in(bob).post("/settings/crm/sync").status_code == 403
    assert not CrmSyncRun.objects.exists()


def test_an_owner_connects_and_the_details_are_tested_with_the_crm(alice, franchise_a, crm_server, fake_crm):
    client = signed_in(alice)
    response = client.post("/settings/crm/connect", form(fake_crm, crm_server))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="crm-connected"' in page
    assert fake_crm.api_key not in page  # the key is never shown again
    assert fake_crm.api_key[-4:] in page
    assert CrmConnection.objects.get(franchise=franchise_a).base_url == crm_server.base_url


def test_a_refused_key_is_a_400_with_the_reason_and_saves_nothing(alice, crm_server, fake_crm):
    response = signed_in(alice).post("/settings/crm/connect", form(fake_crm, crm_server, api_key="sk-ak-nope"))
    assert response.status_code == 400
    assert "the CRM refused the key" in response.content.decode()
    assert not CrmConnection.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("base_url", "https://crm.example.com/v1/", "base URL is the scheme and host only"),
        ("business_id", "not-a-uuid", "is not a UUID"),
        ("api_key", "", "Enter the CRM&#x27;s API key."),
    ],
)
def test_bad_details_are_field_errors_before_any_request(alice, crm_server, fake_crm, field, value, reason):
    response = signed_in(alice).post("/settings/crm/connect", form(fake_crm, crm_server, **{field: value}))
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert fake_crm.requests == []


def test_changing_the_connection_may_keep_the_current_key(alice, crm_connection, crm_server, fake_crm):
    response = signed_in(alice).post("/settings/crm/connect", form(fake_crm, crm_server, api_key=""))
    assert response.status_code == 302
    crm_connection.refresh_from_db()
    assert crm_connection.api_key == fake_crm.api_key


def test_sync_now_runs_a_sync_and_the_page_shows_its_counts(alice, franchise_a, crm_connection, fake_crm):
    client = signed_in(alice)
    assert client.post("/settings/crm/sync").status_code == 302  # the test cluster runs the task inline
    page = client.get("/settings/crm/").content.decode()
    run = CrmSyncRun.objects.get()
    assert run.trigger == "page"
    assert f"Created {run.created}, updated 0, unchanged 0, skipped {run.skipped}" in page
    assert 'data-status="finished"' in page
    assert 'hx-trigger="every 2s"' not in page  # nothing left to poll for
    assert Contact.objects.filter(franchise=franchise_a).count() == run.created


def test_the_progress_panel_polls_while_a_sync_runs_and_shows_how_far_it_got(alice, crm_connection, fake_crm):
    crm_sync(connection=crm_connection, deadline=0)  # stops after its first page, as if still going
    CrmSyncRun.objects.update(status=CrmSyncRun.Status.RUNNING)
    response = signed_in(alice).get("/settings/crm/progress", headers={"HX-Request": "true"})
    panel = response.content.decode()
    assert panel.lstrip().startswith('<section class="card" id="crm-progress"')
    assert 'hx-trigger="every 2s"' in panel
    assert re.search(r'<progress max="100" value="40"', panel)  # 100 of 250 contacts
    assert "100 of 250 contacts (40%)" in panel


def test_an_owner_of_another_franchise_sees_none_of_it(carol, crm_connection, fake_crm):
    crm_sync(connection=crm_connection)
    page = signed_in(carol).get("/settings/crm/").content.decode()
    assert crm_connection.base_url not in page
    assert 'data-testid="crm-not-connected"' in page
    assert signed_in(carol).post("/settings/crm/sync").status_code == 404


def test_a_do_not_call_contact_shows_the_flag_on_its_page(alice, crm_connection, fake_crm):
    crm_sync(connection=crm_connection)
    flagged = Contact.objects.filter(do_not_call=True).first()
    callable_ = Contact.objects.filter(do_not_call=False).first()
    client = signed_in(alice)
    assert 'data-testid="dnc-flag"' in client.get(f"/contacts/{flagged.pk}/").content.decode()
    assert 'data-testid="dnc-flag"' not in client.get(f"/contacts/{callable_.pk}/").content.decode()
