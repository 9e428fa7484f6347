"""Who may see what on the staff pages: the signed-in user's current franchise and per-object lookups.

A staff user works inside one franchise at a time, kept in the session and re-checked on every
request against their memberships (a revoked membership takes effect at once). Superusers may pick
any franchise and act there as an owner. Objects are always looked up inside the current franchise,
so another franchise's call or contact is a 404, never a 403 that would confirm it exists: each app
keeps the helper for its own objects (`calls.access.get_call_for_user`, ...).

Roles: owners, managers and call-back agents all review calls and edit contacts and tags; only
owners (and superusers) manage the franchise's API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from franchises.models import Franchise, Membership

SESSION_KEY = "franchise_id"


@dataclass(frozen=True)
class Workspace:
    """The franchise a request acts in and the user's role there."""

    franchise: Franchise
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == Membership.Role.OWNER


def franchises_for_user(user) -> list[Franchise]:
    """Franchises the user may switch to: all of them for a superuser, else their memberships'."""
    if user.is_superuser:
        return list(Franchise.objects.order_by("name"))
    return list(Franchise.objects.filter(memberships__user=user).order_by("name"))


def workspace_for(request: HttpRequest) -> Workspace | None:
    """The current franchise from the session if the user still belongs to it, else their first."""
    user = request.user
    wanted = request.session.get(SESSION_KEY)
    if user.is_superuser:
        franchise = Franchise.objects.filter(pk=wanted).first() if wanted else None
        franchise = franchise or Franchise.objects.order_by("name").first()
        if franchise is None:
            return None
        workspace = Workspace(franchise, Membership.Role.OWNER)
    else:
        memberships = Membership.objects.filter(user=user).select_related("franchise").order_by("franchise__name")
        chosen = next((m for m in memberships if str(m.franchise_id) == wanted), None) if wanted else None
        chosen = chosen or next(iter(memberships), None)
        if chosen is None:
            return None
        workspace = Workspace(chosen.franchise, chosen.role)
    if wanted != str(workspace.franchise.pk):
        request.session[SESSION_KEY] = str(workspace.franchise.pk)
    return workspace


def workspace_select(request: HttpRequest, franchise_id: str) -> bool:
    """Make `franchise_id` the current franchise if the user may use it; False (nothing changed) if not."""
    allowed = {str(f.pk) for f in franchises_for_user(request.user)}
    if franchise_id not in allowed:
        return False
    request.session[SESSION_KEY] = franchise_id
    return True


def staff_view(view=None, *, owner_only: bool = False):
    """Sign-in required; sets `request.workspace` and renders in the franchise's time zone (every page
    and partial, so none can forget it). No franchise → a page saying so (403); `owner_only` views
    answer 403 to managers and agents."""

    def decorate(func):
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _to_sign_in(request)
            workspace = workspace_for(request)
            if workspace is None:
                return render(request, "franchises/no_franchise.html", status=403)
            request.workspace = workspace
            if owner_only and not workspace.is_owner:
                return render(request, "franchises/owners_only.html", status=403)
            with timezone.override(workspace.franchise.tzinfo):
                response = func(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # a TemplateResponse renders lazily: here, inside the zone
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    """The sign-in page, coming back here afterwards. An HTMX request whose session expired must
    move the whole page (a 302 would swap the sign-in form into a fragment's place)."""
    if not request.htmx:
        return redirect_to_login(request.get_full_path())
    page = request.htmx.current_url_abs_path or "/"
    if not url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
        page = "/"
    return HttpResponseClientRedirect(redirect_to_login(page).url)


def workspace(request: HttpRequest) -> dict[str, Workspace | None]:
    """Context processor: every template gets the workspace `staff_view` chose (None elsewhere)."""
    return {"workspace": getattr(request, "workspace", None)}
