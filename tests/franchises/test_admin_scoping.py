"""The admin as a franchise's staff sees it: only their own franchise, never another's."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.urls import reverse

from calls.models import Recording
from contacts.models import Contact, ContactPhone
from contacts.services import contact_upsert, tags_resolve
from franchises.models import ApiToken, Location, Membership, hash_token
from franchises.roles import staff_groups_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_admin(client, alice):
    """Alice, franchise A's owner, signed in to the admin with her role's permissions."""
    staff_groups_sync(alice)
    client.force_login(alice)
    return client


@pytest.fixture
def both(franchise_a, franchise_b, location_a, location_b, make_call):
    """A call, a contact and a tag in each franchise."""
    data = {}
    for key, franchise, location in (("a", franchise_a, location_a), ("b", franchise_b, location_b)):
        call = make_call(franchise, location=location, conversation_id=f"CAscope{key.upper()}")
        Recording.objects.create(
            call=call, file=ContentFile(b"ID3-" + key.encode() * 100, name="x.mp3"), size=104, content_type="audio/mpeg"
        )
        contact, _ = contact_upsert(
            franchise=franchise, primary_phone=f"+1555000{ord(key):04d}", tags=[f"Tag {key}"], first_name=f"Person{key}"
        )
        data[key] = {"call": call, "contact": contact, "tag": contact.tags.get(), "location": location}
    return data


def changelist(client, model: str, **params) -> str:
    response = client.get(reverse(f"admin:{model.replace('.', '_')}_changelist"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "model, a_text, b_text",
    [
        ("calls.call", "CAscopeA", "CAscopeB"),
        ("contacts.contact", "Persona", "Personb"),
        ("contacts.tag", "Tag a", "Tag b"),
        ("franchises.location", "North Branch", "Harbor Branch"),
        ("franchises.franchise", "Aqua Restoration North", "Blue Sky Restoration"),
        ("franchises.membership", "alice", "carol"),
        ("calls.recording", "CAscopeA", "CAscopeB"),
    ],
)
def test_a_staff_user_sees_only_their_franchise_in_change_lists(alice_admin, carol, both, model, a_text, b_text):
    page = changelist(alice_admin, model)
    assert a_text in page
    assert b_text not in page
    assert "Blue Sky Restoration" not in page  # not even as a list filter choice


def test_another_franchises_objects_cannot_be_opened_or_changed(alice_admin, both, franchise_b):
    for model, obj in [
        ("calls_call", both["b"]["call"]),
        ("contacts_contact", both["b"]["contact"]),
        ("contacts_tag", both["b"]["tag"]),
        ("franchises_location", both["b"]["location"]),
        ("franchises_franchise", franchise_b),
    ]:
        url = reverse(f"admin:{model}_change", args=[obj.pk])
        assert alice_admin.get(url).status_code in (302, 404), model
        assert alice_admin.post(url, {"name": "taken over"}).status_code in (302, 404), model
        assert alice_admin.post(reverse(f"admin:{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code in (
            302,
            403,
            404,
        )
    both["b"]["location"].refresh_from_db()
    franchise_b.refresh_from_db()
    assert both["b"]["location"].name == "Harbor Branch" and franchise_b.name == "Blue Sky Restoration"
    assert Contact.objects.filter(pk=both["b"]["contact"].pk).exists()


def test_foreign_key_choices_offer_only_their_franchise(alice_admin, both, franchise_a, franchise_b):
    page = alice_admin.get(reverse("admin:franchises_location_add")).content.decode()
    options = re.findall(r'<option value="([^"]+)"', page)
    assert str(franchise_a.pk) in options and str(franchise_b.pk) not in options


def test_a_staff_user_cannot_create_an_object_in_another_franchise(alice_admin, both, franchise_b):
    response = alice_admin.post(
        reverse("admin:franchises_location_add"), {"franchise": franchise_b.pk, "name": "Sneaky"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Location.objects.filter(name="Sneaky").exists()


def test_a_staff_user_cannot_move_an_object_to_another_franchise(alice_admin, both, franchise_a, franchise_b):
    location = both["a"]["location"]
    url = reverse("admin:franchises_location_change", args=[location.pk])
    response = alice_admin.post(url, {"franchise": franchise_b.pk, "name": "Renamed"})
    assert response.status_code == 302
    location.refresh_from_db()
    assert (location.name, location.franchise) == ("Renamed", franchise_a)


def test_related_objects_must_belong_to_the_objects_own_franchise(client, both, franchise_a):
    """Even a superuser cannot tag A's contact with B's tag."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-long-enough"))
    contact, tag_b = both["a"]["contact"], both["b"]["tag"]
    response = client.post(
        reverse("admin:contacts_contact_change", args=[contact.pk]),
        {
            "first_name": "Persona",
            "primary_phone": contact.primary_phone,
            "alternate_phones": "[]",
            "alternate_emails": "[]",
            "tags": [tag_b.pk],
            "phone_rows-TOTAL_FORMS": "0",
            "phone_rows-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "belongs to another franchise" in response.content.decode()
    assert list(contact.tags.all()) == [both["a"]["tag"]]


def test_autocomplete_offers_only_their_franchise(alice_admin, both):
    response = alice_admin.get(
        reverse("admin:autocomplete"),
        {"app_label": "calls", "model_name": "call", "field_name": "location", "term": "Branch"},
    )
    assert response.status_code == 200
    names = [item["text"] for item in response.json()["results"]]
    assert names == ["North Branch"]

    response = alice_admin.get(
        reverse("admin:autocomplete"),
        {"app_label": "contacts", "model_name": "contact", "field_name": "tags", "term": "Tag"},
    )
    assert [item["text"] for item in response.json()["results"]] == ["Tag a"]


def test_a_superuser_sees_every_franchise(client, both):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-long-enough"))
    page = changelist(client, "calls.call")
    assert "CAscopeA" in page and "CAscopeB" in page


def test_the_recording_plays_for_its_franchise_only(alice_admin, both):
    call_a, call_b = both["a"]["call"], both["b"]["call"]
    page = alice_admin.get(reverse("admin:calls_call_change", args=[call_a.pk])).content.decode()
    src = reverse("admin:calls_call_recording", args=[call_a.pk])
    assert f'<audio controls preload="none" src="{src}">' in page
    response = alice_admin.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
    assert b"".join(response.streaming_content) == b"ID3-" + b"a" * 100
    assert alice_admin.get(reverse("admin:calls_call_recording", args=[call_b.pk])).status_code == 404


def test_the_recording_needs_a_staff_login(client, both):
    response = client.get(reverse("admin:calls_call_recording", args=[both["a"]["call"].pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_api_token_is_shown_once_then_only_its_prefix(alice_admin, franchise_a):
    response = alice_admin.post(
        reverse("admin:franchises_apitoken_add"),
        {"franchise": franchise_a.pk, "label": "Zapier", "expires_in_days": "30"},
    )
    assert response.status_code == 200
    plaintext = re.search(r'value="(bds_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(plaintext) and token.franchise == franchise_a
    assert token.label == "Zapier" and token.expires_at is not None
    assert "no-store" in response["Cache-Control"]

    for page in (
        changelist(alice_admin, "franchises.apitoken"),
        alice_admin.get(reverse("admin:franchises_apitoken_change", args=[token.pk])).content.decode(),
    ):
        assert token.prefix in page and plaintext not in page


def test_a_staff_user_cannot_issue_a_token_for_another_franchise(alice_admin, franchise_b):
    response = alice_admin.post(reverse("admin:franchises_apitoken_add"), {"franchise": franchise_b.pk, "label": "x"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_revoke_action_revokes_only_their_franchises_tokens(alice_admin, franchise_a, franchise_b):
    mine, _ = ApiToken.issue(franchise=franchise_a)
    theirs, _ = ApiToken.issue(franchise=franchise_b)
    alice_admin.post(
        reverse("admin:franchises_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert not mine.is_active and theirs.is_active


def test_editing_a_contacts_phones_keeps_the_phone_rows_in_step(alice_admin, both, franchise_a):
    contact = both["a"]["contact"]
    other, _ = contact_upsert(franchise=franchise_a, primary_phone="+15559990000", first_name="Other")
    form = {
        "first_name": "Persona",
        "primary_phone": "(555) 222-3333",
        "alternate_phones": '["555-222-4444"]',
        "alternate_emails": "[]",
        "tags": [t.pk for t in tags_resolve(franchise=franchise_a, names=["Tag a", "VIP"])],
        "phone_rows-TOTAL_FORMS": "0",
        "phone_rows-INITIAL_FORMS": "0",
    }
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    assert alice_admin.post(url, form).status_code == 302
    contact.refresh_from_db()
    assert (contact.primary_phone, contact.alternate_phones) == ("+15552223333", ["+15552224444"])
    assert set(ContactPhone.objects.filter(contact=contact).values_list("number", flat=True)) == {
        "+15552223333",
        "+15552224444",
    }
    assert sorted(t.name for t in contact.tags.all()) == ["Tag a", "VIP"]

    response = alice_admin.post(url, {**form, "alternate_phones": '["+15559990000"]'})
    assert response.status_code == 200 and "already belongs to Other" in response.content.decode()
    assert ContactPhone.objects.get(number="+15559990000").contact == other


def test_the_admin_player_can_seek(alice_admin, both):
    response = alice_admin.get(
        reverse("admin:calls_call_recording", args=[both["a"]["call"].pk]), headers={"Range": "bytes=4-9"}
    )
    assert response.status_code == 206 and response["Content-Range"] == "bytes 4-9/104"
    assert b"".join(response.streaming_content) == b"aaaaaa"


def test_a_role_at_one_franchise_gives_no_more_rights_at_another(client, carol, both, franchise_a, franchise_b):
    """Carol owns B and is only a call-back agent at A: at A she may look, not manage."""
    agent_at_a = Membership.objects.create(user=carol, franchise=franchise_a, role=Membership.Role.AGENT)
    staff_groups_sync(carol)
    client.force_login(carol)
    call_a, contact_a = both["a"]["call"], both["a"]["contact"]

    assert client.get(reverse("admin:calls_call_change", args=[call_a.pk])).status_code == 200
    response = client.post(reverse("admin:calls_call_change", args=[call_a.pk]), {"call_summary": "edited"})
    assert response.status_code == 403

    membership_url = reverse("admin:franchises_membership_change", args=[agent_at_a.pk])
    client.post(membership_url, {"role": "owner"})
    agent_at_a.refresh_from_db()
    assert agent_at_a.role == "agent"

    def delete(*contacts):
        client.post(
            reverse("admin:contacts_contact_changelist"),
            {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"},
        )

    delete(contact_a, both["b"]["contact"])  # refused as a whole: she may not delete at A
    assert Contact.objects.filter(pk__in=[contact_a.pk, both["b"]["contact"].pk]).count() == 2
    delete(both["b"]["contact"])  # her own franchise's contact, with its phone rows
    assert not Contact.objects.filter(pk=both["b"]["contact"].pk).exists()
    assert Contact.objects.filter(pk=contact_a.pk).exists()

    page = client.get(reverse("admin:franchises_location_add")).content.decode()
    options = re.findall(r'<option value="([^"]+)"', page)
    assert str(franchise_b.pk) in options and str(franchise_a.pk) not in options


def test_membership_forms_offer_only_staff_of_franchises_the_user_owns(
    client, alice, bob, carol, franchise_a, franchise_b
):
    """Carol owns B and is an agent at A: A's staff (Alice, Bob) are not hers to add to B."""
    Membership.objects.create(user=carol, franchise=franchise_a, role=Membership.Role.AGENT)
    staff_groups_sync(carol)
    client.force_login(carol)

    for url in (
        reverse("admin:franchises_membership_add"),
        reverse("admin:franchises_franchise_change", args=[franchise_b.pk]),
    ):
        page = client.get(url).content.decode()
        offered = set(re.findall(r'<option value="(\d+)"', page))
        assert str(carol.pk) in offered, url
        assert not {str(alice.pk), str(bob.pk)} & offered, url

    client.post(
        reverse("admin:franchises_membership_add"), {"user": bob.pk, "franchise": franchise_b.pk, "role": "agent"}
    )
    assert not Membership.objects.filter(user=bob, franchise=franchise_b).exists()


def test_an_owner_deletes_a_call_with_its_recording_but_not_the_recording_alone(alice_admin, both):
    call = both["a"]["call"]
    recording = call.recording
    assert (
        alice_admin.post(reverse("admin:calls_recording_delete", args=[recording.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert alice_admin.post(reverse("admin:calls_call_delete", args=[call.pk]), {"post": "yes"}).status_code == 302
    assert not Recording.objects.filter(pk=recording.pk).exists()
