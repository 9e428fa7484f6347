"""A franchise's CRM connection: checking what an owner gives, testing it against the CRM, saving it.

Used by `manage.py crm_connect`, the owners' CRM page and the sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from config.errors import DomainError
from config.outbound import host_allowed, outbound_client
from contacts.crm.client import CrmClient, CrmError
from contacts.models import CrmConnection
from franchises.models import Franchise

# CRM sync every 15 minutes per connection (issue 11); the first one interval after connecting.
SYNC_INTERVAL = timedelta(minutes=15)


class CrmConnectionError(DomainError):
    """The connection details are unusable, or the CRM refused them; the message says which."""

    code = "crm_connection"


def crm_base_url_clean(value: str) -> str:
    """`scheme://host[:port]` from what an owner typed. https only, unless the host is listed in
    OUTBOUND_ALLOWED_HOSTS (a CRM on this machine, for development). The route's path is ours to add,
    so a path, query or credentials in the URL are refused rather than silently dropped."""
    text = (value or "").strip()
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError:
        raise CrmConnectionError(f"base URL {text!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise CrmConnectionError("base URL must look like https://crm.example.com")
    if url.username or url.password or url.query or url.fragment or url.path not in ("", "/"):
        raise CrmConnectionError(
            "base URL is the scheme and host only (e.g. https://crm.example.com); "
            "/api/v1/businesses/{businessId}/contacts is added to it"
        )
    host = url.hostname.lower()
    if url.scheme == "http" and not host_allowed(host, port or 80):
        raise CrmConnectionError("base URL must use https (plain http only for a host in OUTBOUND_ALLOWED_HOSTS)")
    shown = f"[{host}]" if ":" in host else host
    return f"{url.scheme}://{shown}{f':{port}' if port else ''}"


def crm_business_id_clean(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise CrmConnectionError(f"business id {value!r} is not a UUID") from None


def crm_api_key_clean(value: str) -> str:
    key = (value or "").strip()
    if not key.startswith("sk-ak-") or len(key) <= len("sk-ak-") or len(key) > 500 or not key.isprintable():
        raise CrmConnectionError("API key must be the CRM's key, starting with sk-ak-")
    if any(c.isspace() for c in key):
        raise CrmConnectionError("API key must not contain spaces")
    return key


@contextmanager
def crm_client(*, base_url: str, business_id: str, api_key: str, **options) -> Iterator[CrmClient]:
    """A CRM client over the guarded outbound HTTP client (timeout, SSRF guard, no env proxies)."""
    with outbound_client(base_url=base_url) as http:
        yield CrmClient(http, business_id=business_id, api_key=api_key, **options)


def crm_client_for(connection: CrmConnection, **options):
    return crm_client(
        base_url=connection.base_url,
        business_id=str(connection.business_id),
        api_key=connection.api_key,
        **options,
    )


def crm_connection_test(*, base_url: str, business_id: str, api_key: str) -> tuple[str, uuid.UUID, str]:
    """Check the details and prove them with one request to the CRM; returns them cleaned. Raises
    CrmConnectionError with the reason."""
    base_url = crm_base_url_clean(base_url)
    business = crm_business_id_clean(business_id)
    api_key = crm_api_key_clean(api_key)
    try:
        # A connection test fails fast: one attempt, no backoff (someone is waiting for the answer).
        with crm_client(base_url=base_url, business_id=str(business), api_key=api_key, attempts=1) as client:
            client.key_check()
    except CrmError as exc:
        raise CrmConnectionError(f"the CRM did not accept the connection: {exc}") from None
    return base_url, business, api_key


def crm_connection_save(
    *, franchise: Franchise, base_url: str, business_id: str, api_key: str, tested: bool = False
) -> CrmConnection:
    """Test the details (unless `tested`: the caller just did), then save the franchise's
    connection. Raises CrmConnectionError (nothing saved) with the reason.

    Pointing it at another CRM or business starts afresh: the next sync is a full one, and the
    schedule's first sync comes one interval from now (never racing a sync started by hand)."""
    if tested:
        base_url, business, api_key = (
            crm_base_url_clean(base_url),
            crm_business_id_clean(business_id),
            crm_api_key_clean(api_key),
        )
    else:
        base_url, business, api_key = crm_connection_test(base_url=base_url, business_id=business_id, api_key=api_key)
    now = timezone.now()
    with transaction.atomic():
        connection = CrmConnection.objects.select_for_update().filter(franchise=franchise).first()
        if connection is None:
            connection = CrmConnection(franchise=franchise)
        moved = connection._state.adding or (connection.base_url, connection.business_id) != (base_url, business)
        connection.base_url, connection.business_id, connection.api_key = base_url, business, api_key
        if moved:
            connection.connected_at = now
            connection.high_water_mark = None
            connection.last_synced_at = None
            connection.next_sync_at = now + SYNC_INTERVAL
        connection.save()
    return connection
