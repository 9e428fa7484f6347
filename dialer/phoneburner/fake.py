"""A fake PhoneBurner for development and tests: a real HTTP server (stdlib only) with its own
in-memory state, answering the dialer's routes exactly as specs/phoneburner-api.txt shows them —
quirks included: numbers as strings in some answers and numbers in others, `"null"` as a string,
`dialsessions` a list in the list route and one object in the detail route, folders keyed "0",
"1", …, the two-level envelopes.

It also plays PhoneBurner's part in the browser: the `redirect_url` of a new dial session is a
one-time SSO link to a small dialer page where a person (or a browser test) dials each contact in
turn and clicks a disposition. Those clicks fire the session's three callbacks
(`api_contact_displayed`, `api_callbegin`, `api_calldone`) from the server, with the bodies the
spec shows, at the URLs the session was given — only at loopback addresses, so a fake never sends
anything off this machine. With `drop_callbacks` it fires none, and the calls are visible only
through the GET routes (what `reconcile_dial_sessions` is for).

Where the spec is silent: an unknown token is a 401 in the OAuth2 server's shape
(`{"error": "invalid_token", "error_description": …}` with `WWW-Authenticate`); other errors use the
spec's envelope with an `errors` list; `include_recording=1` adds `recording_url` to each call.
"""

from __future__ import annotations

import html
import io
import ipaddress
import json
import secrets
import struct
import threading
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import httpx

from dialer.phoneburner.types import CALLBACK_TYPES, ShapeError, lenient_date

DEFAULT_TOKEN = "fake-pb-token"
MAX_BODY = 1024 * 1024
COOKIE = "pbfake_session"
PHONE_TYPES = {1: "Home", 2: "Work", 3: "Cell", 5: "Other"}

# PhoneBurner's stock buttons: (label, live answer?, voicemail?, the note PhoneBurner writes).
DISPOSITIONS: tuple[tuple[str, bool, bool, str], ...] = (
    ("Set Appointment", True, False, "Set an appointment."),
    ("Interested", True, False, "Talked: interested."),
    ("Call Back", True, False, "Talked: call back later."),
    ("Not Interested", True, False, "Talked: not interested."),
    ("Do Not Call", True, False, "Asked not to be called again."),
    ("Wrong Number", True, False, "Wrong number."),
    ("Left Message", False, True, "Left a message. (Basic Voicemail)"),
    ("No Answer", False, False, "There was no answer."),
    ("Busy Phone", False, False, "Got a busy signal."),
    ("Bad Phone", False, False, "The number is not in service."),
)
DISPOSITION_INDEX = {label: (connected, voicemail, note) for label, connected, voicemail, note in DISPOSITIONS}

DEFAULT_SETTINGS: dict[str, str | None] = {
    "dialsecs": "30",
    "ringing": "1",
    "emails": "0",
    "busy": None,
    "badphone": None,
    "noanswer": None,
    "fax": None,
    "voicemail": None,
    "interested": None,
    "notinterested": None,
    "wrongperson": None,
    "calltime_max": "2100",
    "calltime_min": "0800",
    "connectme_preset": "null",
}
EMAIL_SETTINGS = ("busy", "badphone", "noanswer", "fax", "voicemail", "interested", "notinterested", "wrongperson")

FOLDERS: tuple[dict[str, Any], ...] = (
    {"folder_id": "11888", "folder_name": "Call-backs", "description": "Leads to call back", "children": ()},
    {
        "folder_id": "11990",
        "folder_name": "Leads",
        "description": "New leads",
        "children": (
            {"folder_id": "11991", "folder_name": "Water damage", "description": "Water and flood"},
            {"folder_id": "11992", "folder_name": "Fire and smoke", "description": "Fire and smoke damage"},
        ),
    },
    {"folder_id": "11000", "folder_name": "Past customers", "description": "Jobs done", "children": ()},
)
FOLDER_IDS = {f["folder_id"] for f in FOLDERS} | {c["folder_id"] for f in FOLDERS for c in f["children"]}


class FakeError(Exception):
    """An error answer: status and the reasons that go into the spec's envelope."""

    def __init__(self, status: int, *reasons: str) -> None:
        super().__init__("; ".join(reasons))
        self.status = status
        self.reasons = list(reasons)


@dataclass
class Member:
    user_id: str
    token: str
    first_name: str
    last_name: str
    phone: str
    settings: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))

    @property
    def username(self) -> str:
        return f"{self.first_name}.{self.last_name}@example.com".lower().replace(" ", "")


@dataclass
class Contact:
    contact_user_id: int
    lead_id: str
    first_name: str
    last_name: str
    phone: str
    email: str
    category_id: str
    phones: list[tuple[str, str]]  # (number, type label)
    notes: list[str]
    addresses: list[dict[str, str]]


@dataclass
class Call:
    call_id: str
    ds_id: str
    contact: Contact
    phone: str
    start_when: datetime
    end_when: datetime | None = None
    disposition: str | None = None
    connected: bool = False
    voicemail: bool = False
    note: str | None = None


@dataclass
class Session:
    ds_id: str
    member: Member
    contacts: list[Contact]
    callbacks: dict[str, str]
    custom_data: Any
    preview_mode: int
    start_when: datetime
    end_when: datetime | None = None
    connected_when: datetime | None = None
    calls: list[Call] = field(default_factory=list)
    position: int = 0
    displayed: set[int] = field(default_factory=set)
    current: Call | None = None

    @property
    def finished(self) -> bool:
        return self.end_when is not None

    @property
    def contact(self) -> Contact | None:
        return None if self.finished or self.position >= len(self.contacts) else self.contacts[self.position]


@dataclass
class Delivery:
    """One callback the fake tried to send, for tests and the operator's log."""

    callback_type: str
    url: str
    body: dict[str, Any]
    status: int | None = None
    error: str | None = None


class FakePhoneBurner:
    """The fake's state and its answers. `handle()` is the whole HTTP behaviour; `serve()` puts it
    behind a real `ThreadingHTTPServer`."""

    def __init__(
        self,
        *,
        tokens: dict[str, str] | None = None,
        time_zone: str = "America/New_York",
        drop_callbacks: bool = False,
        callback_timeout: float = 5.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.tz = ZoneInfo(time_zone)
        self.now = now or (lambda: datetime.now(self.tz))
        self.drop_callbacks = drop_callbacks
        self.lock = threading.RLock()
        self.members: list[Member] = []
        for n, (token, name) in enumerate((tokens or {DEFAULT_TOKEN: "Pat Dialer"}).items()):
            first, _, last = name.strip().partition(" ")
            self.members.append(Member(str(1234567 + n), token, first, last, f"94921{81234 + n:05d}"))
        self.sessions: dict[str, Session] = {}
        self.calls: dict[str, Call] = {}
        self.sso: dict[str, str] = {}  # one-time secret → ds_id
        self.browsers: dict[str, str] = {}  # dialer cookie → ds_id
        self.deliveries: list[Delivery] = []
        self._ids = {"ds": 70951, "call": 1767709, "contact": 30919237}
        # One client for every callback (httpx loads its CA bundle per client, ~0.2 s); callbacks
        # go to loopback only, over plain HTTP, and never through an environment proxy.
        self.callback_http = httpx.Client(timeout=callback_timeout, trust_env=False, verify=False)

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind] - 1

    def _when(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S") if moment else None

    # --- HTTP entry point --------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, headers, body)."""
        url = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path.rstrip("/") or "/"
        headers = {key.lower(): value for key, value in headers.items()}
        host = headers.get("host") or "127.0.0.1"  # links point where the caller reached us
        try:
            if path.startswith("/rest/1/"):
                member = self._member(headers.get("authorization", ""))
                status, payload = self._api(method, path, query, body, member, host)
                return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
            return self._pages(method, path, query, headers, body)
        except FakeError as error:
            if error.status == 401:
                payload = {"error": "invalid_token", "error_description": "The access token provided is invalid"}
                extra = {"WWW-Authenticate": 'Bearer realm="Service", error="invalid_token"'}
            else:
                payload = {"http_status": error.status, "status": "error", "errors": error.reasons}
                extra = {}
            return error.status, {"Content-Type": "application/json", **extra}, json.dumps(payload).encode()

    def _member(self, authorization: str) -> Member:
        scheme, _, token = authorization.partition(" ")
        for member in self.members:
            if scheme.lower() == "bearer" and secrets.compare_digest(token.strip(), member.token):
                return member
        raise FakeError(401)

    # --- REST routes -------------------------------------------------------------------------------

    def _api(
        self, method: str, path: str, query: dict[str, str], body: bytes, member: Member, host: str
    ) -> tuple[int, Any]:
        parts = path.split("/")[3:]  # after /rest/1/
        routes: dict[tuple[str, ...], Callable[[], tuple[int, Any]]] = {
            ("GET", "members"): lambda: self._members(member),
            ("GET", "folders"): lambda: self._folders(query),
            ("GET", "dialsession"): lambda: self._list_sessions(member, query),
            ("POST", "dialsession"): lambda: self._create_session(member, body, host),
            ("GET", "dialsession", "settings"): lambda: self._settings(member),
            ("PUT", "dialsession", "settings"): lambda: self._update_settings(member, body),
            ("GET", "dialsession", "usage"): lambda: self._usage(query),
        }
        route = routes.get((method, *parts))
        if route:
            with self.lock:
                return route()
        if method == "GET" and len(parts) == 3 and parts[:2] == ["dialsession", "call"] and parts[2].isdigit():
            with self.lock:
                return self._call(member, parts[2], query, host)
        if method == "GET" and len(parts) == 2 and parts[0] == "dialsession" and parts[1].isdigit():
            with self.lock:
                return self._session(member, parts[1], query, host)
        if any(key[1:] == tuple(parts) for key in routes):
            raise FakeError(405, f"{method} is not supported here")
        raise FakeError(404, "Not found")

    def _members(self, member: Member) -> tuple[int, Any]:
        team = [member, *(m for m in self.members if m is not member)]
        rows = [
            {
                "user_id": m.user_id,
                "username": m.username,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "email_address": m.username,
                "date_added": "2013-01-17 17:12:13",
                "phone": m.phone,
                "display_name": "Standard Account",
                "billing_item_id": "131",
                "subscription_status": "1",
                "oauth": {"bearer_token": m.token},
            }
            for m in team
        ]
        return 200, {
            "http_status": 200,
            "status": "success",
            "members": {
                "total_results": len(rows),
                "members": rows,
                "page": 1,
                "page_size": len(rows),
                "total_pages": 1,
            },
        }

    def _folders(self, query: dict[str, str]) -> tuple[int, Any]:
        def link(folder_id: str) -> dict[str, Any]:
            return {"self": {"href": f"rest/1/folders/{folder_id}"}}

        folders: dict[str, Any] = {}
        for n, folder in enumerate(FOLDERS):
            if query.get("structure") == "1":
                entry: dict[str, Any] = {
                    "id": folder["folder_id"],
                    "folder_id": folder["folder_id"],
                    "folder_name": folder["folder_name"],
                    "description": folder["description"],
                    "_links": link(folder["folder_id"]),
                }
                if folder["children"]:
                    entry["_embedded"] = {
                        "folders": [
                            {"id": c["folder_id"], **c, "_links": link(c["folder_id"])} for c in folder["children"]
                        ]
                    }
            else:
                entry = {"folder_id": folder["folder_id"], "folder_name": folder["folder_name"]}
            folders[str(n)] = entry
        return 200, {"http_status": 200, "status": "success", "folders": folders}

    @staticmethod
    def _paging(query: dict[str, str], default_size: int = 25) -> tuple[int, int]:
        def number(key: str, default: int) -> int:
            try:
                return int(query.get(key) or default)
            except ValueError:
                raise FakeError(400, f"{key} must be a whole number") from None

        return max(1, number("page", 1)), min(max(1, number("page_size", default_size)), 100)

    def _session_row(self, session: Session) -> dict[str, Any]:
        return {
            "dialsession_id": session.ds_id,
            "callerid": session.member.phone if session.calls else None,
            "start_when": self._when(session.start_when),
            "end_when": self._when(session.end_when),
            "connected_when": self._when(session.connected_when),
            "disconnected_when": self._when(session.end_when if session.connected_when else None),
            "call_count": len(session.calls),
        }

    def _call_row(self, call: Call, host: str | None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "call_id": call.call_id,
            "phone": call.phone,
            "start_when": self._when(call.start_when),
            "end_when": self._when(call.end_when),
            "connected": "1" if call.connected else "0",
            "voicemail": "1" if call.voicemail else "0",
            "voicemail_sent": "Basic Voicemail" if call.voicemail else None,
            "email_sent": None,
            "email_ok": "0",
            "hangup_status": None,
            "message_id": None,
            "note": call.note,
            "disposition": call.disposition,
        }
        if host is not None:
            row["recording_url"] = f"http://{host}/recordings/{call.call_id}.wav" if call.connected else None
        return row

    def _list_sessions(self, member: Member, query: dict[str, str]) -> tuple[int, Any]:
        page, size = self._paging(query)
        start, end = (self._date(query, key) if query.get(key) else None for key in ("date_start", "date_end"))
        rows = [
            s
            for s in self.sessions.values()
            if s.member is member
            and (start is None or s.start_when.astimezone(self.tz).date() >= start)
            and (end is None or s.start_when.astimezone(self.tz).date() <= end)
        ]
        window = rows[(page - 1) * size : page * size]
        return 200, {
            "http_status": 200,
            "status": "success",
            "dialsessions": {
                "page": page,
                "page_size": size,
                "total_pages": max(1, -(-len(rows) // size)),
                "total_results": len(rows),
                "dialsessions": [self._session_row(s) for s in window],
            },
        }

    def _owned_session(self, member: Member, ds_id: str) -> Session:
        session = self.sessions.get(ds_id)
        if session is None or session.member is not member:
            raise FakeError(404, "Dial session not found")
        return session

    def _session(self, member: Member, ds_id: str, query: dict[str, str], host: str) -> tuple[int, Any]:
        session = self._owned_session(member, ds_id)
        page, size = self._paging(query)
        finished = [c for c in session.calls if c.end_when]
        recordings = host if query.get("include_recording") == "1" else None
        row = self._session_row(session)
        row["calls"] = [self._call_row(c, recordings) for c in finished[(page - 1) * size : page * size]]
        return 200, {
            "http_status": 200,
            "status": "success",
            "dialsessions": {
                "page": page,
                "page_size": size,
                "total_pages": max(1, -(-len(finished) // size)),
                "total_results": len(finished),
                "dialsessions": row,
            },
        }

    def _call(self, member: Member, call_id: str, query: dict[str, str], host: str) -> tuple[int, Any]:
        call = self.calls.get(call_id)
        if call is None or call.end_when is None or self.sessions[call.ds_id].member is not member:
            raise FakeError(404, "Call not found")
        recordings = host if query.get("include_recording") == "1" else None
        return 200, {
            "http_status": 200,
            "status": "success",
            "call": {
                "call": self._call_row(call, recordings),
                "total_results": 1,
                "page": 1,
                "page_size": 1,
                "total_pages": 1,
            },
        }

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json.loads(body or b"null")
        except ValueError:
            return None

    def _create_session(self, member: Member, body: bytes, host: str) -> tuple[int, Any]:
        payload = self._json(body)
        if not isinstance(payload, dict):
            raise FakeError(400, "The body must be a JSON object (Content-Type: application/json)")
        raw_contacts = payload.get("contacts")
        if not isinstance(raw_contacts, list) or not raw_contacts:
            raise FakeError(400, "contacts is required: a list of contacts")
        callbacks: dict[str, str] = {}
        for entry in payload.get("callbacks") or []:
            kind = entry.get("callback_type") if isinstance(entry, dict) else None
            target = entry.get("callback") if isinstance(entry, dict) else None
            if kind not in CALLBACK_TYPES:
                raise FakeError(400, f"Unknown callback_type {kind!r}")
            if not isinstance(target, str) or urlsplit(target).scheme not in ("http", "https"):
                raise FakeError(400, f"The {kind} callback must be an http(s) URL")
            callbacks[kind] = target
        preview = payload.get("preview_mode", 0)
        if str(preview) not in ("0", "1"):
            raise FakeError(400, "preview_mode must be 0 or 1")
        contacts = [self._contact(n, raw) for n, raw in enumerate(raw_contacts, start=1)]
        session = Session(
            ds_id=str(self._next("ds")),
            member=member,
            contacts=contacts,
            callbacks=callbacks,
            custom_data=payload.get("custom_data", ""),
            preview_mode=int(preview),
            start_when=self.now(),
        )
        self.sessions[session.ds_id] = session
        secret = secrets.token_hex(16)
        self.sso[secret] = session.ds_id
        redirect = quote("/phoneburner/api_begin_dialsession", safe="")
        return 201, {
            "http_status": 201,
            "status": "success",
            "dialsessions": {
                "redirect_url": f"http://{host}/index/sso_key_login?single_sign_on_secret={secret}&redirect={redirect}",
                "errors": None,
                "total_results": 0,
                "page": 1,
                "page_size": 0,
                "total_pages": 0,
            },
        }

    def _contact(self, n: int, raw: Any) -> Contact:
        if not isinstance(raw, dict):
            raise FakeError(400, f"contacts[{n}] must be an object")
        phone = "".join(ch for ch in str(raw.get("phone") or "") if ch.isdigit() or ch == "+")
        if not phone:
            raise FakeError(400, f"contacts[{n}] has no phone")
        category = str(raw.get("category_id") or "")
        if category and category not in FOLDER_IDS:
            raise FakeError(400, f"contacts[{n}]: unknown category_id {category}")
        phones = [(phone, "Home")]
        for extra in raw.get("additional_phone") or []:
            number = str(extra.get("number") or "") if isinstance(extra, dict) else ""
            if number:
                phones.append((number, PHONE_TYPES.get(int(extra.get("phone_type") or 5), "Other")))
        address = {
            key: str(raw.get(src) or "")
            for key, src in (("address", "address1"), ("address_2", "address2"), ("city", "city"), ("state", "state"))
        }
        address["zip"] = str(raw.get("zip") or "")
        return Contact(
            contact_user_id=self._next("contact"),
            lead_id="" if raw.get("lead_id") is None else str(raw.get("lead_id")),
            first_name=str(raw.get("first_name") or ""),
            last_name=str(raw.get("last_name") or ""),
            phone=phone,
            email=str(raw.get("email") or ""),
            category_id=category,
            phones=phones,
            notes=[str(raw["notes"])] if raw.get("notes") else [],
            addresses=[address] if any(address.values()) else [],
        )

    def _settings_answer(self, member: Member) -> tuple[int, Any]:
        return 200, {
            "http_status": 200,
            "status": "success",
            "settings": {
                "settings": dict(member.settings),
                "total_results": 1,
                "page": 1,
                "page_size": 1,
                "total_pages": 1,
            },
        }

    def _settings(self, member: Member) -> tuple[int, Any]:
        return self._settings_answer(member)

    def _update_settings(self, member: Member, body: bytes) -> tuple[int, Any]:
        # The spec's curl sends JSON without a Content-Type (so as a form body); take either.
        payload = self._json(body)
        if not isinstance(payload, dict):
            payload = {key: values[-1] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
        if "dialsec" in payload and "dialsecs" not in payload:  # the spec's table spells it so
            payload["dialsecs"] = payload.pop("dialsec")
        changes: dict[str, str | None] = {}
        errors: list[str] = []
        for key, value in payload.items():
            value = "" if value is None else str(value).strip()
            if key == "dialsecs":
                if not value.isdigit() or int(value) <= 20:
                    errors.append("dialsecs must be a whole number greater than 20")
                changes[key] = value
            elif key in ("ringing", "emails"):
                if value not in ("0", "1"):
                    errors.append(f"{key} must be 0 or 1")
                changes[key] = value
            elif key in ("calltime_min", "calltime_max"):
                if not (len(value) == 4 and value.isdigit() and "0800" <= value <= "2100" and int(value[2:]) < 60):
                    errors.append(f"{key} must be a time from 0800 to 2100")
                changes[key] = value
            elif key == "connectme_preset":
                if value not in ("", "null") and not (len(value) == 10 and value.isdigit()):
                    errors.append("connectme_preset must be a 10-digit phone number")
                changes[key] = value if value not in ("", "null") else "null"
            elif key in EMAIL_SETTINGS:
                if value not in ("", "0", "null") and not value.isdigit():
                    errors.append(f"{key} must be a message id")
                changes[key] = None if value in ("", "0", "null") else value
        merged = {**member.settings, **changes}
        if not errors and (merged["calltime_min"] or "") >= (merged["calltime_max"] or ""):
            errors.append("calltime_min must be before calltime_max")
        if errors:
            raise FakeError(400, *errors)
        member.settings = merged
        return self._settings_answer(member)

    def _date(self, query: dict[str, str], key: str) -> date:
        try:
            return lenient_date(query[key])
        except ShapeError:
            raise FakeError(400, f"{key} must be a date (YYYY-MM-DD)") from None

    def _usage(self, query: dict[str, str]) -> tuple[int, Any]:
        if not query.get("date_start") or not query.get("date_end"):
            raise FakeError(400, "date_start and date_end are required")
        start, end = self._date(query, "date_start"), self._date(query, "date_end")
        if end < start:
            raise FakeError(400, "date_end must not be before date_start")
        if (end - start).days > 90:
            raise FakeError(403, "The date range may not be longer than 90 days")
        usage: dict[str, Any] = {}
        for member in self.members:
            sessions = [
                s
                for s in self.sessions.values()
                if s.member is member and start <= s.start_when.astimezone(self.tz).date() <= end
            ]
            calls = [c for s in sessions for c in s.calls if c.end_when]
            live = [c for c in calls if c.connected]
            talk_seconds = sum(int((c.end_when - c.start_when).total_seconds()) for c in live)
            talktime = round(talk_seconds / 60)
            usage[member.user_id] = {
                "sessions": len(sessions),
                "calls": len(calls),
                "connected": len(live),
                "voicemail": sum(c.voicemail for c in calls),
                "emails": 0,
                "talktime": talktime,
                "avg_talktime": round(talktime / len(live)) if live else 0,
            }
        return 200, {"http_status": 200, "status": "success", "usage": usage}

    # --- The dialer in the browser -----------------------------------------------------------------

    def _pages(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and path == "/":
            return self._html(
                200, "Fake PhoneBurner", "<p>A fake PhoneBurner for development. The API is under /rest/1/.</p>"
            )
        if method == "GET" and path == "/index/sso_key_login":
            return self._sso_login(query)
        if method == "GET" and path.startswith("/recordings/") and path.endswith(".wav"):
            return 200, {"Content-Type": "audio/wav"}, silent_wav()
        cookie = SimpleCookie(headers.get("cookie", "")).get(COOKIE)
        with self.lock:
            session = self.sessions.get(self.browsers.get(cookie.value, "")) if cookie else None
        if session is None:
            return self._html(403, "Not signed in", "<p>Open the dial session from the app again.</p>")
        if method == "GET" and path == "/phoneburner/api_begin_dialsession":
            self._display(session)
            return self._html(200, f"Dial session {session.ds_id}", self._dialer(session))
        if method == "POST" and path.startswith("/phoneburner/"):
            form = {key: values[-1] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
            action = path.removeprefix("/phoneburner/")
            if action == "dial":
                self._dial(session)
            elif action == "disposition" and form.get("disposition") in DISPOSITION_INDEX:
                self._dispose(session, form["disposition"], form.get("note", ""), form.get("new_phone", ""))
            elif action == "skip":
                with self.lock:
                    self._advance(session)
            elif action == "end":
                with self.lock:
                    self._end(session)
            else:
                return self._html(400, "Unknown action", "<p>That button does not exist.</p>")
            return 303, {"Location": "/phoneburner/api_begin_dialsession"}, b""
        return self._html(404, "Not found", "<p>No such page.</p>")

    def _sso_login(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            ds_id = self.sso.pop(query.get("single_sign_on_secret", ""), None)  # one-time: gone once used
            if ds_id is None:
                return self._html(403, "Link expired", "<p>This sign-in link is not valid or was already used.</p>")
            browser = secrets.token_urlsafe(24)
            self.browsers[browser] = ds_id
        target = query.get("redirect") or "/phoneburner/api_begin_dialsession"
        if not target.startswith("/") or target.startswith("//"):
            target = "/phoneburner/api_begin_dialsession"
        cookie = f"{COOKIE}={browser}; Path=/; HttpOnly; SameSite=Lax"
        return 302, {"Location": target, "Set-Cookie": cookie}, b""

    def _display(self, session: Session) -> None:
        with self.lock:
            contact = session.contact
            if contact is None or session.position in session.displayed:
                return
            session.displayed.add(session.position)
        self._fire(
            session,
            "api_contact_displayed",
            {
                "endpoint": session.callbacks.get("api_contact_displayed", ""),
                "contact_user_id": contact.contact_user_id,
                "lead_id": contact.lead_id,
                "external_id": "",
                "external_crm": [],
            },
        )

    def _dial(self, session: Session) -> Call | None:
        with self.lock:
            contact = session.contact
            if contact is None or session.current is not None:
                return session.current
            call = Call(str(self._next("call")), session.ds_id, contact, contact.phone, start_when=self.now())
            session.current = call
            session.calls.append(call)
            self.calls[call.call_id] = call
        self._fire(
            session,
            "api_callbegin",
            {
                "lead_id": contact.lead_id,
                "custom_data": session.custom_data,
                "ds_id": session.ds_id,
                "call_id": call.call_id,
            },
        )
        return call

    def _dispose(self, session: Session, disposition: str, note: str, new_phone: str) -> None:
        call = self._dial(session)  # a disposition without a dial first dials
        if call is None:
            return
        connected, voicemail, stock_note = DISPOSITION_INDEX[disposition]
        with self.lock:
            if session.current is not call:
                return
            now = self.now()
            call.end_when = max(now, call.start_when + timedelta(seconds=1))
            call.disposition, call.connected, call.voicemail = disposition, connected, voicemail
            local = now.astimezone(self.tz)
            stamp = f"{local:%b %d, %Y} {local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
            call.note = f"-- {stamp} - PB - {stock_note}" + (f" {note.strip()}" if note.strip() else "")
            contact = call.contact
            contact.notes.append(call.note)
            digits = "".join(ch for ch in new_phone if ch.isdigit())
            if digits and digits not in {number for number, _ in contact.phones}:
                contact.phones.append((digits, "Other"))
            if connected and session.connected_when is None:
                session.connected_when = call.start_when
            session.current = None
            payload = {
                "status": disposition,
                "duration": int((call.end_when - call.start_when).total_seconds()),
                "call_id": call.call_id,
                "connected": "1" if connected else "0",
                "contact": {
                    "user_id": str(contact.contact_user_id),
                    "lead_id": contact.lead_id,
                    "phone": call.phone,
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "phones": [{"number": n, "phone_type": t, "phone_label": None} for n, t in contact.phones],
                    "addresses": contact.addresses,
                    "notes": "\n".join(contact.notes),
                },
            }
            self._advance(session)
        self._fire(session, "api_calldone", payload)

    def _advance(self, session: Session) -> None:
        if session.current is not None:  # skipping a call in progress hangs it up undispositioned
            session.calls.remove(session.current)
            self.calls.pop(session.current.call_id, None)
            session.current = None
        session.position += 1
        if session.position >= len(session.contacts):
            self._end(session)

    def _end(self, session: Session) -> None:
        if session.end_when is None:
            session.end_when = self.now()

    def _fire(self, session: Session, kind: str, body: dict[str, Any]) -> None:
        """POST one callback, the way PhoneBurner does: JSON, once, whatever the answer."""
        url = session.callbacks.get(kind)
        if not url:
            return
        delivery = Delivery(kind, url, body)
        if self.drop_callbacks:
            delivery.error = "dropped (drop_callbacks is on)"
        elif not is_loopback(url):
            delivery.error = "refused: the fake sends callbacks to loopback addresses only"
        else:
            try:
                delivery.status = self.callback_http.post(url, json=body).status_code
            except httpx.HTTPError as error:
                delivery.error = f"{type(error).__name__}: {error}"
        with self.lock:
            self.deliveries.append(delivery)

    # --- HTML --------------------------------------------------------------------------------------

    @staticmethod
    def _html(status: int, title: str, content: str) -> tuple[int, dict[str, str], bytes]:
        page = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Fake PhoneBurner'
            f"</title><style>{STYLE}</style></head><body><header>Fake PhoneBurner</header><main>"
            f"<h1>{html.escape(title)}</h1>{content}</main></body></html>"
        )
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "Cache-Control": "no-store",
        }
        return status, headers, page.encode()

    def _dialer(self, session: Session) -> str:
        e = html.escape
        done = "".join(
            f'<li data-testid="fake-call">{e(c.contact.first_name)} {e(c.contact.last_name)} · {e(c.phone)} · '
            f"{e(c.disposition or '')}</li>"
            for c in session.calls
            if c.end_when
        )
        history = f"<h2>Calls</h2><ol>{done}</ol>" if done else ""
        contact = session.contact
        if contact is None:
            back = next(iter(session.callbacks.values()), "")
            origin = f"{urlsplit(back).scheme}://{urlsplit(back).netloc}/" if back else ""
            link = f'<p><a href="{e(origin)}">Back to the app</a></p>' if origin else ""
            return f'<p data-testid="fake-session-finished">Session finished.</p>{history}{link}'
        n, total = session.position + 1, len(session.contacts)
        calling = (
            f'<p class="live" data-testid="fake-on-call">On the call since {self._when(session.current.start_when)}</p>'
            if session.current
            else '<form method="post" action="/phoneburner/dial"><button>Dial</button></form>'
        )
        buttons = "".join(
            f'<button name="disposition" value="{e(label)}">{e(label)}</button>' for label, *_ in DISPOSITIONS
        )
        notes = "<br>".join(e(note) for note in contact.notes) or "No notes yet."
        # Skipping is for a contact not yet dialled; a call in progress ends with a disposition.
        skip = "" if session.current else '<form method="post" action="/phoneburner/skip"><button>Skip</button></form>'
        return (
            f"<p>Contact {n} of {total}</p>"
            f'<section data-testid="fake-contact"><h2>{e(contact.first_name)} {e(contact.last_name)}</h2>'
            f"<p>Phone: {e(contact.phone)}</p><p>Email: {e(contact.email) or '—'}</p><p>{notes}</p></section>"
            f"{calling}"
            f'<form method="post" action="/phoneburner/disposition">'
            f'<p><label>Note <textarea name="note" rows="2"></textarea></label></p>'
            f'<p><label>Add a phone <input name="new_phone" inputmode="tel"></label></p>'
            f"<fieldset><legend>Disposition</legend>{buttons}</fieldset></form>"
            f'{skip}<form method="post" action="/phoneburner/end"><button>End session</button></form>'
            f"{history}"
        )

    # --- Serving -----------------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> ThreadingHTTPServer:
        """A server bound to host:port (0: any free port); the caller runs `serve_forever()`."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FakePhoneBurner/1"
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed ACK

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                    return
                body = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

            def log_message(self, format: str, *args: Any) -> None:
                if not quiet:
                    super().log_message(format, *args)

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server


@contextmanager
def running(fake: FakePhoneBurner, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `fake` on a free port in a background thread; yields its base URL."""
    server = fake.serve(host, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def is_loopback(url: str) -> bool:
    """Whether the URL's host is a loopback address written out, or localhost. Names are not
    resolved: a fake must not even ask a DNS server about a callback host."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def silent_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short silent recording for the calls' recording_url."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return buffer.getvalue()


STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1c2430}"
    "header{background:#0b5394;color:#fff;padding:.6rem 1rem;font-weight:600}"
    "main{max-width:40rem;margin:1rem auto;background:#fff;padding:1rem 1.5rem;border-radius:8px}"
    "button{margin:.2rem;padding:.4rem .8rem;font:inherit;cursor:pointer}"
    "fieldset{border:1px solid #ccd;border-radius:6px}.live{color:#0a7a32;font-weight:600}"
    "textarea,input{font:inherit;width:100%;box-sizing:border-box}"
)
