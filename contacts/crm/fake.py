"""A fake CRM: the contacts route of specs/crm-contacts-api.txt as a real HTTP server.

`python manage.py fake_crm --port N` runs it for development (`make run` does); tests and the
benchmark start `FakeCrmServer` in a thread. It serves

    GET /api/v1/businesses/{businessId}/contacts?page&limit&search&email&phone&tag&sort&include

with the spec's bearer-key auth and parameter ranges, over contacts made by `contacts_generate`
(realistic names, phones in several formats, tags, secondary phones and emails, DND flags, a few
test contacts and a few malformed records). Its state lives in `FakeCrm`, which tests drive
directly; the same switches are reachable over HTTP under `/_fake/` (same key) for a running
`manage.py fake_crm`:

    POST  /_fake/contacts        {"count": N}                 add N new contacts
    PATCH /_fake/contacts/{id}   {"firstName": "...", ...}    edit one (its updatedAt moves on)
    POST  /_fake/faults          {"status": 429, "times": 2, "retry_after": 1, "page": null}
    GET   /_fake/requests        the contacts requests served so far

It is a development tool: stdlib only, no dependency of the product.
"""

from __future__ import annotations

import hmac
import json
import math
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROUTE = re.compile(r"^/api/v1/businesses/(?P<business>[^/]+)/contacts/?$")
CONTROL = re.compile(r"^/_fake/(?P<what>contacts|faults|requests)(?:/(?P<id>[^/]+))?/?$")
SORTS = ("createdAt", "-createdAt", "updatedAt", "-updatedAt", "name", "-name")
RELATIONS = ("tags",)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How long a stalled request waits for release before answering anyway (a test that forgot to
# release must not leave a server thread behind forever).
STALL_LIMIT_S = 60.0


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Betty Mark "
    "Sandra Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa Wei Priya Mohammed Fatima Hiroshi Sofia Olga Mateo Aisha Liam Chloe "
    "Noah Zoe Ethan Ava"
)
LAST_NAMES = words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts O'Brien Kowalski "
    "Chen Patel Okafor Schmidt Rossi Dubois"
)
COMPANIES = (
    "Acme Property Management",
    "Harbor View HOA",
    "Oak Ridge Apartments",
    "Sunrise Senior Living",
    "Maple Street Dental",
    "Riverside Church",
    "Summit Realty Group",
    "Lakeside Storage",
    "Pine Valley School District",
    "Golden Gate Insurance Agency",
    "Bluebird Cafe",
    "Northside Veterinary Clinic",
)
STREETS = ("Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm St", "Washington Blvd", "Lake Dr", "Hillcrest Way")
# (city, state, zip prefix, area codes, IANA time zone)
CITIES = (
    ("Austin", "TX", "787", ("512", "737"), "America/Chicago"),
    ("Dallas", "TX", "752", ("214", "469", "972"), "America/Chicago"),
    ("Denver", "CO", "802", ("303", "720"), "America/Denver"),
    ("Phoenix", "AZ", "850", ("602", "480"), "America/Phoenix"),
    ("Seattle", "WA", "981", ("206", "425"), "America/Los_Angeles"),
    ("San Diego", "CA", "921", ("619", "858"), "America/Los_Angeles"),
    ("Atlanta", "GA", "303", ("404", "678"), "America/New_York"),
    ("Tampa", "FL", "336", ("813",), "America/New_York"),
    ("Columbus", "OH", "432", ("614",), "America/New_York"),
    ("Chicago", "IL", "606", ("312", "773"), "America/Chicago"),
)
TAG_NAMES = (
    "VIP",
    "Residential",
    "Commercial",
    "Insurance claim",
    "Water damage",
    "Fire damage",
    "Mold",
    "Repeat customer",
    "Property manager",
    "Estimate sent",
)
SOURCES = ("Google Ads", "Website form", "Referral", "Yelp", "Insurance agent", "Facebook", "Phone call")
NOTES = (
    "Prefers calls after 5pm.",
    "Gate code 4411.",
    "Has a dog; call before arriving.",
    "Adjuster: Mike at State Farm.",
    "Tenant occupied; coordinate with the owner.",
)


def iso(moment: datetime, *, millis: bool = False) -> str:
    """The CRM's timestamp form, e.g. "2023-11-07T05:31:56Z"."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if millis else f"{text}Z"


@dataclass
class Entry:
    """One stored contact: the record as served, and the true times the fake sorts by (a
    malformed record's served `updatedAt` may be unreadable; the fake still orders it)."""

    seq: int
    created: datetime
    updated: datetime
    record: dict[str, Any]


@dataclass
class Fault:
    """An injected failure: the next `times` matching contacts requests answer `status`."""

    status: int
    times: int = 1
    retry_after: int | None = None
    page: int | None = None


@dataclass
class FakeCrm:
    """The fake CRM's state: one business, its key, its contacts, and the test switches."""

    business_id: str
    api_key: str
    seed: int = 0
    entries: list[Entry] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    stall_page: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _now: datetime = field(default_factory=lambda: datetime.now(UTC), repr=False)
    _used_phones: set[str] = field(default_factory=set, repr=False)
    _used_emails: set[str] = field(default_factory=set, repr=False)
    _tags: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        *,
        contacts: int = 300,
        seed: int = 1,
        business_id: str | None = None,
        api_key: str | None = None,
        now: datetime | None = None,
    ) -> FakeCrm:
        rng = random.Random(seed)
        crm = cls(
            business_id=business_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            api_key=api_key or f"sk-ak-fake{rng.getrandbits(96):024x}",
            seed=seed,
        )
        crm._rng = rng
        crm._now = (now or datetime.now(UTC)).replace(microsecond=0)
        crm._tags = {
            name.lower(): {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "businessId": crm.business_id,
                "name": name,
                "displayOrder": order,
                "createdAt": iso(crm._now - timedelta(days=900)),
                "updatedAt": iso(crm._now - timedelta(days=900)),
            }
            for order, name in enumerate(TAG_NAMES, start=1)
        }
        for _ in range(contacts):
            created = crm._now - timedelta(seconds=rng.randrange(1, 730 * 86400))
            crm._append(created=created, age_updates=True)
        return crm

    # --- generating ---------------------------------------------------------------------------
    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _phone(self, area_codes: tuple[str, ...]) -> str:
        """A new US number, unique in this CRM (555-01xx style lines are fictional; any 555 line
        is a possible number, which is all the product checks)."""
        rng = self._rng
        while True:
            digits = f"{rng.choice(area_codes)}555{rng.randrange(10000):04d}"
            if digits not in self._used_phones:
                self._used_phones.add(digits)
                break
            area_codes = (f"{rng.randrange(201, 990)}",)  # that area's 555 lines are full-ish
        shape = rng.random()
        if shape < 0.85:
            return f"+1{digits}"
        if shape < 0.95:
            return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"

    def _append(self, *, created: datetime, age_updates: bool) -> Entry:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, zip_prefix, area_codes, tz = rng.choice(CITIES)
        company = rng.choice(COMPANIES) if rng.random() < 0.25 else None
        handle = f"{first.lower()}.{re.sub(r'[^a-z]', '', last.lower())}"
        while handle in self._used_emails:  # one email, one person, as a tidy CRM keeps it
            handle = f"{first.lower()}.{re.sub(r'[^a-z]', '', last.lower())}{rng.randrange(10000)}"
        self._used_emails.add(handle)
        email = f"{handle}@{rng.choice(('example.com', 'example.net', 'example.org'))}" if rng.random() < 0.9 else None
        phone = self._phone(area_codes) if rng.random() < 0.96 else None
        if phone is None and email is None:
            email = f"{handle}@example.com"
        secondary_phones = [self._phone(area_codes) for _ in range(rng.choice((1, 1, 2)))] if rng.random() < 0.2 else []
        if rng.random() < 0.01:
            secondary_phones.append(rng.choice(("ext. 12", "555-01", "call office")))  # unreadable, not fatal
        updated = created
        if age_updates and rng.random() < 0.4:
            updated = created + timedelta(seconds=rng.randrange(0, max(1, int((self._now - created).total_seconds()))))
        tags = rng.sample(TAG_NAMES, k=rng.choice((0, 0, 1, 1, 1, 2, 3)))
        record: dict[str, Any] = {
            "id": self._uuid(),
            "businessId": self.business_id,
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "email": email,
            "phone": phone,
            "company": company,
            "website": f"https://{re.sub(r'[^a-z]', '', company.lower())}.example.com" if company else None,
            "address": f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "state": state,
            "country": "US",
            "zipCode": f"{zip_prefix}{rng.randrange(100):02d}",
            "ianaTimezone": tz,
            "source": rng.choice(SOURCES) if rng.random() < 0.7 else None,
            "note": rng.choice(NOTES) if rng.random() < 0.15 else None,
            "emailDND": rng.random() < 0.1,
            "smsDND": rng.random() < 0.15,
            "callDND": rng.random() < 0.1,
            "whatsappDND": rng.random() < 0.05,
            "secondaryEmails": [f"{first.lower()}@{rng.choice(('example.com', 'example.net'))}"]
            if rng.random() < 0.1
            else [],
            "secondaryPhones": secondary_phones,
            "isTestContact": rng.random() < 0.02,
            "tags": [self._tags[name.lower()] for name in tags],
            "createdAt": iso(created),
            "updatedAt": iso(updated),
        }
        malformed = rng.random()
        if malformed < 0.004:
            del record["id"]
        elif malformed < 0.007:
            record["updatedAt"] = rng.choice(("last tuesday", "2023-13-45T99:00:00Z"))
        elif malformed < 0.01:
            record["updatedAt"] = None
        entry = Entry(seq=len(self.entries), created=created, updated=updated, record=record)
        self.entries.append(entry)
        return entry

    # --- test switches ------------------------------------------------------------------------
    def add_contacts(self, count: int = 1, **fields: Any) -> list[dict[str, Any]]:
        """Add `count` new contacts created now (they sort last by createdAt); `fields` override the
        generated values (e.g. phone="+15125550100", callDND=True)."""
        with self.lock:
            added = []
            for _ in range(count):
                now = self._tick()
                entry = self._append(created=now, age_updates=False)
                entry.record.update(fields)
                if "tags" in fields:
                    entry.record["tags"] = [self._tag(name) for name in fields["tags"]]
                added.append(dict(entry.record))
            return added

    def edit_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        """Change fields of one contact as a CRM user would; its `updatedAt` becomes now (with
        milliseconds, as an edit stamps it). `tags` is a list of names. KeyError if unknown."""
        with self.lock:
            entry = next(e for e in self.entries if e.record.get("id") == contact_id)
            entry.record.update(fields)
            if "tags" in fields:
                entry.record["tags"] = [self._tag(name) for name in fields["tags"]]
            if "firstName" in fields or "lastName" in fields:
                entry.record["name"] = (
                    f"{entry.record.get('firstName') or ''} {entry.record.get('lastName') or ''}".strip()
                )
            entry.updated = self._tick()
            entry.record["updatedAt"] = iso(entry.updated, millis=True)
            return dict(entry.record)

    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None, page: int | None = None) -> None:
        """Answer the next `times` contacts requests (for `page`, or any) with `status`."""
        with self.lock:
            self.faults.append(Fault(status=status, times=times, retry_after=retry_after, page=page))

    def stall(self, page: int) -> None:
        """Hold every request for `page` until `release.set()`: a client can be killed mid-run."""
        self.stall_page = page
        self.stalled.clear()
        self.release.clear()

    def contact(self, contact_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(next(e.record for e in self.entries if e.record.get("id") == contact_id))

    def records(self) -> list[dict[str, Any]]:
        """Every stored record as served with tags, in creation order."""
        with self.lock:
            return [dict(e.record) for e in sorted(self.entries, key=lambda e: (e.created, e.seq))]

    def _tick(self) -> datetime:
        """Now, but strictly after every stored time: records added or edited in one second
        still sort after the rest."""
        latest = max((max(e.created, e.updated) for e in self.entries), default=self._now)
        now = datetime.now(UTC)
        return now if now > latest else latest + timedelta(milliseconds=1)

    def _tag(self, name: str) -> dict[str, Any]:
        tag = self._tags.get(name.lower())
        if tag is None:
            stamp = iso(self._tick())
            tag = self._tags[name.lower()] = {
                "id": self._uuid(),
                "businessId": self.business_id,
                "name": name,
                "displayOrder": len(self._tags) + 1,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
        return tag

    # --- the route ----------------------------------------------------------------------------
    def list_contacts(self, business_id: str, authorization: str | None, query: dict[str, list[str]]) -> tuple:
        """Answer one contacts request: (status, body, extra headers)."""
        params = {name: values[-1] for name, values in query.items()}
        page_asked = params.get("page", "1")
        log = {"page": page_asked, "params": params, "status": None, "at": time.monotonic()}
        with self.lock:
            self.requests.append(log)
            fault = next((f for f in self.faults if f.page is None or str(f.page) == page_asked), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if self.stall_page is not None and page_asked == str(self.stall_page):
            self.stalled.set()
            self.release.wait(STALL_LIMIT_S)
        status, body, headers = self._answer(business_id, authorization, params, fault)
        log["status"] = status
        return status, body, headers

    def _answer(self, business_id: str, authorization: str | None, params: dict[str, str], fault: Fault | None):
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, error_body(fault.status, "injected failure"), headers
        # Authorizations: "Authorization: Bearer sk-ak-..."
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), self.api_key.encode()):
            return 401, error_body(401, "Invalid or missing API key"), {}
        if business_id != self.business_id:
            return 404, error_body(404, "Business not found"), {}
        try:
            page, limit, sort, include = read_params(params)
        except ValueError as e:
            return 400, error_body(400, str(e)), {}
        with self.lock:
            entries = [e for e in self.entries if matches(e.record, params)]
            entries.sort(key=sort_key(sort), reverse=sort.startswith("-"))
            total = len(entries)
            chosen = entries[(page - 1) * limit : page * limit]
            data = []
            for entry in chosen:
                record = dict(entry.record)
                if "tags" not in include:
                    record.pop("tags", None)
                data.append(record)
        pagination = {"page": page, "limit": limit, "total": total, "totalPages": math.ceil(total / limit)}
        return 200, {"data": data, "pagination": pagination}, {}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "error": ERROR_NAMES.get(status, "Error"), "message": message}


ERROR_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def read_params(params: dict[str, str]) -> tuple[int, int, str, set[str]]:
    """The spec's Query Parameters, checked as it states their ranges; ValueError says which."""

    def integer(name: str, default: int) -> int:
        text = params.get(name)
        if text is None:
            return default
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} must be an integer") from None

    page, limit = integer("page", 1), integer("limit", 20)
    if page < 1:
        raise ValueError("page must be >= 1")
    if not 1 <= limit <= 100:
        raise ValueError("limit must be between 1 and 100")
    if len(params.get("search", "")) > 255:
        raise ValueError("search must be at most 255 characters")
    if "email" in params and not EMAIL.match(params["email"]):
        raise ValueError("email must be an email address")
    sort = params.get("sort", "-createdAt")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    include = {part.strip() for part in params.get("include", "").split(",") if part.strip()}
    unknown = include - set(RELATIONS)
    if unknown:
        raise ValueError(f"include: unknown relation {sorted(unknown)[0]!r} (known: {', '.join(RELATIONS)})")
    return page, limit, sort, include


def digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def matches(record: dict[str, Any], params: dict[str, str]) -> bool:
    """The spec's filters: `search` across name, email, phone; exact `email`, `phone`; `tag` name."""
    search = params.get("search", "").strip().lower()
    if search:
        in_text = any(search in (record.get(k) or "").lower() for k in ("name", "email", "phone"))
        in_phone = len(digits(search)) >= 3 and digits(search) in digits(record.get("phone"))
        if not (in_text or in_phone):
            return False
    if "email" in params and (record.get("email") or "").lower() != params["email"].lower():
        return False
    if "phone" in params and (not digits(params["phone"]) or digits(record.get("phone")) != digits(params["phone"])):
        return False
    if "tag" in params:
        wanted = params["tag"].strip().lower()
        if not any((t.get("name") or "").lower() == wanted for t in record.get("tags") or []):
            return False
    return True


def sort_key(sort: str):
    column = sort.lstrip("-")
    if column == "createdAt":
        return lambda e: (e.created, e.seq)
    if column == "updatedAt":
        return lambda e: (e.updated, e.seq)
    return lambda e: ((e.record.get("name") or "").lower(), e.seq)


class _Handler(BaseHTTPRequestHandler):
    server: FakeCrmServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        route = ROUTE.match(url.path)
        crm = self.server.crm
        if route:
            status, body, headers = crm.list_contacts(
                route["business"], self.headers.get("Authorization"), parse_qs(url.query, keep_blank_values=True)
            )
            self._send(status, body, headers)
        elif CONTROL.match(url.path) and CONTROL.match(url.path)["what"] == "requests" and self._control_allowed():
            with crm.lock:
                self._send(200, {"requests": list(crm.requests)})
        else:
            self._send(404, error_body(404, "No such route"))

    def do_POST(self) -> None:
        self._control("POST")

    def do_PATCH(self) -> None:
        self._control("PATCH")

    def _control_allowed(self) -> bool:
        _, _, key = (self.headers.get("Authorization") or "").partition(" ")
        if hmac.compare_digest(key.strip().encode(), self.server.crm.api_key.encode()):
            return True
        self._send(401, error_body(401, "Invalid or missing API key"))
        return False

    def _control(self, method: str) -> None:
        control = CONTROL.match(urlsplit(self.path).path)
        if not control:
            self._send(404, error_body(404, "No such route"))
            return
        if not self._control_allowed():
            return
        crm = self.server.crm
        try:
            body = self._read_json()
            if method == "POST" and control["what"] == "contacts" and not control["id"]:
                count = int(body.get("count", 1))
                fields = {k: v for k, v in body.items() if k != "count"}
                self._send(201, {"data": crm.add_contacts(count, **fields)})
            elif method == "PATCH" and control["what"] == "contacts" and control["id"]:
                self._send(200, {"data": crm.edit_contact(control["id"], **body)})
            elif method == "POST" and control["what"] == "faults":
                crm.fail(
                    int(body["status"]),
                    times=int(body.get("times", 1)),
                    retry_after=body.get("retry_after"),
                    page=body.get("page"),
                )
                self._send(201, {"faults": len(crm.faults)})
            else:
                self._send(405, error_body(405, "Method not allowed"))
        except StopIteration:
            self._send(404, error_body(404, "No such contact"))
        except (ValueError, KeyError, TypeError) as e:
            self._send(400, error_body(400, f"bad control request: {e}"))


class FakeCrmServer(ThreadingHTTPServer):
    """The fake CRM on a real socket. `with FakeCrmServer(crm) as server:` serves in a thread;
    `server.base_url` is what a connection's base URL would be."""

    daemon_threads = True

    def __init__(self, crm: FakeCrm, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False):
        super().__init__((host, port), _Handler)
        self.crm = crm
        self.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeCrmServer:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="fake-crm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.crm.release.set()  # let stalled requests finish so shutdown does not wait on them
        self.shutdown()
        self.server_close()

    def __enter__(self) -> FakeCrmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
