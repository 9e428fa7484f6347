"""Staff pages for contacts: the list, one contact with notes, calls and inline tag editing.

Edits are ordinary form POSTs that work without JavaScript (they redirect back to the contact);
HTMX sends the same POSTs and swaps in the returned fragment instead.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from calls.access import get_call_for_user
from calls.queries import calls_with_phones
from config.errors import BadFilter
from config.htmx import wants_fragment
from config.keyset import BadCursor, Page, two_way_page
from contacts import queries, services
from contacts.access import get_contact_for_user, merged_contact_survivor
from contacts.forms import NOTES_MAX, TAG_NAME_MAX, ContactFilterForm, ContactForm, MergeForm, NotesForm, TagForm
from contacts.merges import MergeRefused, contact_merge_undo, contacts_merge
from contacts.models import Contact, ContactChange, ContactMerge, Tag
from contacts.services import (
    BadContactPhone,
    BadCountry,
    PhoneTaken,
    StaleEdit,
    TagAlreadyOn,
    contact_add,
    contact_find_by_phones,
    contact_fingerprint,
    contact_tags_add,
    contact_update,
)
from franchises.access import staff_view

PAGE_SIZE = 25
TAG_KINDS = {"tags": "Contact tags", "primary_contact_tags": "Primary-contact tags"}


@require_GET
@vary_on_headers("HX-Request")
@staff_view
def contact_list(request: HttpRequest) -> HttpResponse:
    """Contacts in id order, with search and a tag filter in the query string."""
    franchise = request.workspace.franchise
    form = ContactFilterForm(request.GET)
    page, error = Page([]), None
    if form.is_valid():
        try:
            filters = queries.ContactFilters.parse(
                franchise, search=form.cleaned_data["search"] or None, tag=form.cleaned_data["tag"] or None
            )
            page = two_way_page(
                queries.contacts_for(franchise, filters).prefetch_related("tags"),
                request.GET,
                size=PAGE_SIZE,
                rows_after=queries.keyset_after,
                rows_before=queries.keyset_before,
                cursor_of=lambda contact: queries.next_cursor(contact.id),
            )
        except (BadFilter, BadCursor) as exc:
            error = str(exc)
    raw = form.query()
    context = {"form": form, "raw": raw, "rows": page.rows, "error": error}
    context["newer_url"], context["older_url"] = page.links(raw)
    status = 400 if error or form.errors else 200
    if wants_fragment(request):
        return render(request, "contacts/list.html#rows", context, status=status)
    context["all_tags"] = Tag.objects.filter(franchise=franchise).order_by("name")
    return render(request, "contacts/list.html", context, status=status)


def _tag_context(contact: Contact, kind: str, error: str | None = None, *, focus: str = "", status: str = "") -> dict:
    return {
        "contact": contact,
        "kind": kind,
        "label": TAG_KINDS[kind],
        "tags": getattr(contact, kind).order_by("name"),
        "tag_error": error,
        "tag_status": status,
        # Where focus goes after the swap: "input", or the name of the chip whose remove button takes it.
        "focus": focus,
        "history_oob": bool(status),  # something changed, or was refused: the history is sent along
    }


def _details_context(contact: Contact, form: ContactForm | None = None) -> dict:
    """The details card: read, or (with `form`) edited."""
    dnc = None
    if contact.do_not_call:
        # The reason staff gave when they last turned do-not-call on (kept with that change).
        dnc = contact.changes.filter(changes__do_not_call__1=True).only("at", "reason", "source").first()
    return {"contact": contact, "details_form": form, "dnc_change": dnc}


def _edit_form(contact: Contact, data=None) -> ContactForm:
    form = ContactForm(data, contact=contact)
    if data is None:
        form.initial["seen"] = contact_fingerprint(contact, ContactForm.COLUMNS)
        form.fields["first_name"].widget.attrs.update({"autofocus": True, "data-focus-after-swap": True})
    return form


def _notes_context(contact: Contact, editing: bool, *, error: str = "", mine: str = "") -> dict:
    """The notes card, read or edited; after a refused stale save, `mine` is what the editor wrote."""
    form = None
    if editing:
        form = NotesForm(initial={"notes": contact.notes or "", "seen": contact_fingerprint(contact, ["notes"])})
    return {"contact": contact, "editing_notes": editing, "notes_form": form, "notes_error": error, "notes_mine": mine}


def _page_context(
    contact: Contact, *, details_form: ContactForm | None = None, editing_notes: bool = False, **notes: Any
) -> dict:
    """Everything the whole contact page shows; the parts being edited as given."""
    undo = (
        ContactMerge.objects.filter(
            survivor=contact, undone_at__isnull=True, at__gte=timezone.now() - ContactMerge.UNDO_FOR
        )
        .select_related("merged")
        .first()
    )
    return {
        **_details_context(contact, details_form),
        **_notes_context(contact, editing_notes, **notes),
        "tag_editors": [_tag_context(contact, kind) for kind in TAG_KINDS],
        "merge_undo": undo,
        "calls": list(
            calls_with_phones(contact.franchise_id, contact.phones)
            .select_related("location")
            .defer("transcript", "transcript_turns")[:50]
        ),
    }


def _contact_or_redirect(request: HttpRequest, contact_id: int) -> Contact | HttpResponse:
    survivor = merged_contact_survivor(request, contact_id)
    if survivor is not None:
        return redirect("contacts:detail", contact_id=survivor.pk)
    return get_contact_for_user(request, contact_id)


@require_GET
@staff_view
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact: details (edit in place), notes (edit in place), tags, calls, dial and change
    history. A contact merged into another redirects to it."""
    contact = _contact_or_redirect(request, contact_id)
    if isinstance(contact, HttpResponse):
        return contact
    part, editing = request.GET.get("part"), request.GET.get("edit")
    # A fragment back to reading (Cancel) puts focus back on its Edit button.
    if wants_fragment(request) and part == "notes":
        context = {**_notes_context(contact, editing == "notes"), "refocus": True}
        return render(request, "contacts/detail.html#notes", context)
    details_form = _edit_form(contact) if editing == "details" else None
    if wants_fragment(request) and part == "details":
        context = {**_details_context(contact, details_form), "refocus": True}
        return render(request, "contacts/detail.html#details", context)
    context = _page_context(contact, details_form=details_form, editing_notes=editing == "notes")
    return render(request, "contacts/detail.html", context)


def _phone_error(form: ContactForm, exc: BadContactPhone | PhoneTaken | BadCountry, franchise) -> None:
    """The contact rules' refusal as an error on its field; a phone taken names (and links) the other contact."""
    if isinstance(exc, BadCountry):  # two letters as typed, more once upper-cased ("ßß" is "SSSS")
        form.add_error("addr_country", "Give a two-letter country code, e.g. US.")
        return
    if isinstance(exc, BadContactPhone):
        what = "phone" if exc.field == "primary_phone" else "one of these phones"
        form.add_error(exc.field, f"This is not a {what} we can read: give the area code, or +country code.")
        return
    other = Contact.objects.filter(franchise=franchise, pk=exc.contact_id).first()
    name = other.display_name if other else f"contact #{exc.contact_id}"
    url = reverse("contacts:detail", args=[exc.contact_id])
    message = format_html(
        '{} already belongs to <a href="{}" data-testid="phone-owner">{}</a> (one phone, one contact). '
        "Merge the two contacts if they are the same person.",
        exc.number,
        url,
        name,
    )
    form.add_error(exc.field or "primary_phone", message)


@require_POST
@staff_view
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Save the details form. A field the rules refuse (a phone that is another contact's) comes
    back as that field's error; a save over someone else's change since the form was opened is
    refused, showing what they saved."""
    contact = get_contact_for_user(request, contact_id)
    form = _edit_form(contact, request.POST)
    status = 400
    if form.is_valid():
        changes = form.changes()
        reason = form.cleaned_data["dnc_reason"].strip() if changes["do_not_call"] != contact.do_not_call else ""
        try:
            contact = contact_update(
                franchise=request.workspace.franchise,
                contact_id=contact.pk,
                changes=changes,
                by=request.user,
                source=ContactChange.Source.STAFF,
                reason=reason,
                seen=form.cleaned_data["seen"] or None,
            )
        except (BadContactPhone, PhoneTaken, BadCountry) as exc:
            _phone_error(form, exc, request.workspace.franchise)
        except StaleEdit:
            contact.refresh_from_db()
            form = _edit_form(contact)
            form.stale = True
            status = 409
        else:
            if not request.htmx:
                return redirect("contacts:detail", contact_id=contact.pk)
            return render(
                request,
                "contacts/detail.html#details",
                {**_details_context(contact), "saved": True, "history_oob": True},
            )
    if request.htmx:
        return render(request, "contacts/detail.html#details", _details_context(contact, form), status=status)
    return render(request, "contacts/detail.html", _page_context(contact, details_form=form), status=status)


@require_POST
@staff_view
def contact_notes(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Save the notes; HTMX gets the notes block back, a plain form post is sent back to the page.
    Notes someone else saved since the editor opened them are never overwritten: the editor comes
    back with theirs, saying so, and the text being written is kept to copy from."""
    contact = get_contact_for_user(request, contact_id)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return HttpResponse(f"notes is required and at most {NOTES_MAX} characters", status=400)
    try:
        contact = contact_update(
            franchise=request.workspace.franchise,
            contact_id=contact.pk,
            changes={"notes": form.cleaned_data["notes"].strip() or None},
            by=request.user,
            source=ContactChange.Source.STAFF,
            seen=form.cleaned_data["seen"] or None,
        )
    except StaleEdit:
        contact.refresh_from_db()
        mine = form.cleaned_data["notes"]
        if request.htmx:
            context = _notes_context(contact, True, error="stale", mine=mine)
            return render(request, "contacts/detail.html#notes", context, status=409)
        context = _page_context(contact, editing_notes=True, error="stale", mine=mine)
        return render(request, "contacts/detail.html", context, status=409)
    if not request.htmx:
        return redirect("contacts:detail", contact_id=contact.pk)
    context = {**_notes_context(contact, False), "notes_saved": True, "history_oob": True}
    return render(request, "contacts/detail.html#notes", context)


def _tag_response(
    request: HttpRequest, contact: Contact, kind: str, error: str | None = None, **extra: str
) -> HttpResponse:
    if not request.htmx:
        if error:
            return HttpResponse(error, status=400, content_type="text/plain")
        return redirect("contacts:detail", contact_id=contact.pk)
    return render(
        request,
        "contacts/detail.html#tag_editor",
        _tag_context(contact, kind, error, **extra),
        status=400 if error else 200,
    )


@require_POST
@staff_view
def contact_tag_add(request: HttpRequest, contact_id: int, kind: str) -> HttpResponse:
    """Add one tag (an existing one of the franchise, matched ignoring case, or a new one). One
    already on the list is not added twice, and the editor says so."""
    if kind not in TAG_KINDS:
        raise Http404("No such tag list")
    contact = get_contact_for_user(request, contact_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _tag_response(request, contact, kind, form.errors["name"][0], focus="input")
    name = form.cleaned_data["name"]
    try:
        contact_tags_add(contact=contact, kind=kind, names=[name], by=request.user, refuse_present=True)
    except TagAlreadyOn as exc:
        return _tag_response(request, contact, kind, focus="input", status=f"{exc.name} is already on this contact.")
    return _tag_response(request, contact, kind, focus="input", status=f"Added {name}.")


@require_POST
@staff_view
def contact_tag_remove(request: HttpRequest, contact_id: int, kind: str, tag_id: int) -> HttpResponse:
    """Take one tag off the contact (the tag itself stays for other contacts). Focus goes to the
    next chip's remove button, else the previous one's, else the tag field."""
    if kind not in TAG_KINDS:
        raise Http404("No such tag list")
    contact = get_contact_for_user(request, contact_id)
    tag = Tag.objects.filter(franchise=request.workspace.franchise, pk=tag_id).first()
    if tag is None:
        raise Http404("No such tag")
    names = list(getattr(contact, kind).order_by("name").values_list("name", flat=True))
    services.contact_tag_remove(contact=contact, kind=kind, tag=tag, by=request.user)
    focus = "input"
    if tag.name in names:
        at = names.index(tag.name)
        rest = names[:at] + names[at + 1 :]
        focus = rest[min(at, len(rest) - 1)] if rest else "input"
    return _tag_response(request, contact, kind, focus=focus, status=f"Removed {tag.name}.")


@require_GET
@staff_view
def tag_suggestions(request: HttpRequest) -> HttpResponse:
    """The franchise's tags whose names contain what was typed, as options of the tag field's
    list; those already on the contact's list (`contact`, `kind`) are left out."""
    typed = " ".join(request.GET.get("name", "").split())[:TAG_NAME_MAX]
    tags = Tag.objects.filter(franchise=request.workspace.franchise)
    if typed:
        tags = tags.filter(name__icontains=typed)
    kind = request.GET.get("kind")
    if kind in TAG_KINDS and request.GET.get("contact", "").isdigit():
        contact = get_contact_for_user(request, int(request.GET["contact"]))
        tags = tags.exclude(pk__in=getattr(contact, kind).values("pk"))
    names = list(tags.order_by("name").values_list("name", flat=True)[:20])
    exact = any(n.lower() == typed.lower() for n in names)
    return render(
        request,
        "contacts/tag_options.html",
        {"names": names, "typed": typed if typed and not exact else "", "kind": kind or "tags"},
    )


@require_GET
@vary_on_headers("HX-Request")
@staff_view
def contact_for_call(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """The contact owning one of a call's phones: the call page's panel (HTMX loads it), or a small
    page of its own for a reader without JavaScript."""
    call = get_call_for_user(request, conversation_id)
    contact = contact_find_by_phones(franchise=call.franchise, phones=call.phones) if call.phones else None
    template = "contacts/for_call.html#panel" if wants_fragment(request) else "contacts/for_call.html"
    return render(request, template, {"call": call, "contact": contact})


@require_http_methods(["GET", "POST"])
@staff_view
def contact_new(request: HttpRequest) -> HttpResponse:
    """A new contact, typed in or (`?call=<conversation_id>`) prefilled from a call that has none."""
    franchise = request.workspace.franchise
    call = None
    conversation_id = request.GET.get("call") or request.POST.get("call")
    if conversation_id:
        call = get_call_for_user(request, conversation_id)
    if request.method == "GET":
        form = ContactForm(initial=_from_call(call) if call else {})
        return render(request, "contacts/new.html", {"form": form, "call": call})
    form = ContactForm(request.POST)
    if form.is_valid():
        changes = form.changes()
        changes.pop("do_not_call")
        reason = f"From the call of {call.timestamp:%b %-d, %Y}" if call else ""
        if form.cleaned_data["do_not_call"]:
            changes["do_not_call"] = True
            reason = form.cleaned_data["dnc_reason"].strip()
        try:
            contact = contact_add(
                franchise=franchise,
                by=request.user,
                source=ContactChange.Source.STAFF,
                reason=reason,
                **changes,
            )
        except (BadContactPhone, PhoneTaken, BadCountry) as exc:
            _phone_error(form, exc, franchise)
        else:
            return redirect("contacts:detail", contact_id=contact.pk)
    return render(request, "contacts/new.html", {"form": form, "call": call}, status=400)


def _from_call(call) -> dict:
    """What a call says about its caller, as a new contact's fields."""
    name = (call.customer_name or "").split()
    phones = [p for p in (call.customer_phone, call.callback_number, call.caller_id) if p]
    return {
        "first_name": " ".join(name[:-1]) if len(name) > 1 else " ".join(name),
        "last_name": name[-1] if len(name) > 1 else "",
        "primary_phone": phones[0] if phones else "",
        "alternate_phones": "\n".join(dict.fromkeys(p for p in phones[1:] if p != phones[0])),
        "primary_email": call.customer_email or "",
        "addr_line1": call.service_location or "",
    }


@require_http_methods(["GET", "POST"])
@staff_view
def contact_merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Merge a duplicate into this contact: find it (likely duplicates are offered, or search), pick
    per field whose value stays, merge. The duplicate's page then redirects here; undo for a day."""
    contact = get_contact_for_user(request, contact_id)
    franchise = request.workspace.franchise
    other_id = request.POST.get("other") or request.GET.get("other")
    other = get_contact_for_user(request, int(other_id)) if other_id and other_id.isdigit() else None
    if other is not None and other.pk == contact.pk:
        other = None
    if request.method == "POST" and other is not None:
        form = MergeForm(request.POST, survivor=contact, merged=other)
        if form.is_valid():
            try:
                contacts_merge(
                    franchise=franchise,
                    survivor_id=contact.pk,
                    merged_id=other.pk,
                    take=form.taken(),
                    by=request.user,
                )
            except MergeRefused as exc:
                form.add_error(None, exc.detail)
            else:
                return redirect("contacts:detail", contact_id=contact.pk)
        return render(request, "contacts/merge.html", _merge_context(request, contact, other, form), status=400)
    form = MergeForm(survivor=contact, merged=other) if other is not None else None
    return render(request, "contacts/merge.html", _merge_context(request, contact, other, form))


def _merge_context(request: HttpRequest, contact: Contact, other: Contact | None, form) -> dict:
    search = request.GET.get("search", "").strip()[:200]
    found = []
    if other is None:
        franchise = request.workspace.franchise
        if search:
            filters = queries.ContactFilters.parse(franchise, search=search)
            found = list(queries.contacts_for(franchise, filters).exclude(pk=contact.pk)[:10])
        else:
            found = queries.contact_duplicates(contact)
    return {"contact": contact, "other": other, "form": form, "search": search, "found": found}


@require_POST
@staff_view
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    """Undo a merge of the last day: both contacts as they were; back to the duplicate's page."""
    if not ContactMerge.objects.filter(franchise=request.workspace.franchise, pk=merge_id).exists():
        raise Http404("No such merge")
    try:
        merge = contact_merge_undo(franchise=request.workspace.franchise, merge_id=merge_id, by=request.user)
    except MergeRefused as exc:
        return render(request, "contacts/merge_refused.html", {"reason": exc.detail}, status=409)
    return redirect("contacts:detail", contact_id=merge.merged_id)
