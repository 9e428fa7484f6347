"""Staff pages for calls: the dashboard, the filtered list, one call with its transcript and player,
its audio, and the `/insights` link the API hands out."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, reswap

from calls import queries
from calls.access import calls_for_user, get_call_for_user
from calls.forms import DEFAULT_DAYS, CallBatchStateForm, CallFilterForm, CallStateForm, DashboardPeriodForm
from calls.models import Call, Recording, RecordingFetch
from calls.recordings import recording_response
from calls.stats import PRESET_DAYS, Period, dashboard_stats, today_in
from calls.transcript import transcript_turns
from calls.triage import call_state_set
from config.htmx import wants_fragment
from config.keyset import BadCursor, Page, two_way_page
from franchises.access import staff_view, workspace_select

PAGE_SIZE = 25
COUNT_CAP = 1000  # past this the list says "more than 1000": counting every match costs a scan
INSIGHTS_CALL_ID = re.compile(r"^conv_(.{1,100})$")


@require_GET
@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """The franchise's calls over a period (the last 7, 30 or 90 days, or From–To) beside the period
    before: per day, by hour, category and location, triage states, after hours; each figure links
    to its calls. A period that cannot be is a 400 showing the last 30 days and why."""
    franchise = request.workspace.franchise
    form = DashboardPeriodForm(request.GET)
    today = today_in(franchise)
    valid = form.is_valid()
    period = form.period(today) if valid else Period.last_days(DEFAULT_DAYS, today)
    context = {"stats": dashboard_stats(franchise, period), "form": form, "presets": PRESET_DAYS}
    return render(request, "calls/dashboard.html", context, status=200 if valid else 400)


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
    return _list_response(request, request.GET)


def _list_response(request: HttpRequest, params: QueryDict, *, notice: str = "") -> HttpResponse:
    """The call list for the query `params`: the whole page, or for htmx the results (and the
    filter errors beside the fields, out of band). Filters htmx sent that cannot be read leave the
    results on screen as they were: only the errors change, and the URL stays."""
    franchise = request.workspace.franchise
    form = CallFilterForm(params, franchise=franchise)
    page, error, count = Page([]), None, None
    if form.is_valid():
        filters = form.cleaned_data["filters"]
        try:
            page = two_way_page(
                queries.call_list_rows(franchise, filters),
                params,
                size=PAGE_SIZE,
                rows_after=queries.keyset_after,
                rows_before=queries.keyset_before,
                cursor_of=lambda call: queries.next_cursor(call.timestamp, call.id),
            )
            count = queries.call_count(franchise, filters, cap=COUNT_CAP)
        except BadCursor as exc:
            error = str(exc)
    raw = form.query()
    context = {
        "count": count,
        "count_cap": COUNT_CAP,
        "form": form,
        "raw": raw,
        "rows": page.rows,
        "error": error,
        "notice": notice,
        "list_query": urlencode(form.list_query()),
        "states": Call.State.choices,
        "state_form": CallStateForm(),
    }
    context["newer_url"], context["older_url"] = page.links(raw)
    status = 400 if error or form.errors else 200
    if wants_fragment(request):
        if form.errors:
            response = render(request, "calls/list.html#filter-errors", {"form": form, "oob": True}, status=400)
            return push_url(reswap(response, "none"), False)
        return render(request, "calls/list.html#rows", {**context, "fragment": True}, status=status)
    context["locations"] = franchise.locations.order_by("name")
    context["categories"] = queries.call_choices(franchise, "call_category")
    context["agent_types"] = queries.call_choices(franchise, "agent_type")
    return render(request, "calls/list.html", context, status=status)


@require_POST
@staff_view
def call_state_batch(request: HttpRequest) -> HttpResponse:
    """Put the calls ticked in the list in one triage state, then show the list as it was (its
    filters and page come in `list`), saying what changed."""
    form = CallBatchStateForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(m for ms in form.errors.values() for m in ms))
    calls = calls_for_user(request, form.cleaned_data["calls"])
    state = Call.State(form.cleaned_data["state"])
    changed = call_state_set(calls=calls, state=state, by=request.user, reason=form.cleaned_data["reason"])
    params = QueryDict(request.POST.get("list", ""))
    if not request.htmx:
        return redirect(reverse("calls:list") + ("?" + params.urlencode() if params else ""))
    ticked = len(form.cleaned_data["calls"])
    notice = f"{ticked} call{pluralize(ticked)} marked {state.label.lower()}"
    if changed != ticked:
        notice += f" ({ticked - changed} already were)"
    return _list_response(request, params, notice=notice + ".")


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
    list_query = request.GET.copy()
    list_query.pop("t", None)
    context = {
        "call": call,
        "list_query": list_query.urlencode(),
        "state_form": CallStateForm(),
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


@require_POST
@staff_view
def call_state(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """Put one call in a triage state from its page; htmx gets the triage panel back."""
    call = get_call_for_user(request, conversation_id)
    form = CallStateForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(m for ms in form.errors.values() for m in ms))
    call_state_set(
        calls=Call.objects.filter(pk=call.pk),
        state=form.cleaned_data["state"],
        by=request.user,
        reason=form.cleaned_data["reason"],
    )
    if not request.htmx:
        return redirect(reverse("calls:detail", args=[conversation_id]) + _query_suffix(request.GET))
    call = get_call_for_user(request, conversation_id)
    context = {"call": call, "list_query": request.GET.urlencode(), "state_form": CallStateForm()}
    return render(request, "calls/detail.html#triage", context)


def _query_suffix(params: QueryDict) -> str:
    return "?" + params.urlencode() if params else ""
