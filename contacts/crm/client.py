"""Client of the franchise's CRM: its one contacts route, `specs/crm-contacts-api.txt`.

`CrmClient` takes an `httpx.Client` whose base URL is the CRM's scheme and host (production builds
it with `config.outbound.outbound_client`: timeout, no env proxies, the SSRF guard; tests inject
respx or point it at the fake). Records come back typed and read leniently — the spec shows every
field but promises none, so a missing or null field is simply absent — except the two a sync
cannot do without: a record with no `id`, or whose `updatedAt` cannot be read, is returned as a
`MalformedRecord` with the reason, never as a contact. Every failure is one `CrmError` whose text
says what is wrong and what to do; `code` tells the sync which kind it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from config.outbound import OutboundRefused, send_with_retries

CONTACTS_PATH = "/api/v1/businesses/{business_id}/contacts"
# Query Parameters: "limit … Required range: 1 <= x <= 100"; a sync asks for the largest page.
PAGE_LIMIT = 100
SORTS = ("createdAt", "-createdAt", "updatedAt", "-updatedAt", "name", "-name")
# Keys a `pagination` object might carry its total under. The spec names none, so the total is
# only ever a hint for progress; paging stops at a short or empty page.
TOTAL_KEYS = ("total", "totalCount", "totalItems", "count", "totalRecords")


class CrmError(Exception):
    """A CRM request failed; the message says what to do. `code` is one of the constants below,
    `status` the HTTP status when there was one."""

    KEY_REFUSED = "key_refused"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    BAD_RESPONSE = "bad_response"

    def __init__(self, message: str, *, code: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CrmContact:
    """One contact as the CRM sent it (Response: `data[]`), with the spec's names in snake case.
    Text fields are stripped, empty ones None; flags are plain booleans; lists are tuples."""

    id: str
    updated_at: datetime
    created_at: datetime | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    website: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip_code: str | None = None
    iana_timezone: str | None = None
    source: str | None = None
    note: str | None = None
    email_dnd: bool = False
    sms_dnd: bool = False
    call_dnd: bool = False
    whatsapp_dnd: bool = False
    secondary_emails: tuple[str, ...] = ()
    secondary_phones: tuple[str, ...] = ()
    is_test_contact: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MalformedRecord:
    """A record a sync must skip and report: where it was, its id if it had one, and why."""

    position: int
    crm_id: str | None
    reason: str


@dataclass(frozen=True)
class ContactsPage:
    """One page of the contacts route. `size` counts every record in `data`, malformed or not:
    a page shorter than the limit asked for is the last."""

    page: int
    limit: int
    contacts: list[CrmContact]
    malformed: list[MalformedRecord]
    size: int
    total: int | None = None

    @property
    def is_last(self) -> bool:
        return self.size < self.limit


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)  # e.g. a zipCode sent as a number
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y"}
    return bool(value) if isinstance(value, bool | int) else False


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(t for t in (_text(v) for v in value) if t))


def _tag_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = (_text(tag.get("name")) if isinstance(tag, dict) else _text(tag) for tag in value)
    return tuple(dict.fromkeys(n for n in names if n))


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp ("2023-11-07T05:31:56Z", with or without fractions or an offset) as an
    aware datetime; one without an offset is read as UTC. None if it cannot be read."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def contact_from_record(record: Any, position: int) -> CrmContact | MalformedRecord:
    """Read one `data[]` item. Without an id or a readable `updatedAt` it is malformed: a sync
    could neither find it again nor know whether it changed."""
    if not isinstance(record, dict):
        return MalformedRecord(position, None, f"record {position + 1} of the page is not an object")
    crm_id = _text(record.get("id"))
    if crm_id is None:
        return MalformedRecord(position, None, f"record {position + 1} of the page has no id")
    updated_at = parse_time(record.get("updatedAt"))
    if updated_at is None:
        return MalformedRecord(position, crm_id, f"updatedAt {record.get('updatedAt')!r} cannot be read")
    return CrmContact(
        id=crm_id,
        updated_at=updated_at,
        created_at=parse_time(record.get("createdAt")),
        first_name=_text(record.get("firstName")),
        last_name=_text(record.get("lastName")),
        name=_text(record.get("name")),
        email=_text(record.get("email")),
        phone=_text(record.get("phone")),
        company=_text(record.get("company")),
        website=_text(record.get("website")),
        address=_text(record.get("address")),
        city=_text(record.get("city")),
        state=_text(record.get("state")),
        country=_text(record.get("country")),
        zip_code=_text(record.get("zipCode")),
        iana_timezone=_text(record.get("ianaTimezone")),
        source=_text(record.get("source")),
        note=_text(record.get("note")),
        email_dnd=_flag(record.get("emailDND")),
        sms_dnd=_flag(record.get("smsDND")),
        call_dnd=_flag(record.get("callDND")),
        whatsapp_dnd=_flag(record.get("whatsappDND")),
        secondary_emails=_texts(record.get("secondaryEmails")),
        secondary_phones=_texts(record.get("secondaryPhones")),
        is_test_contact=_flag(record.get("isTestContact")),
        tags=_tag_names(record.get("tags")),
    )


def _total(pagination: Any) -> int | None:
    if not isinstance(pagination, dict):
        return None
    for key in TOTAL_KEYS:
        value = pagination.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _detail(response: httpx.Response) -> str:
    """The CRM's own words for an error, if it sent any (a short `message` or `error`)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key].strip()[:200]
    return ""


class CrmClient:
    """The contacts route of one business. `attempts`, `base_delay` and `max_delay` shape the
    retries of connect errors, 429 (honouring Retry-After) and 5xx; `sleep` is injectable for tests."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        business_id: str,
        api_key: str,
        attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.http = http
        self.business_id = business_id
        self.api_key = api_key
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep

    # GET /api/v1/businesses/{businessId}/contacts
    # Authorizations: "Authorization: Bearer sk-ak-..."; Path Parameters: businessId (uuid);
    # Query Parameters: page (>= 1), limit (1..100), search (<= 255), email, phone, tag,
    # sort (createdAt, -createdAt, updatedAt, -updatedAt, name, -name), include ("tags");
    # Response: "Paginated list of contacts": data (object[]), pagination (object).
    def contacts_page(
        self,
        *,
        page: int = 1,
        limit: int = PAGE_LIMIT,
        sort: str = "createdAt",
        include: str = "tags",
        search: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        tag: str | None = None,
    ) -> ContactsPage:
        """One page of contacts. Raises CrmError (after retries, where retrying can help)."""
        if page < 1 or not 1 <= limit <= 100 or sort not in SORTS:
            raise ValueError(f"page {page}, limit {limit}, sort {sort!r}: outside the spec's ranges")
        if search is not None and len(search) > 255:
            raise ValueError("search is limited to 255 characters")
        params: dict[str, str | int] = {"page": page, "limit": limit, "sort": sort}
        optional = {"include": include, "search": search, "email": email, "phone": phone, "tag": tag}
        params.update({name: value for name, value in optional.items() if value})
        body = self._get_json(params)
        data = body.get("data")
        if not isinstance(data, list):
            raise CrmError("the CRM's answer has no `data` list of contacts", code=CrmError.BAD_RESPONSE)
        contacts: list[CrmContact] = []
        malformed: list[MalformedRecord] = []
        for position, record in enumerate(data):
            item = contact_from_record(record, position)
            (contacts if isinstance(item, CrmContact) else malformed).append(item)
        return ContactsPage(
            page=page,
            limit=limit,
            contacts=contacts,
            malformed=malformed,
            size=len(data),
            total=_total(body.get("pagination")),
        )

    def key_check(self) -> None:
        """Prove the base URL, business id and key work with the smallest request: one contact of
        page 1 (same route). Raises CrmError saying what is wrong."""
        self.contacts_page(page=1, limit=1, sort="-createdAt", include="")

    def _get_json(self, params: dict[str, str | int]) -> dict[str, Any]:
        path = CONTACTS_PATH.format(business_id=quote(self.business_id, safe=""))
        request = self.http.build_request(
            "GET",
            path,
            params=params,
            headers={"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"},
        )
        host = request.url.host
        try:
            response = send_with_retries(
                self.http,
                request,
                attempts=self.attempts,
                base_delay=self.base_delay,
                max_delay=self.max_delay,
                sleep=self.sleep,
                stream=False,
            )
        except OutboundRefused as e:
            raise CrmError(
                f"refused to call the CRM at {host}: {e} (a CRM on a private or local address must be listed "
                "in OUTBOUND_ALLOWED_HOSTS)",
                code=CrmError.REFUSED,
            ) from None
        except httpx.TimeoutException:
            raise CrmError(
                f"the CRM at {host} did not answer in time ({self.attempts} attempts); try again later",
                code=CrmError.UNREACHABLE,
            ) from None
        except httpx.TransportError as e:
            raise CrmError(
                f"could not reach the CRM at {host} ({e.__class__.__name__}: {e}); check the base URL",
                code=CrmError.UNREACHABLE,
            ) from None
        self._raise_for_status(response)
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise CrmError(
                f"the CRM answered something that is not JSON ({kind}); is the base URL the CRM's API?",
                code=CrmError.BAD_RESPONSE,
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise CrmError("the CRM's answer is not a JSON object", code=CrmError.BAD_RESPONSE)
        return body

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        detail = _detail(response)
        said = f" (the CRM said: {detail})" if detail else ""
        if status == 401:
            raise CrmError("the CRM refused the key", code=CrmError.KEY_REFUSED, status=status)
        if status == 403:
            raise CrmError(
                f"the CRM refused this key access to business {self.business_id}{said}; check the business id",
                code=CrmError.FORBIDDEN,
                status=status,
            )
        if status == 404:
            raise CrmError(
                f"the CRM has no business {self.business_id} at {response.request.url.host}{said}; "
                "check the base URL and the business id",
                code=CrmError.NOT_FOUND,
                status=status,
            )
        if status == 429:
            raise CrmError(
                f"the CRM kept answering 429 Too Many Requests after {self.attempts} attempts; try again later",
                code=CrmError.RATE_LIMITED,
                status=status,
            )
        if status >= 500:
            raise CrmError(
                f"the CRM failed with HTTP {status} {self.attempts} times in a row{said}; try again later",
                code=CrmError.UNAVAILABLE,
                status=status,
            )
        if status in (400, 422):
            raise CrmError(
                f"the CRM rejected the request with HTTP {status}{said}", code=CrmError.BAD_REQUEST, status=status
            )
        raise CrmError(f"the CRM answered HTTP {status}{said}", code=CrmError.BAD_RESPONSE, status=status)
