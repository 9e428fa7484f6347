"""Staff fix a contact on its page: details (phones under the one-phone-one-contact rule, emails,
address, do-not-call with its reason), notes without losing someone else's save, one tag at a time,
and a contact made from a call that has none."""

from __future__ import annotations

import re

import pytest

from contacts.forms import ContactForm
from contacts.models import Contact, ContactChange, Tag
from contacts.services import contact_fingerprint, contact_update, contact_upsert

HX = {"HX-Request": "true"}


@pytest.fixture
def dana(franchise_a) -> Contact:
    contact, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+13125550100", first_name="Dana", last_name="Flood", tags=["VIP"]
    )
    return contact


def details(contact: Contact, **changes) -> dict:
    """The details form as the page sends it, with `changes` typed over the contact's values."""
    data = {name: getattr(contact, name) or "" for name in ContactForm.COLUMNS}
    data["alternate_phones"] = "\n".join(contact.alternate_phones)
    data["alternate_emails"] = "\n".join(contact.alternate_emails)
    data["seen"] = contact_fingerprint(contact, ContactForm.COLUMNS)
    for flag in ("is_business", "do_not_call"):
        if not data[flag]:
            data.pop(flag)
    data.update(changes)
    return data


def test_an_agent_fixes_a_phone_an_email_and_the_address(bob, dana, signed_in):
    client = signed_in(bob)
    form = client.get(f"/contacts/{dana.pk}/", {"part": "details", "edit": "details"}, headers=HX)
    assert b'data-testid="details-form"' in form.content and b"<html" not in form.content
    cancel = client.get(f"/contacts/{dana.pk}/", {"part": "details"}, headers=HX).content.decode()
    assert re.search(r'data-testid="details-edit" data-focus-after-swap', cancel)  # focus back on "Edit"
    response = client.post(
        f"/contacts/{dana.pk}/edit",
        details(
            dana,
            primary_phone="(312) 555-0199",
            alternate_phones="312 555 0100\n",
            primary_email="dana@example.com",
            alternate_emails="d.flood@example.com, dana@work.example.com",
            addr_line1="12 Oak Ave",
            addr_country="us",
        ),
        headers=HX,
    )
    assert response.status_code == 200 and b"Details saved." in response.content
    dana.refresh_from_db()
    assert (dana.primary_phone, dana.alternate_phones) == ("+13125550199", ["+13125550100"])
    assert dana.alternate_emails == ["d.flood@example.com", "dana@work.example.com"]
    assert (dana.addr_line1, dana.addr_country) == ("12 Oak Ave", "US")
    change = dana.changes.first()
    assert (change.source, change.by) == (ContactChange.Source.STAFF, bob)
    assert change.changes["primary_phone"] == ["+13125550100", "+13125550199"]
    # The history on the page says what changed.
    assert b"Primary phone: +13125550100 \xe2\x86\x92 +13125550199" in client.get(f"/contacts/{dana.pk}/").content


def test_a_phone_of_another_contact_is_a_field_error_naming_and_linking_it(alice, franchise_a, dana, signed_in):
    lee, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550111", first_name="Lee")
    response = signed_in(alice).post(
        f"/contacts/{dana.pk}/edit", details(dana, alternate_phones="312-555-0111", first_name="Dee"), headers=HX
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(
        rf'id="id_alternate_phones_error".*\+13125550111 already belongs to <a href="/contacts/{lee.pk}/"', body, re.S
    )
    assert "Lee</a>" in body
    dana.refresh_from_db()
    assert dana.first_name == "Dana" and dana.alternate_phones == []  # nothing of the refused save kept


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_phone", "12"),
        ("primary_email", "not-an-email"),
        ("alternate_emails", "a@b.co\nnope"),
        ("addr_country", "USA"),
        ("addr_country", "ßß"),  # two letters, four once upper-cased: was a 500
    ],
)
def test_bad_input_is_a_400_beside_the_field_and_changes_nothing(alice, dana, signed_in, field, value):
    response = signed_in(alice).post(f"/contacts/{dana.pk}/edit", details(dana, **{field: value}, last_name="X"))
    assert response.status_code == 400
    assert f'id="id_{field}_error"'.encode() in response.content and b"<html" in response.content
    dana.refresh_from_db()
    assert dana.last_name == "Flood"


def test_do_not_call_needs_a_reason_which_the_page_keeps(alice, dana, signed_in):
    client = signed_in(alice)
    refused = client.post(f"/contacts/{dana.pk}/edit", details(dana, do_not_call="on"), headers=HX)
    assert refused.status_code == 400 and b"id_dnc_reason_error" in refused.content
    saved = client.post(
        f"/contacts/{dana.pk}/edit", details(dana, do_not_call="on", dnc_reason="Asked us to stop calling"), headers=HX
    )
    assert saved.status_code == 200
    page = client.get(f"/contacts/{dana.pk}/").content.decode()
    assert 'data-testid="dnc-flag"' in page and "Why not call: Asked us to stop calling" in page
    assert dana.changes.first().reason == "Asked us to stop calling"


def test_a_save_over_someone_elses_change_is_refused_showing_theirs(alice, franchise_a, dana, signed_in):
    data = details(dana, first_name="Dee")
    contact_update(franchise=franchise_a, contact_id=dana.pk, changes={"last_name": "Rivers"})
    response = signed_in(alice).post(f"/contacts/{dana.pk}/edit", data, headers=HX)
    assert response.status_code == 409 and b'data-testid="details-stale"' in response.content
    assert b'value="Rivers"' in response.content
    dana.refresh_from_db()
    assert (dana.first_name, dana.last_name) == ("Dana", "Rivers")


def test_notes_saved_by_someone_else_meanwhile_are_not_overwritten(alice, bob, dana, signed_in):
    opened = signed_in(alice).get(f"/contacts/{dana.pk}/", {"part": "notes", "edit": "notes"}, headers=HX)
    seen = re.search(r'name="seen" value="([^"]*)"', opened.content.decode()).group(1)
    signed_in(bob).post(f"/contacts/{dana.pk}/notes", {"notes": "Gate code 4411.", "seen": seen}, headers=HX)
    late = signed_in(alice).post(f"/contacts/{dana.pk}/notes", {"notes": "Prefers mornings.", "seen": seen}, headers=HX)
    assert late.status_code == 409 and b'data-testid="notes-stale"' in late.content
    assert b"Gate code 4411." in late.content and b"Prefers mornings." in late.content
    dana.refresh_from_db()
    assert dana.notes == "Gate code 4411."
    assert dana.changes.first().by == bob


def test_a_tag_already_on_the_contact_is_not_added_twice_and_the_editor_says_so(alice, dana, signed_in):
    response = signed_in(alice).post(f"/contacts/{dana.pk}/tags/add", {"name": "vip"}, headers=HX)
    assert response.status_code == 200 and b"VIP is already on this contact." in response.content
    assert dana.tags.count() == 1 and dana.changes.count() == 1


def test_removing_a_tag_keeps_a_tag_added_meanwhile_and_records_who(alice, franchise_a, dana, signed_in):
    vip = dana.tags.get()
    other = Contact.objects.get(pk=dana.pk)
    other.tags.add(Tag.objects.create(franchise=franchise_a, name="Roof"))  # another editor, meanwhile
    signed_in(alice).post(f"/contacts/{dana.pk}/tags/{vip.pk}/remove", headers=HX)
    assert [t.name for t in dana.tags.all()] == ["Roof"]
    assert dana.changes.first().by == alice


def test_suggestions_leave_out_the_tags_already_on_the_contact(alice, franchise_a, franchise_b, dana, signed_in):
    Tag.objects.create(franchise=franchise_a, name="VIP customer")
    Tag.objects.create(franchise=franchise_b, name="VIP elsewhere")
    client = signed_in(alice)
    body = client.get("/contacts/tags/suggest", {"name": "vi", "contact": dana.pk, "kind": "tags"}).content.decode()
    assert re.findall(r'data-value="([^"]+)" data-testid="tag-option"', body) == ["VIP customer"]
    assert 'data-testid="tag-option-new">Add new tag “vi”' in body


def test_a_call_without_a_contact_offers_one_prefilled_from_the_call(
    alice, carol, franchise_a, dana, make_call, signed_in
):
    call = make_call(
        franchise_a,
        caller_id="+1 312 555 0177",
        callback_number="(312) 555-0178",
        customer_name="Robin van Dyke",
        customer_email="robin@example.com",
        service_location="9 Elm St, Springfield",
    )
    client = signed_in(alice)
    panel = client.get(f"/contacts/for-call/{call.conversation_id}/", headers=HX).content.decode()
    assert f'href="/contacts/new/?call={call.conversation_id}" data-testid="contact-from-call"' in panel
    form = client.get("/contacts/new/", {"call": call.conversation_id}).content.decode()
    for value in (
        "Robin van",
        "Dyke",
        "+1 312 555 0177",
        "(312) 555-0178",
        "robin@example.com",
        "9 Elm St, Springfield",
    ):
        assert value in form
    response = client.post(
        "/contacts/new/",
        {
            "call": call.conversation_id,
            "first_name": "Robin",
            "last_name": "van Dyke",
            "primary_phone": "+1 312 555 0177",
            "alternate_phones": "(312) 555-0178",
            "primary_email": "robin@example.com",
        },
    )
    robin = Contact.objects.get(first_name="Robin")
    assert response.status_code == 302 and response["Location"] == f"/contacts/{robin.pk}/"
    assert robin.phones == ["+13125550177", "+13125550178"] and robin.changes.get().by == alice
    assert (
        b'data-testid="linked-contact">Robin van Dyke<'
        in client.get(f"/contacts/for-call/{call.conversation_id}/").content
    )
    # A phone that is someone's already is named; another franchise's call is a 404.
    taken = client.post("/contacts/new/", {"first_name": "Dup", "primary_phone": "312-555-0100"})
    assert taken.status_code == 400 and f'href="/contacts/{dana.pk}/"'.encode() in taken.content
    assert signed_in(carol).get("/contacts/new/", {"call": call.conversation_id}).status_code == 404


def test_carol_cannot_edit_or_merge_franchise_a_contacts(carol, dana, signed_in):
    client = signed_in(carol)
    assert client.post(f"/contacts/{dana.pk}/edit", details(dana, first_name="X")).status_code == 404
    assert client.get(f"/contacts/{dana.pk}/merge/").status_code == 404
    assert client.get("/contacts/tags/suggest", {"name": "v", "contact": dana.pk, "kind": "tags"}).status_code == 404
    dana.refresh_from_db()
    assert dana.first_name == "Dana"


def test_a_contact_typed_in_from_the_list_needs_a_name_phone_or_email(bob, signed_in):
    client = signed_in(bob)
    assert b'href="/contacts/new/" data-testid="contact-new"' in client.get("/contacts/").content
    empty = client.post("/contacts/new/", {"addr_city": "Springfield"})
    assert empty.status_code == 400 and b"at least a name, an organization, a phone or an email" in empty.content
    assert client.post("/contacts/new/", {"organization_name": "Acme Rentals"}).status_code == 302
    assert Contact.objects.get().display_name == "Acme Rentals"
    assert client.post("/contacts/new/", {"last_name": "Ng", "addr_country": "ßß"}).status_code == 400


def test_an_edit_may_not_leave_a_contact_with_no_name_phone_or_email(alice, dana, signed_in):
    blank = details(dana, first_name="", last_name="", primary_phone="", alternate_phones="")
    response = signed_in(alice).post(f"/contacts/{dana.pk}/edit", blank)
    assert response.status_code == 400 and b"at least a name, an organization, a phone or an email" in response.content
    dana.refresh_from_db()
    assert (dana.first_name, dana.primary_phone) == ("Dana", "+13125550100")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/contacts/new/"),
        ("post", "/contacts/1/edit"),
        ("get", "/contacts/1/merge/"),
        ("post", "/contacts/merges/1/undo"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(db, client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
