"""Staff pages of the franchise itself: the franchise switcher and API tokens."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from franchises.access import staff_view, workspace_select
from franchises.forms import TOKEN_EXPIRY_CHOICES, TokenForm
from franchises.models import ApiToken


@require_POST
@login_required
def franchise_switch(request: HttpRequest) -> HttpResponse:
    """Work inside another franchise the user belongs to (any franchise for a superuser)."""
    if not workspace_select(request, request.POST.get("franchise", "")):
        return HttpResponseBadRequest("You are not a member of that franchise.")
    target = request.POST.get("next", "")
    # Object pages belong to the old franchise, so only a list page or the dashboard is kept.
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    if not safe or target.count("/") > 2:
        target = resolve_url(settings.LOGIN_REDIRECT_URL)  # the dashboard
    return redirect(target)


# The plaintext of a token just created, between the POST and the page that shows it: kept in the
# server-side session (the database, never a cookie) and taken out by that one page view.
NEW_TOKEN_KEY = "new_api_token"


@require_GET
@login_required
def franchise_open(request: HttpRequest, franchise_id: uuid.UUID) -> HttpResponse:
    """The admin's "View on site": a staff page (`next`, a path of this site) inside the object's
    franchise, switching to it for whoever may work there; a franchise of someone else's is a 404."""
    if not workspace_select(request, str(franchise_id)):
        raise Http404("No such franchise")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None) or not target.startswith("/"):
        target = resolve_url(settings.LOGIN_REDIRECT_URL)
    return redirect(target)


@require_GET
@staff_view(owner_only=True)
def token_list(request: HttpRequest) -> HttpResponse:
    """The franchise's API tokens (prefix, last use, expiry) and a form to create one; right after
    creating one, its plaintext, this once."""
    new = request.session.pop(NEW_TOKEN_KEY, None)
    token = None
    if new:
        token = ApiToken.objects.filter(franchise=request.workspace.franchise, pk=new["id"]).first()
    if token is None:
        return render(request, "franchises/tokens.html", _token_context(request))
    response = render(
        request, "franchises/tokens.html", _token_context(request, new_token=token, plaintext=new["plaintext"])
    )
    response["Cache-Control"] = "no-store"
    return response


def _token_context(request: HttpRequest, **extra) -> dict:
    tokens = ApiToken.objects.filter(franchise=request.workspace.franchise).order_by("-created_at")
    return {"tokens": tokens, "expiry_choices": TOKEN_EXPIRY_CHOICES, **extra}


@require_POST
@staff_view(owner_only=True)
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token (stored only as a hash) and send the browser to the list, which shows its
    plaintext once: post/redirect/get, so reloading that page never creates a second token."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        errors = [message for messages in form.errors.values() for message in messages]
        return render(request, "franchises/tokens.html", _token_context(request, errors=errors), status=400)
    token, plaintext = ApiToken.issue(franchise=request.workspace.franchise, **form.cleaned_data)
    request.session[NEW_TOKEN_KEY] = {"id": token.pk, "plaintext": plaintext}
    return redirect("franchises:tokens")


@require_POST
@staff_view(owner_only=True)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(franchise=request.workspace.franchise, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    token.revoke()
    return redirect("franchises:tokens")
