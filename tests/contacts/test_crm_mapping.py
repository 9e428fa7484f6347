"""How a CRM record becomes a contact's fields, and the conflict rule (contacts/crm/mapping.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from contacts.crm.client import CrmContact
from contacts.crm.mapping import crm_values, merge

WHEN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def record(**fields) -> CrmContact:
    return CrmContact(id="c-1", updated_at=WHEN, **fields)


def values(**fields):
    mapped, _ = crm_values(record(**fields), region="US")
    return mapped


def test_it_maps_the_crm_fields_onto_the_contact_fields():
    mapped, notes = crm_values(
        record(
            first_name="Jane",
            last_name="Doe",
            email="jane@example.com",
            phone="(415) 555-1234",
            secondary_phones=("+1 415 555 9876",),
            secondary_emails=("jd@example.com",),
            company="Acme Inc",
            address="12 Oak St",
            city="Austin",
            state="TX",
            zip_code="78701",
            country="us",
            iana_timezone="America/Chicago",
            source="Referral",
            note="Gate code 4411.",
            tags=("VIP", "Mold"),
            call_dnd=True,
            sms_dnd=False,
            email_dnd=True,
        ),
        region="US",
    )
    assert mapped == {
        "first_name": "Jane",
        "last_name": "Doe",
        "organization_name": "Acme Inc",
        "primary_email": "jane@example.com",
        "addr_line1": "12 Oak St",
        "addr_city": "Austin",
        "addr_state": "TX",
        "addr_postal": "78701",
        "addr_country": "US",
        "timezone": "America/Chicago",
        "referred_by": "Referral",
        "notes": "Gate code 4411.",
        "phones": ["+14155551234", "+14155559876"],
        "alternate_emails": ["jd@example.com"],
        "tags": ["VIP", "Mold"],
        "do_not_call": True,
        "do_not_text": False,
        "do_not_email": True,
    }
    assert notes == []


def test_unreadable_phones_unknown_zones_and_country_names_are_left_out_with_a_note():
    mapped, notes = crm_values(
        record(phone="call office", secondary_phones=("512-555-0100",), iana_timezone="Mars/Olympus", country="Narnia"),
        region="US",
    )
    assert mapped["phones"] == ["+15125550100"]
    assert mapped["timezone"] is None
    assert mapped["addr_country"] is None
    assert notes == [
        "phone 'call office' is not a phone number; left out",
        "country 'Narnia' is not a two-letter code; left out",
        "time zone 'Mars/Olympus' is unknown; left out",
    ]


def test_a_country_that_grows_when_upper_cased_is_left_out_with_a_note():
    mapped, notes = crm_values(record(country="ßß"), region="US")

    assert mapped["addr_country"] is None
    assert notes == ["country 'ßß' is not a two-letter code; left out"]


def test_a_full_name_alone_is_split_into_first_and_last():
    assert (values(name="Mary Ann Lee")["first_name"], values(name="Mary Ann Lee")["last_name"]) == ("Mary", "Ann Lee")


def test_a_country_written_out_becomes_its_code_and_long_text_is_cut_to_the_column():
    mapped = values(country="United States", first_name="x" * 300)
    assert mapped["addr_country"] == "US"
    assert len(mapped["first_name"]) == 100


def synced(crm: dict) -> dict:
    """The memory a sync leaves when the CRM's values were all taken."""
    return {"crm": dict(crm), "here": dict(crm)}


def test_a_field_the_crm_changed_and_nobody_edited_here_takes_the_crm_value():
    before = values(first_name="Jane", city="Austin")
    after = values(first_name="Janet", city="Austin")
    assert merge(here=dict(before), crm=after, base=synced(before)) == {"first_name": "Janet"}


def test_a_field_edited_here_since_the_last_sync_wins_over_the_crm():
    before = values(first_name="Jane", city="Austin")
    here = {**before, "first_name": "Jay"}
    after = values(first_name="Janet", city="Dallas")
    assert merge(here=here, crm=after, base=synced(before)) == {"addr_city": "Dallas"}


def test_an_edit_here_stays_while_the_crm_resends_the_field_unchanged():
    before = values(first_name="Jane", note="old")
    here = {**before, "first_name": "Jay"}
    # The last sync kept "Jay" (edited here); now the CRM re-sends its record, first name unchanged.
    base = {"crm": dict(before), "here": dict(here)}
    assert merge(here=here, crm=values(first_name="Jane", note="new"), base=base) == {"notes": "new"}


def test_an_edit_here_before_the_last_sync_gives_way_when_the_crm_changes_the_field_again():
    before = values(first_name="Jane")
    here = {**before, "first_name": "Jay"}
    base = {"crm": dict(before), "here": dict(here)}
    assert merge(here=here, crm=values(first_name="Janet"), base=base) == {"first_name": "Janet"}


def test_a_crm_do_not_call_always_holds_even_over_an_edit_here():
    before = values(call_dnd=True)
    here = {**before, "do_not_call": False}
    assert merge(here=here, crm=values(call_dnd=True), base=synced(before)) == {"do_not_call": True}


def test_the_crm_clearing_do_not_call_clears_it_here_unless_set_here():
    before = values(call_dnd=True)
    assert merge(here=dict(before), crm=values(call_dnd=False), base=synced(before)) == {"do_not_call": False}
    edited = {**values(call_dnd=False), "do_not_call": True}
    assert merge(here=edited, crm=values(call_dnd=False), base=synced(values(call_dnd=False))) == {}


def test_tags_compare_ignoring_case_and_order():
    before = values(tags=("VIP", "Mold"))
    here = {**before, "tags": ["mold", "vip"]}
    assert merge(here=here, crm=values(tags=("Mold", "VIP")), base=synced(before)) == {}


def test_a_contact_linked_for_the_first_time_keeps_its_values_and_the_crm_fills_the_gaps():
    here = {**values(), "first_name": "Jay", "phones": ["+15125550100"], "tags": ["VIP"]}
    crm = values(first_name="Jane", last_name="Doe", phone="+15125550199", tags=("vip", "Mold"), call_dnd=True)
    assert merge(here=here, crm=crm, base=None) == {
        "last_name": "Doe",
        "phones": ["+15125550100", "+15125550199"],
        "tags": ["VIP", "Mold"],
        "do_not_call": True,
    }
