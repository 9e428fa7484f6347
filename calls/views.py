"""Staff pages for calls: the dashboard, the filtered list, one call with its transcript and player,
its audio, and the `/insights` link the API hands out."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from calls import queries
from calls.access import get_call_for_user
from calls.forms import CallFilterForm
from calls.models import Call, Recording, RecordingFetch
from calls.recordings import recording_response
from calls.stats import dashboard_stats
from calls.transcript import transcript_turns
from config.htmx import wants_fragment
from config.keyset import BadCursor, Page, two_way_page
from franchises.access import staff_view, workspace_select

PAGE_SIZE = 25
INSIGHTS_CALL_ID = re.compile(r"^conv_(.{1,100})$")


@require_GET
@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Calls over the last 30 days: per day, by category, by location, recordings, median length."""
    stats = dashboard_stats(request.workspace.franchise, days=30)
    return render(request, "calls/dashboard.html", {"stats": stats})


@require_GET
@login_required
def insights(request: HttpRequest) -> HttpResponse:
    """`/insights?tab=calldata&callId=conv_<conversation_id>`, the API's `recording_breesy_url`: the
    call's page, in the call's franchise if the user belongs to it; anything else is a 404."""
    match = INSIGHTS_CALL_ID.match(request.GET.get("callId", ""))
    if request.GET.get("tab", "calldata") != "calldata" or not match:
        return HttpResponseBadRequest("Expected ?tab=calldata&callId=conv_<conversation_id>.")
    call = Call.objects.filter(conversation_id=match.group(1)).only("franchise_id", "conversation_id").first()
    if call is None or not workspace_select(request, str(call.franchise_id)):
        raise Http404("No such call")
    return redirect("calls:detail", conversation_id=call.conversation_id)


@require_GET
@vary_on_headers("HX-Request")
@staff_view
def call_list(request: HttpRequest) -> HttpResponse:
    """Newest calls first; filters and the search box live in the query string."""
    franchise = request.workspace.franchise
    form = CallFilterForm(request.GET, franchise=franchise)
    page, error = Page([]), None
    if form.is_valid():
        try:
            page = two_way_page(
                queries.call_list_rows(franchise, form.cleaned_data["filters"]),
                request.GET,
                size=PAGE_SIZE,
                rows_after=queries.keyset_after,
                rows_before=queries.keyset_before,
                cursor_of=lambda call: queries.next_cursor(call.timestamp, call.id),
            )
        except BadCursor as exc:
            error = str(exc)
    raw = form.query()
    context = {"form": form, "raw": raw, "rows": page.rows, "error": error}
    context["newer_url"], context["older_url"] = page.links(raw)
    status = 400 if error or form.errors else 200
    if wants_fragment(request):
        return render(request, "calls/list.html#rows", context, status=status)
    context["locations"] = franchise.locations.order_by("name")
    context["categories"] = queries.call_choices(franchise, "call_category")
    context["agent_types"] = queries.call_choices(franchise, "agent_type")
    return render(request, "calls/list.html", context, status=status)


@require_GET
@staff_view
def call_detail(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """One call: header, summary, customer and property, transcript beside the player. The linked
    contact comes from the contacts app as a fragment (`contacts:for_call`): calls know no contacts."""
    call = get_call_for_user(request, conversation_id)
    recording = Recording.objects.filter(call=call).first()
    # The webhook's audio fetch, while the recording has not arrived: "pending" or "failed".
    fetch = None if recording else RecordingFetch.objects.filter(call=call).first()
    turns = transcript_turns(call)
    q = request.GET.get("q", "").strip()[:200]
    words = [w.lower() for w in q.split() if len(w) > 1]
    matches = {t.index for t in turns if words and any(w in t.text.lower() for w in words)}
    real_estate = [
        (name.replace("_", " ").replace("name1", "name").replace("name2", "name (2)"), value)
        for name in Call.REAL_ESTATE_FIELDS
        if (value := getattr(call, f"real_estate_{name}"))
    ]
    context = {
        "call": call,
        "recording": recording,
        "recording_fetch": fetch,
        "turns": turns,
        "matches": matches,
        "q": q,
        "approximate": any(t.approximate for t in turns),
        "real_estate": real_estate,
    }
    return render(request, "calls/detail.html", context)


@require_http_methods(["GET", "HEAD"])
@staff_view
def call_recording(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """The call's audio for the staff player, with Range so seeking works; `?download=1` saves it."""
    recording = queries.recording_of(franchise_id=request.workspace.franchise.pk, conversation_id=conversation_id)
    if recording is None:
        raise Http404("This call has no recording yet")
    return recording_response(
        request, recording, conversation_id=conversation_id, download=bool(request.GET.get("download"))
    )
