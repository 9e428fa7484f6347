"""Merging duplicate contacts: per-field choice, everything of the duplicate moves over (phones,
emails, tags, calls, dial history), its page redirects, both histories say so; undo for a day."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.queries import calls_with_phones
from contacts.merges import MergeRefused, contact_merge_undo, contacts_merge
from contacts.models import Contact, ContactMerge
from contacts.services import contact_update, contact_upsert
from dialer.models import DialCall, DialSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(franchise_a, alice, make_call):
    """Dana (the survivor) and her duplicate "Dana Flood" with another phone, a call, dial history."""
    dana, _ = contact_upsert(
        franchise=franchise_a,
        primary_phone="+13125550100",
        first_name="Dana",
        last_name="Flood",
        primary_email="dana@example.com",
        tags=["VIP"],
    )
    dup, _ = contact_upsert(
        franchise=franchise_a,
        primary_phone="+17735550100",
        alternate_phones=["+17735550101"],
        first_name="Dana",
        last_name="Floode",
        primary_email="dflood@example.com",
        addr_line1="12 Oak Ave",
        tags=["Water damage", "VIP"],
        do_not_call=True,
    )
    call = make_call(franchise_a, caller_id="+17735550100")
    session = DialSession.objects.create(franchise=franchise_a, created_by=alice)
    session.contacts.set([dup])
    dial = DialCall.objects.create(
        session=session, franchise=franchise_a, contact=dup, phoneburner_call_id="1", started_at=timezone.now()
    )
    return {"dana": dana, "dup": dup, "call": call, "session": session, "dial": dial}


def state(contact: Contact) -> dict:
    contact = Contact.everything.get(pk=contact.pk)
    return {
        "columns": {
            f: getattr(contact, f) for f in ("first_name", "last_name", "primary_email", "addr_line1", "do_not_call")
        },
        "phones": contact.phones,
        "emails": contact.alternate_emails,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "dial_calls": list(DialCall.objects.filter(contact=contact).values_list("pk", flat=True)),
        "sessions": list(contact.dial_sessions.values_list("pk", flat=True)),
    }


def test_a_merge_moves_everything_over_and_the_undo_restores_both(franchise_a, alice, pair):
    dana, dup = pair["dana"], pair["dup"]
    before = {"dana": state(dana), "dup": state(dup)}
    merge = contacts_merge(franchise=franchise_a, survivor_id=dana.pk, merged_id=dup.pk, take=["address"], by=alice)

    dana.refresh_from_db()
    assert (dana.first_name, dana.last_name, dana.primary_email, dana.addr_line1) == (
        "Dana",
        "Flood",
        "dana@example.com",
        "12 Oak Ave",
    )
    assert dana.phones == ["+13125550100", "+17735550100", "+17735550101"]
    assert dana.alternate_emails == ["dflood@example.com"] and dana.do_not_call  # a do-not-call holds
    assert sorted(dana.tags.values_list("name", flat=True)) == ["VIP", "Water damage"]
    assert list(calls_with_phones(franchise_a.pk, dana.phones)) == [pair["call"]]
    assert pair["dial"].__class__.objects.get(pk=pair["dial"].pk).contact_id == dana.pk
    assert list(pair["session"].contacts.all()) == [dana]
    assert not Contact.objects.filter(pk=dup.pk).exists()  # gone from every list and lookup
    assert dana.changes.first().reason == f"Merged Dana Floode (#{dup.pk}) into this"
    assert dup.changes.first().reason == f"Merged into Dana Flood (#{dana.pk})"

    contact_merge_undo(franchise=franchise_a, merge_id=merge.pk, by=alice)
    assert {"dana": state(dana), "dup": state(dup)} == before
    assert Contact.objects.filter(pk=dup.pk).exists()
    merge.refresh_from_db()
    assert merge.undone_by == alice
    with pytest.raises(MergeRefused, match="already undone"):
        contact_merge_undo(franchise=franchise_a, merge_id=merge.pk)


def test_the_survivor_takes_the_duplicates_phone_as_main_when_chosen(franchise_a, pair):
    dana, dup = pair["dana"], pair["dup"]
    contacts_merge(franchise=franchise_a, survivor_id=dana.pk, merged_id=dup.pk, take=["phone", "name", "email"])
    dana.refresh_from_db()
    assert dana.primary_phone == "+17735550100" and "+13125550100" in dana.alternate_phones
    assert (dana.last_name, dana.primary_email, dana.alternate_emails) == (
        "Floode",
        "dflood@example.com",
        ["dana@example.com"],
    )


def test_an_undo_is_refused_after_a_day_or_when_a_phone_went_elsewhere(franchise_a, pair):
    dana, dup = pair["dana"], pair["dup"]
    merge = contacts_merge(franchise=franchise_a, survivor_id=dana.pk, merged_id=dup.pk)
    contact_update(franchise=franchise_a, contact_id=dana.pk, changes={"alternate_phones": ["+17735550100"]})
    contact_upsert(franchise=franchise_a, primary_phone="+17735550101", first_name="Newcomer")
    with pytest.raises(MergeRefused, match=r"\+17735550101 now belongs to contact"):
        contact_merge_undo(franchise=franchise_a, merge_id=merge.pk)
    assert not Contact.objects.filter(pk=dup.pk).exists()  # the refused undo changed nothing
    ContactMerge.objects.filter(pk=merge.pk).update(at=timezone.now() - timedelta(days=1, minutes=1))
    with pytest.raises(MergeRefused, match="for a day"):
        contact_merge_undo(franchise=franchise_a, merge_id=merge.pk)


def test_a_contact_is_not_merged_into_itself_or_across_franchises(franchise_a, franchise_b, pair):
    with pytest.raises(MergeRefused):
        contacts_merge(franchise=franchise_a, survivor_id=pair["dana"].pk, merged_id=pair["dana"].pk)
    erin, _ = contact_upsert(franchise=franchise_b, primary_phone="+14155550100", first_name="Erin")
    with pytest.raises(Exception, match="not found"):
        contacts_merge(franchise=franchise_a, survivor_id=pair["dana"].pk, merged_id=erin.pk)


def test_staff_merge_from_the_contact_page_and_undo_it(bob, carol, pair, signed_in):
    dana, dup = pair["dana"], pair["dup"]
    client = signed_in(bob)
    assert b"None found by name" in client.get(f"/contacts/{dana.pk}/merge/").content  # not the same name
    pick = client.get(f"/contacts/{dana.pk}/merge/", {"search": "floode"}).content.decode()
    assert re.findall(r'\?other=(\d+)" data-testid="merge-candidate"', pick) == [str(dup.pk)]
    form = client.get(f"/contacts/{dana.pk}/merge/", {"other": dup.pk}).content.decode()
    assert re.findall(r'data-field="(\w+)"', form) == ["name", "phone", "email", "address"]
    response = client.post(
        f"/contacts/{dana.pk}/merge/",
        {"other": dup.pk, "name": "survivor", "phone": "survivor", "email": "merged", "address": "merged"},
    )
    assert response.status_code == 302 and response["Location"] == f"/contacts/{dana.pk}/"
    assert client.get(f"/contacts/{dup.pk}/")["Location"] == f"/contacts/{dana.pk}/"
    page = client.get(f"/contacts/{dana.pk}/").content.decode()
    merge = ContactMerge.objects.get()
    assert 'data-testid="merge-undo"' in page and "dflood@example.com" in page
    assert signed_in(carol).post(f"/contacts/merges/{merge.pk}/undo").status_code == 404
    assert signed_in(carol).get(f"/contacts/{dup.pk}/").status_code == 404
    undone = client.post(f"/contacts/merges/{merge.pk}/undo")
    assert undone.status_code == 302 and undone["Location"] == f"/contacts/{dup.pk}/"
    assert client.get(f"/contacts/{dup.pk}/").status_code == 200
    assert client.post(f"/contacts/merges/{merge.pk}/undo").status_code == 409


def test_the_crm_record_of_the_duplicate_goes_to_the_survivor_and_back(franchise_a, pair):
    dana, dup = pair["dana"], pair["dup"]
    Contact.objects.filter(pk=dup.pk).update(crm_id="crm-77", crm_base={"first_name": "Dana"})
    merge = contacts_merge(franchise=franchise_a, survivor_id=dana.pk, merged_id=dup.pk)
    dana.refresh_from_db()
    assert (dana.crm_id, dana.crm_base) == ("crm-77", {"first_name": "Dana"})  # the sync now updates Dana
    contact_merge_undo(franchise=franchise_a, merge_id=merge.pk)
    assert list(Contact.objects.filter(crm_id="crm-77").values_list("pk", "crm_base")) == [
        (dup.pk, {"first_name": "Dana"})
    ]


def test_the_admin_lists_a_franchises_merges_read_only_to_its_owner_and_to_nobody_else(client, alice, carol, pair):
    from django.contrib.auth.models import Group

    from franchises.roles import role_groups_sync, staff_groups_sync

    merge = contacts_merge(franchise=pair["dana"].franchise, survivor_id=pair["dana"].pk, merged_id=pair["dup"].pk)
    # Role groups made before merges were in the admin get the permission at the next migrate.
    staff_groups_sync(alice)
    staff_groups_sync(carol)
    owners = Group.objects.get(name="Franchise owners")
    owners.permissions.remove(*owners.permissions.filter(codename="view_contactmerge"))
    assert role_groups_sync() >= 1

    client.force_login(alice)
    listing = client.get("/admin/contacts/contactmerge/")
    assert listing.status_code == 200
    assert f"Dana Floode (#{pair['dup'].pk})" in listing.content.decode()
    page = client.get(f"/admin/contacts/contactmerge/{merge.pk}/change/").content.decode()
    assert "Undo until" in page and 'name="_save"' not in page  # read-only: nothing to save
    assert client.post(f"/admin/contacts/contactmerge/{merge.pk}/delete/").status_code == 403
    assert ContactMerge.objects.filter(pk=merge.pk).exists()

    client.force_login(carol)  # owner of B, agent at A: A's merges are not hers to see
    assert f"#{pair['dup'].pk}" not in client.get("/admin/contacts/contactmerge/").content.decode()
    assert client.get(f"/admin/contacts/contactmerge/{merge.pk}/change/").status_code == 302  # "doesn’t exist"
