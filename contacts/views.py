"""Staff pages for contacts: the list, one contact with notes, calls and inline tag editing.

Edits are ordinary form POSTs that work without JavaScript (they redirect back to the contact);
HTMX sends the same POSTs and swaps in the returned fragment instead.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from calls.access import get_call_for_user
from calls.queries import calls_with_phones
from config.errors import BadFilter
from config.htmx import wants_fragment
from config.keyset import BadCursor, Page, two_way_page
from contacts import queries
from contacts.access import get_contact_for_user
from contacts.forms import NOTES_MAX, TAG_NAME_MAX, ContactFilterForm, NotesForm, TagForm
from contacts.models import Contact, Tag
from contacts.services import contact_find_by_phones, contact_tags_add
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


def _tag_context(contact: Contact, kind: str, error: str | None = None) -> dict:
    return {
        "contact": contact,
        "kind": kind,
        "label": TAG_KINDS[kind],
        "tags": getattr(contact, kind).order_by("name"),
        "tag_error": error,
    }


@require_GET
@staff_view
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact: details, notes (edit in place), tags, and the calls from its phones."""
    contact = get_contact_for_user(request, contact_id)
    context = {
        "contact": contact,
        "editing_notes": request.GET.get("edit") == "notes",
        "tag_editors": [_tag_context(contact, kind) for kind in TAG_KINDS],
        "calls": list(
            calls_with_phones(contact.franchise_id, contact.phones)
            .select_related("location")
            .defer("transcript", "transcript_turns")[:50]
        ),
    }
    if wants_fragment(request) and request.GET.get("part") == "notes":
        return render(request, "contacts/detail.html#notes", context)
    return render(request, "contacts/detail.html", context)


@require_POST
@staff_view
def contact_notes(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Save the notes; HTMX gets the notes block back, a plain form post is sent back to the page."""
    contact = get_contact_for_user(request, contact_id)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return HttpResponse(f"notes is required and at most {NOTES_MAX} characters", status=400)
    contact.notes = form.cleaned_data["notes"].strip() or None
    contact.save(update_fields=["notes", "updated_at"])
    if not request.htmx:
        return redirect("contacts:detail", contact_id=contact.pk)
    return render(request, "contacts/detail.html#notes", {"contact": contact, "editing_notes": False})


def _tag_response(request: HttpRequest, contact: Contact, kind: str, error: str | None = None) -> HttpResponse:
    if not request.htmx:
        if error:
            return HttpResponse(error, status=400, content_type="text/plain")
        return redirect("contacts:detail", contact_id=contact.pk)
    return render(
        request, "contacts/detail.html#tag_editor", _tag_context(contact, kind, error), status=400 if error else 200
    )


@require_POST
@staff_view
def contact_tag_add(request: HttpRequest, contact_id: int, kind: str) -> HttpResponse:
    """Add one tag (an existing one of the franchise, matched ignoring case, or a new one)."""
    if kind not in TAG_KINDS:
        raise Http404("No such tag list")
    contact = get_contact_for_user(request, contact_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _tag_response(request, contact, kind, form.errors["name"][0])
    contact_tags_add(contact=contact, kind=kind, names=[form.cleaned_data["name"]])
    return _tag_response(request, contact, kind)


@require_POST
@staff_view
def contact_tag_remove(request: HttpRequest, contact_id: int, kind: str, tag_id: int) -> HttpResponse:
    """Take one tag off the contact (the tag itself stays for other contacts)."""
    if kind not in TAG_KINDS:
        raise Http404("No such tag list")
    contact = get_contact_for_user(request, contact_id)
    tag = Tag.objects.filter(franchise=request.workspace.franchise, pk=tag_id).first()
    if tag is None:
        raise Http404("No such tag")
    getattr(contact, kind).remove(tag)
    return _tag_response(request, contact, kind)


@require_GET
@staff_view
def tag_suggestions(request: HttpRequest) -> HttpResponse:
    """`<option>`s of the franchise's tags whose names contain what was typed, for a `<datalist>`."""
    typed = " ".join(request.GET.get("name", "").split())[:TAG_NAME_MAX]
    tags = Tag.objects.filter(franchise=request.workspace.franchise)
    if typed:
        tags = tags.filter(name__icontains=typed)
    names = list(tags.order_by("name").values_list("name", flat=True)[:20])
    return render(request, "contacts/tag_options.html", {"names": names})


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
