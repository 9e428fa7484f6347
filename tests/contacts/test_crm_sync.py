"""The CRM contact sync (contacts/crm/sync.py) against the fake CRM over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connections

from contacts.crm.connections import crm_connection_save
from contacts.crm.fake import FakeCrm, FakeCrmServer
from contacts.crm.sync import SyncBusy, crm_sync
from contacts.models import Contact, ContactChange, ContactPhone, CrmConnection, CrmSyncRun
from tests.live_gunicorn import ROOT, database_url

UNREADABLE = (None, "last tuesday", "2023-13-45T99:00:00Z")


def kept(crm: FakeCrm) -> list[dict]:
    """The records a sync must land: with an id and a readable updatedAt, not test contacts."""
    return [r for r in crm.records() if r.get("id") and r["updatedAt"] not in UNREADABLE and not r["isTestContact"]]


def not_kept(crm: FakeCrm) -> int:
    return len(crm.records()) - len(kept(crm))


def requests_since(crm: FakeCrm, mark: int) -> list[dict]:
    return [r for r in crm.requests[mark:] if r["params"].get("limit") == "100"]


def sync_in_thread(**kwargs) -> None:
    """crm_sync on a thread of its own, closing that thread's database connection after (a test
    database with a connection left open cannot be dropped)."""
    try:
        crm_sync(**kwargs)
    finally:
        connections.close_all()


def test_a_first_sync_is_full_and_lands_every_crm_contact_exactly_once(crm_connection, fake_crm, franchise_a):
    run = crm_sync(connection=crm_connection)
    expected = kept(fake_crm)
    assert (run.status, run.mode) == ("finished", "full")
    assert (run.created, run.updated, run.unchanged, run.skipped) == (len(expected), 0, 0, not_kept(fake_crm))
    assert run.pages == 3 and run.page_reached == 3
    assert run.total == 250
    stored = list(Contact.objects.filter(franchise=franchise_a).values_list("crm_id", flat=True))
    assert sorted(stored) == sorted(r["id"] for r in expected)
    pages = [r for r in fake_crm.requests if r["params"].get("limit") == "100"]
    assert [r["params"]["sort"] for r in pages] == ["createdAt"] * 3
    assert all(r["params"]["include"] == "tags" for r in pages)


def test_a_second_full_sync_changes_nothing_and_creates_no_duplicate(crm_connection, fake_crm, franchise_a):
    crm_sync(connection=crm_connection)
    again = crm_sync(connection=crm_connection, full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(kept(fake_crm)))
    assert Contact.objects.filter(franchise=franchise_a).count() == len(kept(fake_crm))


def test_call_dnd_contacts_are_marked_do_not_call_and_the_other_flags_are_kept(crm_connection, fake_crm):
    crm_sync(connection=crm_connection)
    records = kept(fake_crm)
    for flag, column in (("callDND", "do_not_call"), ("smsDND", "do_not_text"), ("emailDND", "do_not_email")):
        marked = set(Contact.objects.filter(**{column: True}).values_list("crm_id", flat=True))
        assert marked == {r["id"] for r in records if r[flag]}, flag
    assert any(r["callDND"] for r in records)


def test_fields_phones_and_tags_arrive_mapped(crm_connection, fake_crm):
    record = fake_crm.add_contacts(
        phone="(512) 555-0142", secondaryPhones=["512.555.0143"], tags=["VIP", "Mold"], company="Acme Inc"
    )[0]
    crm_sync(connection=crm_connection)
    contact = Contact.objects.get(crm_id=record["id"])
    assert contact.primary_phone == "+15125550142"
    assert contact.alternate_phones == ["+15125550143"]
    assert set(ContactPhone.objects.filter(contact=contact).values_list("number", flat=True)) == set(contact.phones)
    assert sorted(t.name for t in contact.tags.all()) == sorted(t["name"] for t in record["tags"])
    assert (contact.first_name, contact.last_name) == (record["firstName"], record["lastName"])
    assert contact.primary_email == record["email"]
    assert (contact.addr_line1, contact.addr_city, contact.addr_state, contact.addr_postal) == (
        record["address"],
        record["city"],
        record["state"],
        record["zipCode"],
    )
    assert contact.addr_country == "US"
    assert contact.timezone == record["ianaTimezone"]
    assert contact.organization_name == record["company"]
    assert contact.referred_by == record["source"]


def test_malformed_records_and_test_contacts_are_skipped_and_reported(crm_connection, fake_crm):
    run = crm_sync(connection=crm_connection)
    records = fake_crm.records()
    reasons = [s["reason"] for s in run.skips]
    assert sum("has no id" in r for r in reasons) == sum(1 for r in records if not r.get("id"))
    assert sum("updatedAt" in r and "cannot be read" in r for r in reasons) == sum(
        1 for r in records if r.get("id") and r["updatedAt"] in UNREADABLE
    )
    assert sum(r == "test contact (isTestContact)" for r in reasons) == sum(
        1 for r in records if r.get("id") and r["updatedAt"] not in UNREADABLE and r["isTestContact"]
    )
    assert not Contact.objects.filter(crm_id__in=[r["id"] for r in records if r.get("isTestContact")]).exists()
    assert run.status == "finished"


def test_an_incremental_sync_reads_only_what_changed_since_the_last(crm_connection, fake_crm):
    crm_sync(connection=crm_connection)
    first, second = kept(fake_crm)[:2]
    fake_crm.edit_contact(first["id"], firstName="Edited", callDND=True)
    fake_crm.edit_contact(second["id"], tags=["VIP", "Brand new tag"])
    added = fake_crm.add_contacts(1)[0]
    mark = len(fake_crm.requests)
    run = crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))
    assert run.mode == "incremental"
    assert (run.created, run.updated) == (1, 2)
    assert run.unchanged <= 2  # the records at the last high-water mark, read again by the overlap
    pages = requests_since(fake_crm, mark)
    assert [(r["page"], r["params"]["sort"]) for r in pages] == [("1", "-updatedAt")]
    edited = Contact.objects.get(crm_id=first["id"])
    assert edited.first_name == "Edited"
    assert edited.do_not_call
    change = ContactChange.objects.filter(contact=edited).first()  # newest first
    assert (change.source, change.reason) == ("crm", f"CRM sync #{run.pk}")
    assert change.changes["first_name"] == [first["firstName"], "Edited"]
    assert change.changes["do_not_call"] == [first["callDND"], True]
    assert sorted(t.name for t in Contact.objects.get(crm_id=second["id"]).tags.all()) == ["Brand new tag", "VIP"]
    assert Contact.objects.filter(crm_id=added["id"]).exists()


def test_a_field_edited_here_since_the_last_sync_wins_over_the_crm(crm_connection, fake_crm):
    crm_sync(connection=crm_connection)
    record = kept(fake_crm)[5]
    contact = Contact.objects.get(crm_id=record["id"])
    contact.first_name = "Fixed here"
    contact.save()
    fake_crm.edit_contact(record["id"], firstName="Changed there", city="Springfield")
    run = crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))
    contact.refresh_from_db()
    assert run.updated == 1
    assert contact.first_name == "Fixed here"
    assert contact.addr_city == "Springfield"
    # Next time the CRM changes the name, nobody having edited it here since: the CRM's value is taken.
    fake_crm.edit_contact(record["id"], firstName="Changed again")
    crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))
    contact.refresh_from_db()
    assert contact.first_name == "Changed again"


def test_a_contact_already_here_is_matched_by_phone_or_email_not_duplicated(crm_connection, fake_crm, franchise_a):
    by_phone, by_email = fake_crm.add_contacts(2)
    fake_crm.edit_contact(by_phone["id"], phone="+15125550177", secondaryPhones=["+15125550178"])
    fake_crm.edit_contact(by_email["id"], email="Known.Person@Example.com", phone=None, secondaryPhones=[])
    here_phone = Contact.objects.create(franchise=franchise_a, first_name="Local", primary_phone="+15125550178")
    ContactPhone.objects.create(franchise=franchise_a, contact=here_phone, number="+15125550178", is_primary=True)
    here_email = Contact.objects.create(
        franchise=franchise_a, first_name="Mail", primary_email="known.person@example.com"
    )
    run = crm_sync(connection=crm_connection)
    here_phone.refresh_from_db()
    here_email.refresh_from_db()
    assert here_phone.crm_id == by_phone["id"]
    assert here_email.crm_id == by_email["id"]
    assert here_phone.first_name == "Local"  # first link: what is here stays, the CRM fills the gaps
    assert here_phone.last_name == by_phone["lastName"]
    assert here_phone.phones == ["+15125550178", "+15125550177"]
    assert Contact.objects.filter(franchise=franchise_a).count() == len(kept(fake_crm))
    assert run.created == len(kept(fake_crm)) - 2


def test_a_phone_of_another_contact_stays_with_it_and_is_reported(crm_connection, fake_crm):
    owner, other = fake_crm.add_contacts(2)
    fake_crm.edit_contact(owner["id"], phone="+15125550190", secondaryPhones=[])
    fake_crm.edit_contact(other["id"], phone="+15125550191", secondaryPhones=["+15125550190"])
    run = crm_sync(connection=crm_connection)
    assert Contact.objects.get(crm_id=owner["id"]).phones == ["+15125550190"]
    assert Contact.objects.get(crm_id=other["id"]).phones == ["+15125550191"]
    owner_pk = Contact.objects.get(crm_id=owner["id"]).pk
    reason = f"phone +15125550190 belongs to contact #{owner_pk}; left there"
    assert {"crm_id": other["id"], "reason": reason} in run.warnings


def test_a_429_is_waited_out_as_retry_after_asks_and_the_sync_finishes(crm_connection, fake_crm):
    fake_crm.fail(429, times=1, retry_after=1, page=2)
    run = crm_sync(connection=crm_connection)
    page_two = [r for r in fake_crm.requests if r["page"] == "2"]
    assert [r["status"] for r in page_two] == [429, 200]
    assert page_two[1]["at"] - page_two[0]["at"] >= 1.0
    assert run.status == "finished"
    assert run.created == len(kept(fake_crm))


def test_5xx_is_retried_and_the_sync_finishes(crm_connection, fake_crm):
    fake_crm.fail(503, times=2, page=2)
    run = crm_sync(connection=crm_connection)
    assert [r["status"] for r in fake_crm.requests if r["page"] == "2"] == [
        503,
        503,
        200,
    ]
    assert run.created == len(kept(fake_crm))


def test_a_401_stops_the_run_with_the_crm_refused_the_key_and_the_next_run_continues_it(crm_connection, fake_crm):
    fake_crm.fail(401, page=2)
    stopped = crm_sync(connection=crm_connection)
    assert (stopped.status, stopped.error, stopped.page_reached) == ("failed", "the CRM refused the key", 1)
    assert [r["status"] for r in fake_crm.requests if r["page"] == "2"] == [401]  # not retried
    mark = len(fake_crm.requests)
    resumed = crm_sync(connection=crm_connection)
    assert resumed.pk == stopped.pk
    assert requests_since(fake_crm, mark)[0]["page"] == "2"
    assert (resumed.status, resumed.created, resumed.resumes) == ("finished", len(kept(fake_crm)), 1)


def test_a_run_paused_at_its_deadline_is_continued_by_the_next_attempt(crm_connection, fake_crm):
    paused = crm_sync(connection=crm_connection, deadline=time.monotonic())
    assert (paused.status, paused.page_reached) == ("interrupted", 1)
    mark = len(fake_crm.requests)
    done = crm_sync(connection=crm_connection)
    assert done.pk == paused.pk
    assert requests_since(fake_crm, mark)[0]["page"] == "2"
    assert (done.status, done.created, done.skipped) == ("finished", len(kept(fake_crm)), not_kept(fake_crm))


def test_pointing_the_connection_at_another_business_starts_a_fresh_full_sync(
    crm_connection, fake_crm, franchise_a, crm_allowed
):
    crm_sync(connection=crm_connection)
    other = FakeCrm.create(contacts=30, seed=99)
    with FakeCrmServer(other) as server:
        moved = crm_connection_save(
            franchise=franchise_a, base_url=server.base_url, business_id=other.business_id, api_key=other.api_key
        )
        run = crm_sync(connection=moved)
    assert run.mode == "full"
    assert run.created == len(kept(other))


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_of_one_connection_is_refused_while_the_first_runs(crm_connection, fake_crm):
    fake_crm.stall(2)
    first = threading.Thread(target=sync_in_thread, kwargs={"connection": crm_connection})
    first.start()
    try:
        assert fake_crm.stalled.wait(10)
        with pytest.raises(SyncBusy, match="a sync of this CRM connection is already running"):
            crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))
    finally:
        fake_crm.release.set()
        first.join(20)
    assert CrmSyncRun.objects.get().status == "finished"


@pytest.mark.django_db(transaction=True)
def test_a_killed_sync_is_taken_over_at_once_and_ends_with_the_counts_of_an_uninterrupted_one(
    crm_connection, fake_crm, franchise_a, franchise_b, crm_allowed
):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
    }
    fake_crm.stall(3)
    command = [sys.executable, "manage.py", "crm_sync", "--franchise", str(franchise_a.pk), "--full"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert fake_crm.stalled.wait(30), "the sync never reached page 3"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
    killed = CrmSyncRun.objects.get()
    assert (killed.status, killed.page_reached) == ("running", 2)  # what a dead process leaves
    fake_crm.stall_page = None
    fake_crm.release.set()
    mark = len(fake_crm.requests)
    started = time.monotonic()

    resumed = crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))

    assert time.monotonic() - started < 10  # no lease to wait out
    assert resumed.pk == killed.pk
    assert requests_since(fake_crm, mark)[0]["page"] == "3"
    # The same CRM, synced without interruption into franchise B, gives the same counts.
    twin = FakeCrm.create(contacts=250, seed=21)
    with FakeCrmServer(twin) as server:
        connection_b = crm_connection_save(
            franchise=franchise_b, base_url=server.base_url, business_id=twin.business_id, api_key=twin.api_key
        )
        uninterrupted = crm_sync(connection=connection_b)
    assert resumed.counts_line == uninterrupted.counts_line
    assert (resumed.status, resumed.resumes) == ("finished", 1)
    assert Contact.objects.filter(franchise=franchise_a).count() == uninterrupted.created
    assert Contact.objects.filter(franchise=franchise_a).values("crm_id").distinct().count() == uninterrupted.created


def test_new_contacts_are_created_with_their_history(crm_connection, fake_crm):
    run = crm_sync(connection=crm_connection)
    created = ContactChange.objects.filter(source="crm", reason=f"CRM sync #{run.pk}")
    assert created.count() == run.created
    record = kept(fake_crm)[0]
    change = created.get(contact__crm_id=record["id"])
    assert change.changes["first_name"] == [None, record["firstName"]]


def test_a_phone_taken_by_another_writer_mid_page_stays_with_it_and_the_rest_of_the_page_lands(
    crm_connection, fake_crm, franchise_a, monkeypatch
):
    from contacts.crm import sync

    record = kept(fake_crm)[3]
    load = sync._Page.load

    def load_then_race(*args, **kwargs):
        page = load(*args, **kwargs)
        # Another writer (the API, say) gives the record's phone to a contact of its own right after
        # the page was read: the bulk insert meets the unique constraint.
        if any(r.id == record["id"] for r, _, _ in page.items):
            phone = next(values for r, values, _ in page.items if r.id == record["id"])["phones"][0]
            racer = Contact.objects.create(franchise=franchise_a, first_name="Racer", primary_phone=phone)
            ContactPhone.objects.create(franchise=franchise_a, contact=racer, number=phone, is_primary=True)
        return page

    monkeypatch.setattr(sync._Page, "load", classmethod(lambda cls, *a, **k: load_then_race(*a, **k)))
    run = crm_sync(connection=crm_connection)
    racer = Contact.objects.get(first_name="Racer")
    landed = Contact.objects.get(crm_id=record["id"])
    assert racer.phones and racer.phones[0] not in landed.phones
    assert run.created == len(kept(fake_crm))
    assert Contact.objects.filter(franchise=franchise_a).count() == len(kept(fake_crm)) + 1


def test_a_phone_taken_by_another_writer_during_an_update_stays_with_it_and_the_other_changes_land(
    crm_connection, fake_crm, franchise_a, monkeypatch
):
    from contacts.crm import sync

    crm_sync(connection=crm_connection)
    record = kept(fake_crm)[7]
    fake_crm.edit_contact(record["id"], city="Springfield", secondaryPhones=["+15125550199"])
    load = sync._Page.load

    def load_then_race(*args, **kwargs):
        page = load(*args, **kwargs)
        # Right after the page was read, another writer gives the phone the record adds to a contact
        # of its own: the update meets the unique constraint and is tried again without that phone.
        racer = Contact.objects.create(franchise=franchise_a, first_name="Racer", primary_phone="+15125550199")
        ContactPhone.objects.create(franchise=franchise_a, contact=racer, number="+15125550199", is_primary=True)
        return page

    monkeypatch.setattr(sync._Page, "load", classmethod(lambda cls, *a, **k: load_then_race(*a, **k)))
    run = crm_sync(connection=CrmConnection.objects.get(pk=crm_connection.pk))
    contact = Contact.objects.get(crm_id=record["id"])
    racer = Contact.objects.get(first_name="Racer")
    assert run.updated == 1 and record["id"] not in [skip["crm_id"] for skip in run.skips]
    assert contact.addr_city == "Springfield"
    assert "+15125550199" not in contact.phones and racer.phones == ["+15125550199"]
    reason = f"phone +15125550199 belongs to contact #{racer.pk}; left there"
    assert {"crm_id": record["id"], "reason": reason} in run.warnings
