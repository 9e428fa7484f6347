"""Contact pages in Chromium: the tag field's bugs, fixing a caller's phone and merging a duplicate
on the demo data keyboard-first, and every contact page at phone and desktop size under axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from contacts.models import Contact, Tag
from contacts.services import contact_upsert
from demo.seed import DEMO_USERNAME, demo_password, demo_seed
from tests.browser.conftest import axe_violations, wait_until
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dana(franchise_a, bob):
    contact, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+13125550123", first_name="Dana", last_name="Flood", tags=["VIP", "Roof"]
    )
    for name in ("Commercial", "Water damage", "VIP customer"):
        Tag.objects.create(franchise=franchise_a, name=name)
    return contact


def settled(page: Page) -> None:
    wait_until(page, "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def test_the_tag_field_adds_what_is_highlighted_and_keeps_focus(page: Page, live_server, dana, csp_violations):
    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/contacts/{dana.pk}/")
    editor = page.locator("#tag-editor-tags")
    field = editor.get_by_test_id("tag-input")

    # A stray "co" with "Commercial" highlighted: Enter adds Commercial, not a tag called "co".
    field.press_sequentially("co", delay=50)
    expect(editor.get_by_role("option", name="Commercial")).to_have_attribute("aria-selected", "true")
    field.press("Enter")
    expect(editor.get_by_test_id("tag-chip")).to_have_text(["Commercial ×", "Roof ×", "VIP ×"])
    assert not Tag.objects.filter(name__iexact="co").exists()
    expect(editor.get_by_test_id("tag-input")).to_be_focused()  # ready for the next tag

    # Tags already on the contact are not suggested; arrows move the highlight.
    field = editor.get_by_test_id("tag-input")
    field.press_sequentially("vi", delay=50)
    expect(editor.get_by_test_id("tag-option")).to_have_text(["VIP customer"])
    field.press("ArrowDown")
    expect(editor.get_by_test_id("tag-option-new")).to_have_attribute("aria-selected", "true")
    field.press("Escape")
    field.fill("vip")
    editor.get_by_test_id("tag-add").click()  # the Add button adds exactly what was typed: already there
    expect(editor.get_by_test_id("tag-status")).to_have_text("VIP is already on this contact.")
    expect(editor.get_by_test_id("tag-chip")).to_have_count(3)
    expect(editor.get_by_test_id("tag-input")).to_be_focused()  # still in the field, to type another

    # Removing a chip by keyboard leaves focus on the next chip's remove button, then the field.
    # (Each key waits until htmx has settled the last swap, as a person's next key press would.)
    settled(page)
    editor.get_by_role("button", name="Remove Roof from contact tags").press("Enter")
    expect(editor.get_by_role("button", name="Remove VIP from contact tags")).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(editor.get_by_role("button", name="Remove Commercial from contact tags")).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(editor.get_by_test_id("tag-chip")).to_have_count(0)
    expect(editor.get_by_test_id("tag-input")).to_be_focused()
    editor.get_by_test_id("tag-input").press_sequentially("wa", delay=50)  # typing again after the adds and removals
    expect(editor.get_by_test_id("tag-option")).to_have_text(["Water damage"])
    assert csp_violations == []


def test_on_the_demo_a_staff_member_fixes_a_callers_phone_and_merges_the_duplicate(
    page: Page, live_server, csp_violations
):
    demo = demo_seed(calls=12, contacts=8)
    twin = Contact.objects.filter(franchise=demo.franchise).last()
    original = Contact.objects.filter(
        franchise=demo.franchise, first_name=twin.first_name, last_name=twin.last_name
    ).first()
    someone = Contact.objects.filter(franchise=demo.franchise).exclude(pk__in=[twin.pk, original.pk]).first()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/contacts/{twin.pk}/")

    # Keyboard only: open the details form; focus lands in it.
    page.get_by_test_id("details-edit").focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # visible focus
    page.keyboard.press("Enter")
    expect(page.get_by_label("First name")).to_be_focused()
    phone = page.get_by_label("Phone", exact=True)
    phone.fill(someone.primary_phone)
    phone.press("Enter")
    # One phone, one contact: the field says whose it is, with a link, and focus goes to it.
    error = page.locator("#id_primary_phone_error")
    expect(error).to_contain_text(f"already belongs to {someone.display_name}")
    expect(error.get_by_role("link", name=someone.display_name)).to_have_attribute("href", f"/contacts/{someone.pk}/")
    expect(page.get_by_label("Phone", exact=True)).to_be_focused()
    page.get_by_label("Phone", exact=True).fill("(312) 555-7788")
    page.get_by_label("Phone", exact=True).press("Enter")
    # Shown as people write it, a tel: link to call it.
    expect(page.get_by_test_id("contact-phone").get_by_role("link")).to_have_text("(312) 555-7788")
    expect(page.get_by_test_id("contact-phone").get_by_role("link")).to_have_attribute("href", "tel:+13125557788")
    expect(page.get_by_test_id("details-edit")).to_be_focused()
    expect(page.get_by_test_id("contact-history")).to_contain_text("+13125557788")

    # Merge the original record into this one: offered as a likely duplicate, values picked, all moves.
    page.get_by_test_id("merge-start").click()
    page.get_by_test_id("merge-candidates").locator("li").filter(has_text=f"#{original.pk} ·").get_by_role(
        "link"
    ).click()
    page.get_by_role("group", name="Main email: keep").get_by_label(
        re.compile(re.escape(original.primary_email))
    ).check()
    page.get_by_test_id("merge-confirm").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{twin.pk}/$"))
    expect(page.get_by_test_id("merge-undo")).to_contain_text(f"#{original.pk}")
    expect(page.get_by_test_id("contact-phone")).to_have_text("(312) 555-7788")
    expect(page.locator(f"[data-testid=contact-other-phones] a[href='tel:{original.primary_phone}']")).to_be_visible()
    expect(page.get_by_test_id("contact-details")).to_contain_text(original.primary_email)
    page.goto(f"{live_server.url}/contacts/{original.pk}/")
    expect(page).to_have_url(re.compile(rf"/contacts/{twin.pk}/$"))  # the merged record leads here

    page.get_by_test_id("merge-undo-button").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{original.pk}/$"))
    expect(page.locator(f"[data-testid=contact-phone] a[href='tel:{original.primary_phone}']")).to_be_visible()
    assert csp_violations == []


@pytest.mark.parametrize(
    "size", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}], ids=["phone", "desktop"]
)
def test_contact_pages_fit_the_screen_and_pass_axe(page: Page, live_server, dana, franchise_a, size, csp_violations):
    dup, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550124", first_name="Dana", last_name="Flood")
    sign_in(page, live_server.url, "bob")
    page.set_viewport_size(size)
    # The states of the contact pages that test_accessibility's tour of every page does not open.
    pages = [
        (f"/contacts/{dana.pk}/", "details-edit"),
        (f"/contacts/{dana.pk}/", "notes-edit"),
        (f"/contacts/{dana.pk}/merge/?other={dup.pk}", None),
    ]
    for path, opener in pages:
        page.goto(live_server.url + path)
        if opener:
            page.get_by_test_id(opener).click()
            expect(page.locator("form [data-focus-after-swap], form [autofocus]").first).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert axe_violations(page) == [], path
    assert csp_violations == []


def test_a_slow_save_never_takes_the_caret_from_a_field_the_user_moved_to(page: Page, live_server, dana):
    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/contacts/{dana.pk}/")
    held = []  # the contact-tag save, held until the test lets it through
    page.route(re.compile(r"/contacts/\d+/tags/add$"), lambda route: held.append(route))

    tags = page.locator("#tag-editor-tags")
    tags.get_by_test_id("tag-input").fill("Commercial")
    tags.get_by_test_id("tag-add").click()
    wait_until(page, "document.querySelector('.htmx-request') !== null")
    primary = page.locator("#tag-editor-primary_contact_tags").get_by_test_id("tag-input")
    primary.fill("Land")  # while that save is on its way, the user goes on in the next editor

    held[0].continue_()
    expect(tags.get_by_test_id("tag-chip")).to_have_count(3)
    settled(page)
    expect(primary).to_be_focused()
    page.keyboard.type("lord")
    expect(primary).to_have_value("Landlord")


def test_escape_closes_the_notes_editor_unsaved_and_returns_to_its_edit_button(
    page: Page, live_server, dana, csp_violations
):
    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/contacts/{dana.pk}/")
    page.get_by_test_id("notes-edit").press("Enter")
    expect(page.get_by_test_id("notes-input")).to_be_focused()
    page.keyboard.type("Gate code 4411")

    page.keyboard.press("Escape")  # as the editor's Cancel: nothing saved, back where the edit began
    expect(page.get_by_test_id("notes-input")).to_have_count(0)
    expect(page.get_by_test_id("contact-notes")).to_have_text("No notes yet.")
    expect(page.get_by_test_id("notes-edit")).to_be_focused()
    dana.refresh_from_db()
    assert not dana.notes  # nothing was saved
    assert csp_violations == []


def test_escape_closes_the_details_editor_unsaved_and_returns_to_its_edit_button(
    page: Page, live_server, dana, csp_violations
):
    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/contacts/{dana.pk}/")
    first_name = dana.first_name
    page.get_by_test_id("details-edit").press("Enter")
    expect(page.get_by_label("First name")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Danielle")

    page.keyboard.press("Escape")
    expect(page.get_by_test_id("details-form")).to_have_count(0)
    expect(page.get_by_test_id("details-edit")).to_be_focused()
    dana.refresh_from_db()
    assert dana.first_name == first_name != "Danielle"
    assert csp_violations == []
