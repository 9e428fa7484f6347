"""The CRM connection and sync runs in the admin: owners see their own, the key stays hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.crm.sync import crm_sync
from contacts.models import CrmConnection, CrmSyncRun
from franchises.roles import staff_groups_sync


@pytest.fixture
def alice_admin(client, alice):
    staff_groups_sync(alice)
    client.force_login(alice)
    return client


@pytest.fixture
def carol_admin(client, carol):
    staff_groups_sync(carol)
    client.force_login(carol)
    return client


def test_an_owner_sees_the_runs_of_her_connection_with_their_progress(alice_admin, crm_connection):
    run = crm_sync(connection=crm_connection)
    listing = alice_admin.get(reverse("admin:contacts_crmsyncrun_changelist")).content.decode()
    detail = alice_admin.get(reverse("admin:contacts_crmsyncrun_change", args=[run.pk])).content.decode()
    assert run.counts_line in listing
    assert "100% (250 of 250), page 3" in listing
    assert 'http-equiv="refresh"' not in detail  # finished: nothing to watch
    CrmSyncRun.objects.filter(pk=run.pk).update(status=CrmSyncRun.Status.RUNNING)
    running = alice_admin.get(reverse("admin:contacts_crmsyncrun_change", args=[run.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in running


def test_another_franchises_owner_sees_neither_the_connection_nor_its_runs(carol_admin, crm_connection):
    run = crm_sync(connection=crm_connection)
    assert run.counts_line not in carol_admin.get(reverse("admin:contacts_crmsyncrun_changelist")).content.decode()
    assert carol_admin.get(reverse("admin:contacts_crmsyncrun_change", args=[run.pk])).status_code == 302
    assert (
        crm_connection.base_url
        not in carol_admin.get(reverse("admin:contacts_crmconnection_changelist")).content.decode()
    )


def test_the_admin_never_shows_the_key_and_tests_a_new_one_before_saving(alice_admin, crm_connection, fake_crm):
    url = reverse("admin:contacts_crmconnection_change", args=[crm_connection.pk])
    page = alice_admin.get(url).content.decode()
    assert fake_crm.api_key not in page
    assert f"sk-ak-…{fake_crm.api_key[-4:]}" in page
    form = {"base_url": crm_connection.base_url, "business_id": fake_crm.business_id, "api_key": "sk-ak-wrong"}
    refused = alice_admin.post(url, form)
    assert refused.status_code == 200
    assert "the CRM refused the key" in refused.content.decode()
    assert CrmConnection.objects.get().api_key == fake_crm.api_key
    assert alice_admin.post(url, {**form, "api_key": ""}).status_code == 302  # blank keeps the key
    assert CrmConnection.objects.get().api_key == fake_crm.api_key


def test_a_connection_made_in_the_admin_is_tested_and_scheduled(alice_admin, franchise_a, crm_server, fake_crm):
    form = {
        "franchise": franchise_a.pk,
        "base_url": crm_server.base_url,
        "business_id": fake_crm.business_id,
        "api_key": fake_crm.api_key,
    }
    assert alice_admin.post(reverse("admin:contacts_crmconnection_add"), form).status_code == 302
    connection = CrmConnection.objects.get(franchise=franchise_a)
    assert connection.api_key == fake_crm.api_key
    assert connection.next_sync_at > connection.connected_at
