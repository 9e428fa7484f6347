"""The owners' CRM page: the connection (tested on save), "Sync now", and the syncs with live progress.

The progress panel is a partial that re-fetches itself every two seconds while a sync is queued or
running, and stops once it has ended. Everything reads without JavaScript (reload to refresh).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from config.htmx import wants_fragment
from contacts.crm.connections import SYNC_INTERVAL, CrmConnectionError, crm_connection_save
from contacts.crm.forms import CrmConnectionForm, CrmSyncForm
from contacts.crm.sync import crm_sync_request
from contacts.models import CrmConnection, CrmSyncRun
from franchises.access import staff_view

RECENT_RUNS = 10


def _connection(request: HttpRequest) -> CrmConnection | None:
    return CrmConnection.objects.filter(franchise=request.workspace.franchise).first()


def _context(request: HttpRequest, connection: CrmConnection | None, **extra) -> dict:
    runs = list(connection.runs.all()[:RECENT_RUNS]) if connection else []
    latest = runs[0] if runs else None
    running = latest is not None and latest.status == CrmSyncRun.Status.RUNNING
    queued = bool(connection and connection.sync_requested_at and not running)
    if "form" not in extra:
        initial = {"base_url": connection.base_url, "business_id": connection.business_id} if connection else {}
        extra["form"] = CrmConnectionForm(initial=initial, has_key=connection is not None)
    return {
        "connection": connection,
        "runs": runs,
        "latest": latest,
        "running": running,
        "queued": queued,
        "polling": running or queued,
        "sync_form": CrmSyncForm(),
        "interval_minutes": int(SYNC_INTERVAL.total_seconds() // 60),
        **extra,
    }


@require_GET
@vary_on_headers("HX-Request")
@staff_view(owner_only=True)
def crm_page(request: HttpRequest) -> HttpResponse:
    """The franchise's CRM connection and its syncs."""
    context = _context(request, _connection(request), connected=request.GET.get("connected") == "1")
    return render(request, "contacts/crm.html", context)


@require_GET
@staff_view(owner_only=True)
def crm_progress(request: HttpRequest) -> HttpResponse:
    """The progress panel alone, for HTMX polling (or the full page without HTMX)."""
    context = _context(request, _connection(request))
    return render(request, "contacts/crm.html#progress" if wants_fragment(request) else "contacts/crm.html", context)


@require_POST
@staff_view(owner_only=True)
def crm_connect(request: HttpRequest) -> HttpResponse:
    """Save the connection after one test request to the CRM; a refusal re-renders the form with why."""
    connection = _connection(request)
    form = CrmConnectionForm(request.POST, has_key=connection is not None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            crm_connection_save(
                franchise=request.workspace.franchise,
                base_url=data["base_url"],
                business_id=data["business_id"],
                api_key=data["api_key"] or connection.api_key,
            )
        except CrmConnectionError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(f"{reverse('crm:page')}?connected=1")
    return render(request, "contacts/crm.html", _context(request, connection, form=form), status=400)


@require_POST
@staff_view(owner_only=True)
def crm_sync_start(request: HttpRequest) -> HttpResponse:
    """Queue a sync now; the page then shows it queued, then its progress."""
    connection = _connection(request)
    if connection is None:
        raise Http404("No CRM connection")
    form = CrmSyncForm(request.POST)
    form.is_valid()  # one optional checkbox: nothing can be invalid
    crm_sync_request(connection=connection, full=form.cleaned_data.get("full", False))
    return redirect("crm:page")
