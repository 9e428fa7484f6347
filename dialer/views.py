"""The dialer's staff pages: the PhoneBurner link, the call-back queue, the launch dialog, dial
sessions, the owner's dial settings and the team's usage."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from calls.models import Call
from contacts.models import Contact
from dialer import queries
from dialer.callbacks import callback_begin, callback_contact_displayed, callback_done, session_for_callback
from dialer.forms import DialSettingsForm, LaunchForm, PhoneBurnerTokenForm, QueueFilterForm, QueueSettingsForm
from dialer.gate import OPEN_SESSION, dial_gate
from dialer.models import DialerSettings, DialSession, PhoneBurnerAccount
from dialer.outcomes import queue_count_key
from dialer.phoneburner.client import PhoneBurnerError
from dialer.phoneburner.types import CallBegin, CallDone, ContactDisplayed
from dialer.services import (
    MAX_CONTACTS,
    LaunchFailed,
    NobodyToDial,
    NotLinked,
    contacts_for_calls,
    dial_session_end,
    dial_session_launch,
    phoneburner_account_link,
    phoneburner_account_unlink,
    phoneburner_client,
)
from franchises.access import staff_view

QUEUE_PAGE = 100
# What a queue row shows (a call's transcript is kilobytes the page never reads).
QUEUE_COLUMNS = (
    "conversation_id", "timestamp", "call_category", "customer_name", "call_summary",
    "callback_number_e164", "caller_id_e164", "customer_phone_e164", "location__name",
)  # fmt: skip
USAGE_DAYS = 30


# --- The PhoneBurner link ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view
def account(request: HttpRequest) -> HttpResponse:
    """Link (paste an access token, checked with PhoneBurner) or unlink the user's own account."""
    form = PhoneBurnerTokenForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "unlink":
            phoneburner_account_unlink(user=request.user)
            return redirect("dialer:account")
        form = PhoneBurnerTokenForm(request.POST)
        if form.is_valid():
            try:
                linked = phoneburner_account_link(user=request.user, token=form.cleaned_data["token"])
            except PhoneBurnerError as error:
                form.add_error("token", str(error))
            else:
                return redirect("dialer:account")
        status = 400
    linked = PhoneBurnerAccount.objects.filter(user=request.user).first()
    return render(request, "dialer/account.html", {"form": form, "linked": linked}, status=status)


# --- The call-back queue ------------------------------------------------------------------------------


def _queue_filters(request: HttpRequest, franchise, chosen) -> tuple[QueueFilterForm, queries.QueueFilters]:
    form = QueueFilterForm(request.GET, franchise=franchise, categories=queries.queue_categories(franchise, chosen))
    if not form.is_valid():
        return form, queries.QueueFilters()
    data = form.cleaned_data
    return form, queries.QueueFilters(
        location=uuid.UUID(data["location"]) if data["location"] else None,
        category=data["category"] or None,
        age=data["age"] or None,
    )


@require_GET
@staff_view
def queue(request: HttpRequest) -> HttpResponse:
    """Callers still waiting for a human, one row each, newest call first; "Dial these" dials them."""
    franchise = request.workspace.franchise
    chosen = queries.dialer_settings(franchise)
    form, filters = _queue_filters(request, franchise, chosen)
    rows = queries.queue_calls(franchise, filters, chosen=chosen).only(*QUEUE_COLUMNS)
    shown = list(rows[: QUEUE_PAGE + 1])
    total = len(shown) if len(shown) <= QUEUE_PAGE else rows.count()
    contacts = Contact.objects.in_bulk([r.caller_contact_id for r in shown if r.caller_contact_id])
    for row in shown:
        row.contact = contacts.get(row.caller_contact_id)
    context = {
        "form": form,
        "rows": shown[:QUEUE_PAGE],
        "total": total,
        "dial_query": form.query(),
        "now": timezone.now(),
        "max_contacts": MAX_CONTACTS,
        "status": 200 if form.is_valid() else 400,
    }
    return render(request, "dialer/queue.html", context, status=context["status"])


# --- Launching ---------------------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # bigint: a larger number is no row's id (and the database refuses to compare it)


def _ids(values: list[str]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(v) for v in values if v.strip()))
    except ValueError:
        raise Http404("Not an id") from None
    if any(not 0 < pk <= MAX_ID for pk in ids):
        raise Http404("Not an id")
    return ids


def _franchise_rows(model, franchise, ids: list[int]) -> list:
    """The franchise's rows of `model` with these ids, in their order; an id of any other is a 404."""
    found = model.objects.filter(franchise=franchise, pk__in=ids).in_bulk() if ids else {}
    if len(found) != len(ids):
        raise Http404(f"No such {model._meta.verbose_name}")
    return [found[pk] for pk in ids]


def _callers(request: HttpRequest, franchise) -> tuple[list[Contact], list[Call]]:
    """Who the dialog was asked to dial: `contact=ID`…, `tag=NAME`, `call=ID`…, or `queue=1` with
    the queue's filters. Another franchise's contact or call is a 404."""
    source = request.GET
    contacts: list[Contact] = []
    calls: list[Call] = []
    contacts += _franchise_rows(Contact, franchise, _ids(source.getlist("contact")))
    if source.get("tag"):
        contacts += Contact.objects.filter(franchise=franchise, tags__name__iexact=source["tag"]).order_by("id")
    calls += _franchise_rows(Call, franchise, _ids(source.getlist("call")))
    if source.get("queue") == "1":
        chosen = queries.dialer_settings(franchise)
        _, filters = _queue_filters(request, franchise, chosen)
        calls += list(queries.queue_calls(franchise, filters, chosen=chosen)[:MAX_CONTACTS])
    # A call whose caller is already a contact dials that contact.
    by_contact = queries.caller_contacts(franchise, calls)
    for call in calls:
        if by_contact.get(call.pk):
            contacts.append(by_contact[call.pk])
    return list(dict.fromkeys(contacts)), [c for c in calls if not by_contact.get(c.pk)]


def _allow_form_to_phoneburner(response: HttpResponse) -> HttpResponse:
    """The launch answers with a redirect to PhoneBurner, which Chromium checks against the form
    page's `form-action`: add PhoneBurner's origin to it (what django-csp's @csp_update does, with
    the origin read at request time)."""
    base = urlsplit(settings.PHONEBURNER_BASE_URL)
    response._csp_update = {"form-action": [f"{base.scheme}://{base.netloc}"]}
    return response


@require_http_methods(["GET", "POST"])
@staff_view
def launch(request: HttpRequest) -> HttpResponse:
    """GET: the launch dialog (who will be dialled, who is left out and why, mode, folder).
    POST: gate again, record the session, start it in PhoneBurner, send the browser there."""
    franchise = request.workspace.franchise
    if request.method == "POST":
        return _allow_form_to_phoneburner(_launch_post(request, franchise))
    contacts, calls = _callers(request, franchise)
    gate = dial_gate(franchise=franchise, contacts=contacts)
    form = LaunchForm(
        initial={
            "contact": [d.contact.pk for d in gate.dialable],
            "call": [c.pk for c in calls],
            "mode": DialSession.Mode.PREVIEW,
        }
    )
    context = _dialog_context(request, form, gate.dialable, gate.excluded, calls)
    return _allow_form_to_phoneburner(render(request, "dialer/launch.html", context))


def _launch_post(request: HttpRequest, franchise) -> HttpResponse:
    form = LaunchForm(request.POST)
    if not form.is_valid():
        return render(request, "dialer/launch.html", _dialog_context(request, form, [], [], []), status=400)
    data = form.cleaned_data
    contacts = _franchise_rows(Contact, franchise, data["contact"])
    calls = _franchise_rows(Call, franchise, data["call"])
    contacts += [
        c for c in contacts_for_calls(franchise=franchise, user=request.user, calls=calls) if c not in contacts
    ]
    try:
        launched = dial_session_launch(
            franchise=franchise, user=request.user, contacts=contacts, mode=data["mode"], folder_id=data["folder"]
        )
    except NobodyToDial as error:
        context = _dialog_context(request, form, [], error.excluded, [], problem=str(error))
        return render(request, "dialer/launch.html", context, status=400)
    except (LaunchFailed, NotLinked) as error:
        context = _dialog_context(request, form, [], [], [], problem=str(error))
        return render(request, "dialer/launch.html", context, status=502 if isinstance(error, LaunchFailed) else 400)
    if request.htmx:
        return HttpResponseClientRedirect(launched.redirect_url)
    return HttpResponseSeeOther(launched.redirect_url)


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET (Django's redirects are 301/302)."""

    status_code = 303


def _dialog_context(request, form, dialable, excluded, calls, problem: str | None = None) -> dict:
    linked = PhoneBurnerAccount.objects.filter(user=request.user).exists()
    folders, folders_error = [], None
    if linked and (dialable or calls):
        try:
            folders = phoneburner_client(user=request.user).folders()
        except PhoneBurnerError as error:
            folders_error = str(error)
    return {
        "form": form,
        "dialable": dialable,
        "excluded": excluded,
        "open_session_held": any(e.reason == OPEN_SESSION for e in excluded),
        "new_callers": calls,
        "count": len(dialable) + len(calls),
        "linked": linked,
        "folders": folders,
        "folders_error": folders_error,
        "problem": problem,
        "max_contacts": MAX_CONTACTS,
    }


# --- Sessions ----------------------------------------------------------------------------------------


@require_GET
@staff_view
def session_list(request: HttpRequest) -> HttpResponse:
    """The franchise's dial sessions, newest first."""
    sessions = queries.sessions_with_counts(request.workspace.franchise)[:100]
    return render(request, "dialer/sessions.html", {"sessions": sessions})


def get_session_for_user(request: HttpRequest, session_id: uuid.UUID) -> DialSession:
    """The current franchise's dial session with this id, or 404 (also for another franchise's)."""
    session = (
        DialSession.objects.filter(franchise=request.workspace.franchise, pk=session_id)
        .select_related("created_by")
        .first()
    )
    if session is None:
        raise Http404("No such dial session")
    return session


@require_GET
@staff_view
def session_detail(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    session = get_session_for_user(request, session_id)
    context = {
        "session": session,
        "calls": session.calls.select_related("contact").order_by("started_at", "id"),
        "contacts": session.contacts.order_by("id"),
    }
    return render(request, "dialer/session.html", context)


@require_POST
@staff_view
def session_end(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """End an open session (someone dialled part of the queue and stopped): whoever it did not
    reach can be dialled again, by anyone, now."""
    dial_session_end(session=get_session_for_user(request, session_id))
    return redirect("dialer:session", session_id=session_id)


# --- Owners' dial settings and the team's usage ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(owner_only=True)
def dial_settings(request: HttpRequest) -> HttpResponse:
    """The franchise's queue settings, and the dial settings of the owner's PhoneBurner account."""
    franchise = request.workspace.franchise
    current = queries.dialer_settings(franchise)
    categories = sorted(set(queries.franchise_categories(franchise)) | set(current.callback_categories))
    queue_form = QueueSettingsForm(
        initial={"callback_categories": current.callback_categories, "queue_days": current.queue_days},
        categories=categories,
    )
    dial_form, account_error, status = None, None, 200
    try:
        client = phoneburner_client(user=request.user)
        pb = client.dial_settings()
        dial_form = DialSettingsForm(
            initial={
                "dialsecs": pb.dialsecs,
                "calltime_min": pb.calltime_min,
                "calltime_max": pb.calltime_max,
                "ringing": pb.ringing,
            }
        )
    except (NotLinked, PhoneBurnerError) as error:
        client, account_error = None, str(error)

    if request.method == "POST" and request.POST.get("form") == "queue":
        queue_form = QueueSettingsForm(request.POST, categories=categories)
        if queue_form.is_valid():
            DialerSettings.objects.update_or_create(franchise=franchise, defaults=queue_form.cleaned_data)
            cache.delete(queue_count_key(franchise.pk))
            return redirect(f"{reverse('dialer:settings')}?saved=queue")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "dial" and client is not None:
        dial_form = DialSettingsForm(request.POST)
        if dial_form.is_valid():
            try:
                client.update_dial_settings(**dial_form.cleaned_data)
            except PhoneBurnerError as error:
                dial_form.add_error(None, str(error))
            else:
                return redirect(f"{reverse('dialer:settings')}?saved=dial")
        status = 400
    context = {
        "queue_form": queue_form,
        "dial_form": dial_form,
        "account_error": account_error,
        "saved": request.GET.get("saved"),
    }
    return render(request, "dialer/settings.html", context, status=status)


@require_GET
@staff_view
def usage(request: HttpRequest) -> HttpResponse:
    """The team's dialling over the last 30 days, from PhoneBurner (kept five minutes per user, or
    until the next callback)."""
    account = PhoneBurnerAccount.objects.filter(user=request.user).first()
    # Kept until a callback of the franchise's sessions says someone has dialled since.
    dialled = DialSession.objects.filter(franchise=request.workspace.franchise).aggregate(last=Max("last_callback_at"))
    since = dialled["last"].timestamp() if dialled["last"] else 0
    key = f"dialer:usage:{account.pk}:{account.linked_at.timestamp()}:{since}" if account else ""
    found = cache.get(key) if account else {"rows": [], "error": str(NotLinked())}
    if found is None:
        # PhoneBurner reads the dates in its own time zone, which is not the franchise's.
        today = timezone.localdate(timezone=ZoneInfo(settings.PHONEBURNER_TIME_ZONE))
        try:
            client = phoneburner_client(user=request.user)
            rows = client.usage(date_start=today - timedelta(days=USAGE_DAYS - 1), date_end=today)
            members = {m.user_id: m.name for m in client.members()}
            found = {"rows": [(members.get(u.user_id, f"User {u.user_id}"), u) for u in rows], "error": None}
            cache.set(key, found, 300)
        except (NotLinked, PhoneBurnerError) as error:
            found = {"rows": [], "error": str(error)}
    template = "dialer/usage.html#usage" if request.htmx else "dialer/usage.html"
    return render(request, template, {**found, "days": USAGE_DAYS})


# --- PhoneBurner's callbacks ---------------------------------------------------------------------

MAX_CALLBACK_BYTES = 64 * 1024
CALLBACKS = {
    "callbegin": (CallBegin.parse, callback_begin),
    "contact-displayed": (ContactDisplayed.parse, callback_contact_displayed),
    "calldone": (CallDone.parse, callback_done),
}


@csrf_exempt  # PhoneBurner posts from its servers; the per-session secret in the URL authenticates it
@require_POST
def callback(request: HttpRequest, session_id: uuid.UUID, secret: str, kind: str) -> HttpResponse:
    """One of PhoneBurner's callbacks. A wrong secret (or kind) is a 404 that writes nothing; a body
    over 64 KB a 413; anything but a JSON object of the spec's shape a 400."""
    handler = CALLBACKS.get(kind)
    session = session_for_callback(session_id=session_id, secret=secret) if handler else None
    if session is None:
        return JsonResponse({"detail": "Not found"}, status=404)
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_CALLBACK_BYTES:
        return JsonResponse({"detail": "The body is larger than 64 KB"}, status=413)
    body = request.read(MAX_CALLBACK_BYTES + 1)
    if len(body) > MAX_CALLBACK_BYTES:
        return JsonResponse({"detail": "The body is larger than 64 KB"}, status=413)
    parse, record = handler
    try:
        event = parse(json.loads(body))
    except ValueError as error:  # bad JSON, or JSON not shaped as the spec shows (ShapeError)
        return JsonResponse({"detail": f"Not a {kind} callback: {error}"}, status=400)
    record(session=session, event=event)
    return JsonResponse({"status": "ok"})
