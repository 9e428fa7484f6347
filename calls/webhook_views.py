"""The voice-agent webhook endpoint and the owners' page for its secrets and recent deliveries."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from calls.models import WebhookDelivery, WebhookSecret
from calls.webhooks import (
    MAX_BODY_BYTES,
    franchise_for_signed_request,
    webhook_delivery_receive,
    webhook_secret_create,
    webhook_secret_reveal,
    webhook_secret_revoke,
)
from franchises.access import staff_view

UNAUTHORIZED = {"detail": "Missing or invalid webhook signature.", "code": "unauthorized"}
RECENT_DELIVERIES = 50


@csrf_exempt  # signed by the sender instead: no browser session is involved
@require_POST
def call_webhook(request: HttpRequest, franchise_id: str) -> HttpResponse:
    """POST /hooks/calls/{franchise_id}: one finished call, signed the Standard Webhooks way."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return JsonResponse({"detail": "The body is over 1 MB.", "code": "too_large"}, status=413)
    body = request.read(MAX_BODY_BYTES + 1)  # bounded even when no length was declared
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"detail": "The body is over 1 MB.", "code": "too_large"}, status=413)
    headers = {name.lower(): value for name, value in request.headers.items()}
    franchise = franchise_for_signed_request(franchise_id=franchise_id, body=body, headers=headers)
    if franchise is None:  # unknown franchise, no secret, bad or stale signature: one answer for all
        return JsonResponse(UNAUTHORIZED, status=401)
    receipt = webhook_delivery_receive(franchise=franchise, webhook_id=headers["webhook-id"], body=body)
    return JsonResponse(receipt.body, status=receipt.status)


@require_GET
@staff_view(owner_only=True)
def webhook_settings(request: HttpRequest) -> HttpResponse:
    """The webhook's address, its secrets (the new one's plaintext once) and the recent deliveries."""
    franchise = request.workspace.franchise
    new_id = request.GET.get("new", "")
    plaintext = (
        webhook_secret_reveal(franchise=franchise, secret_id=int(new_id), user=request.user)
        if new_id.isdigit()
        else None
    )
    context = {
        "workspace": request.workspace,
        "hook_url": f"{settings.SITE_URL}{reverse('call_webhook', args=[franchise.pk])}",
        "secrets": WebhookSecret.objects.filter(franchise=franchise).select_related("created_by"),
        "deliveries": WebhookDelivery.objects.filter(franchise=franchise).select_related("call")[:RECENT_DELIVERIES],
        "plaintext": plaintext,
        "new_id": int(new_id) if plaintext else None,
    }
    response = render(request, "calls/webhooks.html", context)
    if plaintext:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_view(owner_only=True)
def webhook_secret_new(request: HttpRequest) -> HttpResponse:
    """Make a secret, then redirect to the page, which shows its plaintext once (post/redirect/get;
    the plaintext never goes into the session or a cookie)."""
    secret, _ = webhook_secret_create(franchise=request.workspace.franchise, created_by=request.user, shown=False)
    return redirect(f"{reverse('webhook_settings')}?new={secret.pk}")


@require_POST
@staff_view(owner_only=True)
def webhook_secret_revoke_view(request: HttpRequest, secret_id: int) -> HttpResponse:
    secret = WebhookSecret.objects.filter(franchise=request.workspace.franchise, pk=secret_id).first()
    if secret is None:
        raise Http404("No such secret")
    webhook_secret_revoke(secret=secret)
    return redirect("webhook_settings")
