"""The voice-agent webhook: its signing secrets, the signature check and taking in one delivery.

Signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`; secrets
`whsec_<base64>`; 5-minute tolerance), checked by the `standardwebhooks` package. Taking in a
delivery writes the call through the import's own upsert (`call_upsert`), records the delivery (its
`webhook-id` is the idempotency key) and asks for the audio; the fetch runs after the commit.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from calls.models import Call, RecordingFetch, WebhookDelivery, WebhookSecret
from calls.services import BadCall, call_upsert
from franchises.models import Franchise

SECRET_PREFIX = "whsec_"
SECRET_DISPLAY_LENGTH = len(SECRET_PREFIX) + 8
MAX_BODY_BYTES = 1024 * 1024
MAX_URL_LENGTH = 2000


# --- Secrets --------------------------------------------------------------------------------------


class WebhookSecretNotFound(LookupError):
    """No active secret of the franchise matches, or several do; the message says which."""


def webhook_secret_create(*, franchise: Franchise, created_by=None, shown: bool = True) -> tuple[WebhookSecret, str]:
    """A new signing secret (32 random bytes); returns the row and the plaintext. Earlier secrets stay valid.

    `shown=False` leaves the plaintext to be revealed once later (the settings page's redirect).
    """
    plaintext = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    secret = WebhookSecret.objects.create(
        franchise=franchise,
        secret=plaintext,
        prefix=plaintext[:SECRET_DISPLAY_LENGTH],
        created_by=created_by,
        shown_at=timezone.now() if shown else None,
    )
    return secret, plaintext


def webhook_secret_reveal(*, franchise: Franchise, secret_id: int, user) -> str | None:
    """The plaintext of a secret this user just made, the first time only; None ever after."""
    claimed = WebhookSecret.objects.filter(
        pk=secret_id, franchise=franchise, created_by=user, shown_at__isnull=True, revoked_at__isnull=True
    ).update(shown_at=timezone.now())
    if claimed != 1:  # an update that matched: no second request can also reveal it
        return None
    return WebhookSecret.objects.get(pk=secret_id).secret


def webhook_secret_by_prefix(*, franchise: Franchise, prefix: str) -> WebhookSecret:
    """The one active secret of the franchise that starts with `prefix` (the displayed prefix or the whole secret)."""
    value = prefix.strip().rstrip("…").rstrip(".")
    if len(value) < SECRET_DISPLAY_LENGTH:
        raise WebhookSecretNotFound(f"give at least the {SECRET_DISPLAY_LENGTH}-character prefix (whsec_ and 8 more)")
    active = WebhookSecret.objects.filter(franchise=franchise, revoked_at__isnull=True)
    matches = [s for s in active if s.secret.startswith(value)]
    shown = value[:SECRET_DISPLAY_LENGTH]  # never echo more of a secret than its prefix
    if not matches:
        raise WebhookSecretNotFound(f"no active webhook secret of {franchise.name} starts with {shown}")
    if len(matches) > 1:
        raise WebhookSecretNotFound(f"several active secrets start with {shown}; give more of it")
    return matches[0]


def webhook_secret_revoke(*, secret: WebhookSecret) -> None:
    """Stop accepting signatures made with this secret (at once). Revoking twice changes nothing."""
    WebhookSecret.objects.filter(pk=secret.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def webhook_secrets_active(franchise_id: Any) -> list[str]:
    return [s.secret for s in WebhookSecret.objects.filter(franchise_id=franchise_id, revoked_at__isnull=True)]


# --- The signature ------------------------------------------------------------------------------

_DECOY = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_valid(*, secrets: Iterable[str], body: bytes, headers: Mapping[str, str]) -> bool:
    """Does any of `secrets` sign this body with these headers, within the 5-minute tolerance?

    The package raises its own error for a bad signature but ValueError, UnicodeDecodeError or
    TypeError for some garbage (a signature without a comma, bad base64, a body that is not UTF-8):
    all of them are simply "not valid". With no secret, a decoy is checked so that an unknown
    franchise takes as long as a known one.
    """
    wanted = {name: headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    valid = False
    for secret in list(secrets) or [_DECOY]:
        try:
            Webhook(secret).verify(body, wanted, json_parse=False)
        except (WebhookVerificationError, ValueError, TypeError, OverflowError):
            continue
        valid = secret is not _DECOY
        break
    return valid


def franchise_for_signed_request(*, franchise_id: str, body: bytes, headers: Mapping[str, str]) -> Franchise | None:
    """The franchise whose active secret signed this request, or None (unknown franchise, no secret,
    bad signature). One query: the active secrets, each with its franchise."""
    try:
        wanted = uuid.UUID(franchise_id)
    except ValueError:
        wanted = None
    found = list(
        WebhookSecret.objects.filter(franchise_id=wanted, revoked_at__isnull=True).select_related("franchise")
        if wanted
        else []
    )
    if not signature_valid(secrets=[s.secret for s in found], body=body, headers=headers):
        return None
    return found[0].franchise


# --- Taking in a delivery ----------------------------------------------------------------------


@dataclass
class Receipt:
    """What to answer the sender: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]


def _rejection(status: int, code: str, detail: str, field: str | None = None) -> Receipt:
    body = {"detail": detail, "code": code}
    if field:
        body["field"] = field
    return Receipt(status, body)


def _fetchable(url: str) -> bool:
    """An http(s) address with a host and a port that can be (an impossible one would be retried for hours)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port out of range or not a number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _source_url(data: dict[str, Any]) -> str | None:
    url = data.get("recording_source_url")
    if url in (None, ""):
        return None
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or not _fetchable(url):
        raise BadCall(
            f"recording_source_url must be an http(s) address of at most {MAX_URL_LENGTH} characters",
            field="recording_source_url",
        )
    return url


def recording_fetch_request(*, call: Call, source_url: str | None) -> RecordingFetch | None:
    """Ask for the call's audio from `source_url`; returns the fetch when one should run now.

    The same address again changes nothing (pending or already fetched); a new address (a corrected
    delivery) starts over, and the audio is replaced when the new one arrives.
    """
    if not source_url:
        return None
    fetch = RecordingFetch.objects.filter(call=call).first()
    if fetch and fetch.source_url == source_url and fetch.status != RecordingFetch.Status.FAILED:
        return None
    now = timezone.now()
    fetch = fetch or RecordingFetch(call=call)
    fetch.source_url = source_url
    fetch.status = RecordingFetch.Status.PENDING
    fetch.attempts = 0
    fetch.last_error = ""
    fetch.next_attempt_at = fetch.started_at = now
    fetch.finished_at = fetch.claimed_until = None
    fetch.save()
    return fetch


def webhook_delivery_receive(*, franchise: Franchise, webhook_id: str, body: bytes) -> Receipt:
    """Take in one signed delivery: the call written (or updated) and the delivery recorded, in one
    transaction; the audio fetch is queued once it commits. A `webhook-id` already accepted is
    answered as before and changes nothing; a rejected one may be sent again (corrected)."""
    if not webhook_id or len(webhook_id) > WebhookDelivery._meta.get_field("webhook_id").max_length:
        return _rejection(400, "bad_request", "webhook-id must be 1 to 200 characters", "webhook-id")
    try:
        with transaction.atomic():
            # A new webhook-id (nearly always): the delivery row is inserted last. Should this id
            # have arrived before, or arrive meanwhile, that insert fails on the unique constraint
            # and everything this attempt wrote is rolled back.
            return _receive(WebhookDelivery(franchise=franchise, webhook_id=webhook_id), franchise, body)
    except IntegrityError:
        if not WebhookDelivery.objects.filter(franchise=franchise, webhook_id=webhook_id).exists():
            raise
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(franchise=franchise, webhook_id=webhook_id)
        if delivery.status == WebhookDelivery.Status.ACCEPTED:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                replays=F("replays") + 1, last_replayed_at=timezone.now()
            )
            return Receipt(200, {"status": "duplicate", "conversation_id": delivery.conversation_id})
        return _receive(delivery, franchise, body)  # rejected before: sent again, corrected


def _receive(delivery: WebhookDelivery, franchise: Franchise, body: bytes) -> Receipt:
    """Take the body in and record the outcome on `delivery`; called inside the transaction."""
    receipt, call, fetch = _take_in(franchise, body)
    delivery.status = WebhookDelivery.Status.ACCEPTED if receipt.status < 300 else WebhookDelivery.Status.REJECTED
    delivery.http_status = receipt.status
    delivery.call = call
    delivery.conversation_id = (call.conversation_id if call else "") or ""
    delivery.error = "" if receipt.status < 300 else receipt.body["detail"]
    delivery.save()
    if fetch is not None:
        from django_q.tasks import async_task

        # robust: a broker that is down must not turn a committed delivery into an error; the
        # schedule (recordings_fetch_due) picks the fetch up anyway.
        transaction.on_commit(partial(async_task, "calls.tasks.recording_fetch", fetch.pk), robust=True)
    return receipt


def _take_in(franchise: Franchise, body: bytes) -> tuple[Receipt, Call | None, RecordingFetch | None]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _rejection(400, "bad_json", f"the body is not valid JSON ({exc})"), None, None
    if not isinstance(data, dict):
        return _rejection(400, "bad_body", "the body must be a JSON object (one call)"), None, None
    try:
        source_url = _source_url(data)
        call, created = call_upsert(franchise=franchise, data=data)
    except BadCall as exc:
        status, code = (409, "conflict") if exc.code == "conflict" else (400, "bad_body")
        return _rejection(status, code, str(exc), exc.field), None, None
    fetch = recording_fetch_request(call=call, source_url=source_url)
    body = {"status": "created" if created else "updated", "conversation_id": call.conversation_id}
    return Receipt(201 if created else 200, body), call, fetch
