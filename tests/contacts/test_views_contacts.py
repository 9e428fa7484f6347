"""Staff contact pages: list (search, tag filter, paging), detail, notes and inline tag editing."""

from __future__ import annotations

import re

import pytest

from contacts.models import Contact, Tag
from contacts.services import contact_upsert


@pytest.fixture
def dana(franchise_a) -> Contact:
    contact, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+13125550100", first_name="Dana", last_name="Flood", tags=["VIP"]
    )
    return contact


@pytest.fixture
def erin(franchise_b) -> Contact:
    contact, _ = contact_upsert(franchise=franchise_b, primary_phone="+14155550100", first_name="Erin")
    return contact


def names(response) -> list[str]:
    return re.findall(r'class="row-link" href="/contacts/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/1/", "/contacts/tags/suggest"])
def test_anonymous_visitors_are_sent_to_sign_in(db, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_list_shows_only_the_franchise_contacts(alice, carol, dana, erin, signed_in):
    assert names(signed_in(alice).get("/contacts/")) == ["Dana Flood"]
    assert names(signed_in(carol).get("/contacts/")) == ["Erin"]


def test_list_search_and_tag_filter(bob, franchise_a, dana, signed_in):
    contact_upsert(franchise=franchise_a, primary_phone="+13125550101", first_name="Sam", tags=["Roofing"])
    client = signed_in(bob)
    assert names(client.get("/contacts/", {"search": "flood"})) == ["Dana Flood"]
    assert names(client.get("/contacts/", {"search": "312-555-0101"})) == ["Sam"]
    assert names(client.get("/contacts/", {"tag": "vip"})) == ["Dana Flood"]
    fragment = client.get("/contacts/", {"tag": "roofing"}, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and names(fragment) == ["Sam"]


def test_list_pages_by_id_both_ways(alice, franchise_a, signed_in):
    for i in range(30):
        contact_upsert(franchise=franchise_a, primary_phone=f"+1312555{i:04d}", first_name=f"P{i:02d}")
    client = signed_in(alice)
    first = client.get("/contacts/").content.decode()
    assert 'data-testid="page-newer"' not in first
    older = re.search(r'href="(\?after=[^"]+)"', first).group(1)
    second = client.get("/contacts/" + older)
    assert names(second) == [f"P{i:02d}" for i in range(25, 30)]
    newer = re.search(r'href="(\?before=[^"]+)"', second.content.decode()).group(1)
    assert names(client.get("/contacts/" + newer)) == [f"P{i:02d}" for i in range(25)]
    assert client.get("/contacts/", {"after": "forged"}).status_code == 400


def test_detail_shows_the_contact_its_tags_and_its_calls(alice, franchise_a, dana, make_call, signed_in):
    call = make_call(franchise_a, caller_id="+13125550100", call_summary="Water in the basement")
    page = signed_in(alice).get(f"/contacts/{dana.pk}/").content.decode()
    assert "Dana Flood" in page
    assert re.search(r'data-testid="tag-chip" data-tag="VIP"', page)
    assert f"/calls/{call.conversation_id}/" in page and "Water in the basement" in page
    assert page.count('data-testid="tag-editor"') == 2  # tags and primary-contact tags


def test_carol_gets_404_on_franchise_a_contact_and_cannot_change_it(carol, dana, signed_in):
    client = signed_in(carol)
    assert client.get(f"/contacts/{dana.pk}/").status_code == 404
    assert client.post(f"/contacts/{dana.pk}/tags/add", {"name": "Hacked"}).status_code == 404
    assert client.post(f"/contacts/{dana.pk}/notes", {"notes": "Hacked"}).status_code == 404
    tag = dana.tags.get()
    assert client.post(f"/contacts/{dana.pk}/tags/{tag.pk}/remove").status_code == 404
    dana.refresh_from_db()
    assert dana.notes is None and [t.name for t in dana.tags.all()] == ["VIP"]
    assert not Tag.objects.filter(name="Hacked").exists()


def test_an_agent_adds_a_tag_with_htmx_and_gets_the_editor_back(bob, franchise_a, dana, signed_in):
    response = signed_in(bob).post(
        f"/contacts/{dana.pk}/tags/add", {"name": "  Water   damage "}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="tag-editor-tags"' in body
    assert 'data-tag="Water damage"' in body
    assert sorted(t.name for t in dana.tags.all()) == ["VIP", "Water damage"]


def test_adding_a_tag_reuses_the_existing_one_ignoring_case(alice, franchise_a, dana, signed_in):
    signed_in(alice).post(f"/contacts/{dana.pk}/primary_contact_tags/add", {"name": "vip"})
    assert [t.name for t in dana.primary_contact_tags.all()] == ["VIP"]
    assert Tag.objects.filter(franchise=franchise_a).count() == 1


def test_without_javascript_a_tag_form_post_returns_to_the_contact(alice, dana, signed_in):
    response = signed_in(alice).post(f"/contacts/{dana.pk}/tags/add", {"name": "Roof"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{dana.pk}/"


def test_removing_a_tag_takes_it_off_the_contact_only(alice, franchise_a, dana, signed_in):
    other, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550111", first_name="Lee", tags=["VIP"])
    tag = dana.tags.get()
    response = signed_in(alice).post(f"/contacts/{dana.pk}/tags/{tag.pk}/remove", headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-tag="VIP"' not in response.content.decode()
    assert list(dana.tags.all()) == [] and list(other.tags.all()) == [tag]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_bad_tag_name_is_a_400_and_changes_nothing(alice, dana, name, signed_in):
    response = signed_in(alice).post(f"/contacts/{dana.pk}/tags/add", {"name": name}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and b'role="alert"' in response.content
    assert [t.name for t in dana.tags.all()] == ["VIP"]


def test_an_unknown_tag_list_is_a_404(alice, dana, signed_in):
    assert signed_in(alice).post(f"/contacts/{dana.pk}/friends/add", {"name": "x"}).status_code == 404


def test_suggestions_are_the_franchise_tags_containing_what_was_typed(alice, franchise_a, franchise_b, dana, signed_in):
    Tag.objects.create(franchise=franchise_a, name="Water damage")
    Tag.objects.create(franchise=franchise_a, name="Mold")
    Tag.objects.create(franchise=franchise_b, name="Waterfront")  # another franchise's: never suggested
    body = signed_in(alice).get("/contacts/tags/suggest", {"name": "wat"}).content.decode()
    assert re.findall(r'data-value="([^"]+)" data-testid="tag-option"', body) == ["Water damage"]


def test_notes_are_edited_in_place(alice, dana, signed_in):
    client = signed_in(alice)
    form = client.get(f"/contacts/{dana.pk}/", {"part": "notes", "edit": "notes"}, headers={"HX-Request": "true"})
    assert b'data-testid="notes-input"' in form.content and b"<html" not in form.content
    saved = client.post(f"/contacts/{dana.pk}/notes", {"notes": "Prefers mornings."}, headers={"HX-Request": "true"})
    assert b"Prefers mornings." in saved.content and b'data-testid="notes-input"' not in saved.content
    dana.refresh_from_db()
    assert dana.notes == "Prefers mornings."
    # Without JavaScript: the edit link renders the form in the page, the post comes back to it.
    assert b'data-testid="notes-input"' in client.get(f"/contacts/{dana.pk}/", {"edit": "notes"}).content
    assert client.post(f"/contacts/{dana.pk}/notes", {"notes": "x"}).status_code == 302


def test_notes_that_are_too_long_are_refused(alice, dana, signed_in):
    response = signed_in(alice).post(f"/contacts/{dana.pk}/notes", {"notes": "x" * 10_001})
    assert response.status_code == 400
    dana.refresh_from_db()
    assert dana.notes is None


def test_posts_without_the_csrf_token_are_refused(alice, dana, signed_in):
    client = signed_in(alice, enforce_csrf_checks=True)
    assert client.post(f"/contacts/{dana.pk}/tags/add", {"name": "Sneaky"}).status_code == 403
    assert client.post(f"/contacts/{dana.pk}/notes", {"notes": "Sneaky"}).status_code == 403
    assert [t.name for t in dana.tags.all()] == ["VIP"]
    # With the token htmx sends from <body hx-headers>, the same post goes through.
    page = client.get(f"/contacts/{dana.pk}/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post(
        f"/contacts/{dana.pk}/tags/add", {"name": "Fine"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 200


def test_a_calls_contact_is_a_page_of_its_own_without_javascript(alice, carol, franchise_a, make_call, signed_in):
    contact_upsert(franchise=franchise_a, primary_phone="+13125550177", first_name="Robin")
    call = make_call(franchise_a, caller_id="(312) 555-0177")
    stranger = make_call(franchise_a, caller_id="+13125550999")

    page = signed_in(alice).get(f"/contacts/for-call/{call.conversation_id}/")
    assert page.status_code == 200 and b"<html" in page.content
    assert b'data-testid="linked-contact">Robin<' in page.content
    none = signed_in(alice).get(f"/contacts/for-call/{stranger.conversation_id}/", headers={"HX-Request": "true"})
    assert b'data-testid="no-contact"' in none.content and b"<html" not in none.content
    assert signed_in(carol).get(f"/contacts/for-call/{call.conversation_id}/").status_code == 404
