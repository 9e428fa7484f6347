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

from calls import queries, search
from calls.access import calls_for_user, get_call_for_user
from calls.forms import (
    DEFAULT_DAYS,
    CallBatchStateForm,
    CallCategoryForm,
    CallCommentForm,
    CallFilterForm,
    CallStateForm,
    DashboardPeriodForm,
    parse_moment,
)
from calls.models import Call, Recording, RecordingFetch
from calls.recordings import recording_response
from calls.review import call_category_set, call_comment_add
from calls.stats import PRESET_DAYS, Period, dashboard_stats, today_in
from calls.transcript import transcript_turns
from calls.triage import call_state_set
from config.htmx import wants_fragment
from config.keyset import BadCursor, Page, two_way_page
from franchises.access import staff_view, workspace_select

PAGE_SIZE = 25
SPEEDS = ((1, "1×"), (1.25, "1.25×"), (1.5, "1.5×"), (2, "2×"))
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
        "marks": search.highlighter(raw["q"][:200]),
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
    params = QueryDict(request.POST.get("list", ""))
    if not form.is_valid():  # the list stays as it was, saying why ("Tick at least one call.")
        response = _list_response(request, params, notice=" ".join(m for ms in form.errors.values() for m in ms))
        response.status_code = 400
        return response
    calls = calls_for_user(request, form.cleaned_data["calls"])
    state = Call.State(form.cleaned_data["state"])
    changed = call_state_set(calls=calls, state=state, by=request.user, reason=form.cleaned_data["reason"])
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
    """One call: header, summary, customer and property, transcript beside the player, triage,
    comments. The linked contact comes from the contacts app as a fragment (`contacts:for_call`):
    calls know no contacts. The list's filters travel in the query string: the way back, the
    previous and next call keep them. `?t=42` (or `?t=1:05`) starts the player there."""
    call = get_call_for_user(request, conversation_id)
    recording = Recording.objects.filter(call=call).first()
    # The webhook's audio fetch, while the recording has not arrived: "pending" or "failed".
    fetch = None if recording else RecordingFetch.objects.filter(call=call).first()
    turns = transcript_turns(call)
    q = request.GET.get("q", "").strip()[:200]
    marks = search.highlighter(q)
    matches = {t.index for t in turns if marks and marks.search(t.text)}
    real_estate = [
        (name.replace("_", " ").replace("name1", "name").replace("name2", "name (2)"), name, value)
        for name in Call.REAL_ESTATE_FIELDS
        if (value := getattr(call, f"real_estate_{name}"))
    ]
    newer, older = _neighbours(request, call)
    context = {
        **_review_context(request, call),
        "recording": recording,
        "recording_fetch": fetch,
        "start_at": parse_moment(request.GET.get("t", "")[:12]),
        "speeds": SPEEDS,
        "turns": turns,
        "matches": matches,
        "marks": marks,
        "q": q,
        "approximate": any(t.approximate for t in turns),
        "real_estate": real_estate,
        "newer": newer,
        "older": older,
    }
    return render(request, "calls/detail.html", context)


def _review_context(request: HttpRequest, call: Call, **forms) -> dict:
    """What the call page's triage, comments and category panels show (each is a fragment too)."""
    list_query = request.GET.copy()
    list_query.pop("t", None)
    categories = queries.call_choices(call.franchise, "call_category")
    return {
        "call": call,
        "region": call.franchise.phone_region,
        "list_query": list_query.urlencode(),
        "state_form": CallStateForm(),
        "comments": call.comments.select_related("author"),
        "comment_form": forms.get("comment_form") or CallCommentForm(duration=call.duration),
        "category_form": forms.get("category_form")
        or CallCategoryForm({"category": call.call_category}, categories=categories),
    }


def _neighbours(request: HttpRequest, call: Call) -> tuple[Call | None, Call | None]:
    """The calls just newer and just older than `call` in the list it was opened from (its filters
    are the query string's); none for filters that cannot be read."""
    form = CallFilterForm(request.GET, franchise=request.workspace.franchise)
    if not form.is_valid():
        return None, None
    rows = queries.calls_for(request.workspace.franchise, form.cleaned_data["filters"]).only(
        "conversation_id", "timestamp"
    )
    here = queries.next_cursor(call.timestamp, call.id)
    return queries.keyset_before(rows, here).first(), queries.keyset_after(rows, here).first()


@require_POST
@staff_view
def call_comment(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """Add a comment to the call (at a moment of its recording); htmx gets the comments back."""
    call = get_call_for_user(request, conversation_id)
    form = CallCommentForm(request.POST, duration=call.duration)
    if form.is_valid():
        call_comment_add(call=call, author=request.user, text=form.cleaned_data["text"], at=form.cleaned_data["at"])
        if not request.htmx:
            return redirect(reverse("calls:detail", args=[conversation_id]) + _query_suffix(request.GET))
        form = None
    status = 400 if form else 200
    context = _review_context(request, call, comment_form=form)
    context["added"] = form is None
    return render(request, "calls/detail.html#comments", context, status=status)


@require_POST
@staff_view
def call_category(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """Correct the call's category; htmx gets the category panel back."""
    call = get_call_for_user(request, conversation_id)
    categories = queries.call_choices(call.franchise, "call_category")
    form = CallCategoryForm(request.POST, categories=categories)
    if form.is_valid():
        changed = call_category_set(call=call, category=form.cleaned_data["category"], known=categories)
        if not request.htmx:
            return redirect(reverse("calls:detail", args=[conversation_id]) + _query_suffix(request.GET))
        context = _review_context(request, call)
        context["category_saved"] = changed
        return render(request, "calls/detail.html#category", context)
    context = _review_context(request, call, category_form=form)
    return render(request, "calls/detail.html#category", context, status=400)


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
    return render(
        request, "calls/detail.html#triage", _review_context(request, get_call_for_user(request, conversation_id))
    )


def _query_suffix(params: QueryDict) -> str:
    return "?" + params.urlencode() if params else ""
