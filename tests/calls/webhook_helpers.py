"""Signing deliveries the way a Standard Webhooks sender does, for the webhook tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from calls.webhooks import webhook_secret_create


def call_payload(conversation_id: str | None = None, **fields) -> dict:
    return {
        "conversation_id": f"conv_{uuid.uuid4().hex}" if conversation_id is None else conversation_id,
        "caller_id": "+15555550123",
        "timestamp": "2026-06-22T18:04:11+00:00",
        "duration": "182",
        "agent_type": "afterhours",
        "call_category": "new_urgent_service_request",
        "customer_name": "Dana Whitfield",
        "call_summary": "Basement flooded after a pipe burst.",
        "transcript": "Agent: Thanks for calling. Caller: My basement is flooded.",
        **fields,
    }


def signed(secret: str, body: bytes | str, *, webhook_id: str | None = None, at: datetime | None = None) -> dict:
    """The three Standard Webhooks headers for `body`, as Django test-client keyword arguments."""
    text = body.decode() if isinstance(body, bytes) else body
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, at, text)
    return {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def post_call(client, franchise, secret: str, payload: dict | bytes, *, webhook_id=None, at=None, **extra):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {**signed(secret, body, webhook_id=webhook_id, at=at), **extra}
    return client.post(f"/hooks/calls/{franchise.pk}", data=body, content_type="application/json", **headers)


def new_secret(franchise) -> str:
    return webhook_secret_create(franchise=franchise)[1]


STALE = timedelta(minutes=6)
