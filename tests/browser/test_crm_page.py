"""An owner connects the franchise's CRM in Chromium and watches a sync's progress live (HTMX polling)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from contacts.crm.fake import FakeCrm, FakeCrmServer
from contacts.crm.sync import crm_sync
from contacts.models import Contact, CrmConnection
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sync_in_thread(**kwargs) -> None:
    """crm_sync on a thread of its own, closing that thread's database connection after (a test
    database with a connection left open cannot be dropped)."""
    try:
        crm_sync(**kwargs)
    finally:
        connections.close_all()


@pytest.fixture
def server(settings):
    """A fake CRM on 127.0.0.1 (`server.crm` is its state)."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with FakeCrmServer(FakeCrm.create(contacts=250, seed=21)) as running:
        yield running


def test_an_owner_connects_the_crm_and_watches_a_sync_to_its_end_without_reloading(
    page: Page, live_server, alice, franchise_a, server, csp_violations
):
    fake = server.crm
    sign_in(page, live_server.url, "alice")
    page.get_by_role("link", name="CRM sync").click()
    page.get_by_label("Base URL").fill(server.base_url)
    page.get_by_label("Business id").fill(fake.business_id)
    page.get_by_label("API key").fill(fake.api_key)
    page.get_by_test_id("crm-connect-save").click()
    expect(page.get_by_test_id("crm-connected")).to_be_visible()
    expect(page.get_by_test_id("crm-connection")).to_contain_text(fake.api_key[-4:])

    # A sync (as the schedule starts it) reads page 1, then waits on page 2 until released.
    fake.stall(2)
    connection = CrmConnection.objects.get(franchise=franchise_a)
    sync = threading.Thread(target=sync_in_thread, kwargs={"connection": connection, "trigger": "schedule"})
    sync.start()
    try:
        assert fake.stalled.wait(20)
        page.reload()
        run = page.get_by_test_id("crm-run")
        expect(run).to_have_attribute("data-status", "running")
        expect(page.get_by_test_id("crm-run-progress")).to_have_attribute("value", "40")
        expect(run).to_contain_text("100 of 250 contacts (40%)")
        page.evaluate("window.notReloaded = true")
        fake.release.set()
        expect(run).to_have_attribute("data-status", "finished", timeout=20_000)
    finally:
        fake.release.set()
        sync.join(30)
    created = Contact.objects.filter(franchise=franchise_a).count()
    expect(page.get_by_test_id("crm-run-counts")).to_contain_text(f"Created {created}, updated 0, unchanged 0")
    assert page.evaluate("window.notReloaded === true")  # HTMX swapped the panel in place
    assert csp_violations == []


def test_a_refused_key_shows_why_and_saves_nothing(page: Page, live_server, alice, server):
    fake = server.crm
    sign_in(page, live_server.url, "alice")
    page.goto(live_server.url + "/settings/crm/")
    page.get_by_label("Base URL").fill(server.base_url)
    page.get_by_label("Business id").fill(fake.business_id)
    page.get_by_label("API key").fill("sk-ak-not-the-key")
    page.get_by_test_id("crm-connect-save").click()
    expect(page.get_by_test_id("crm-connect-error")).to_contain_text("the CRM refused the key")
    assert not CrmConnection.objects.exists()
