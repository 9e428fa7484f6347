"""An httpx client for the PhoneBurner routes the dialer uses (the contract: specs/phoneburner-api.txt).

Every request goes through the project's outbound plumbing (`config.outbound`): a timeout, no
environment proxies, the SSRF guard, and retries with backoff and jitter on connect errors, 429
(honouring Retry-After) and 5xx — for GET and PUT only. POST /rest/1/dialsession is sent once: a
blind retry could start a second session on the agent's phone.

Whatever goes wrong becomes one `PhoneBurnerError` whose message a staff member can act on. The
access token is sent per request (one `httpx.Client` serves every linked user) and never appears
in a message.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings

from config.outbound import OutboundRefused, outbound_client, send_with_retries
from dialer.phoneburner.types import (
    CALLBACK_TYPES,
    DialCall,
    DialContact,
    DialSessionInfo,
    DialSessionPage,
    DialSettings,
    Folder,
    LaunchedDialSession,
    Member,
    Paging,
    ShapeError,
    Usage,
    envelope,
    error_messages,
    folders_from,
    items,
    obj,
    text,
    usage_by_member,
)

RELINK = "PhoneBurner refused the token: relink your account in Settings → PhoneBurner."


class PhoneBurnerError(Exception):
    """The one error of this client. `str(error)` is a sentence a staff member can act on;
    `reason` is a short code for logs and tests ("token", "refused", "not_found", "rate_limited",
    "unavailable", "timeout", "unreachable", "blocked", "bad_answer", "bad_request")."""

    def __init__(self, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


@functools.lru_cache(maxsize=4)
def shared_http(base_url: str) -> httpx.Client:
    """One guarded client per base URL for the process (thread-safe, pooled): making one loads the
    CA bundle, about 0.2 s, too slow to pay on every launch or callback."""
    return outbound_client(base_url=base_url)


class PhoneBurnerClient:
    """PhoneBurner's REST API for one linked user (their access token)."""

    def __init__(
        self,
        token: str,
        *,
        http: httpx.Client | None = None,
        attempts: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        time_zone: str = "America/New_York",
    ) -> None:
        if not token or not token.strip():
            raise PhoneBurnerError("No PhoneBurner token: link your account in Settings → PhoneBurner.", reason="token")
        self.token = token.strip()
        self.http = http if http is not None else shared_http(settings.PHONEBURNER_BASE_URL)
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        # The spec's times carry no offset; they are read in this zone.
        self.tz = ZoneInfo(time_zone)

    # --- Members ---------------------------------------------------------------------------------

    def members(self) -> list[Member]:
        """The account's members, the token's own first."""
        # spec: "Create and retrieve members." — GET /rest/1/members
        body = self._request("GET", "/rest/1/members")
        found, _ = self._read(body, "members")
        members = [Member.parse(raw, token=self.token) for raw in items(found, "a member")]
        return sorted(members, key=lambda member: not member.is_self)

    def me(self) -> Member:
        """The member the token belongs to: the one whose bearer token it is, else the first."""
        members = self.members()
        if not members:
            raise PhoneBurnerError("PhoneBurner answered with no member for this token.", reason="bad_answer")
        return members[0]

    # --- Folders ---------------------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        """Every contact-manager folder, sub-folders included (with their parent's id)."""
        # spec: "Folder information" — GET /rest/1/folders?structure=1 (folders keyed "0", "1", …)
        body = self._request("GET", "/rest/1/folders", params={"structure": "1"})
        found, _ = self._read(body, "folders")
        return self._shaped(folders_from, found)

    # --- Dial sessions ---------------------------------------------------------------------------

    def create_dial_session(
        self,
        *,
        contacts: list[DialContact],
        callbacks: dict[str, str],
        custom_data: dict[str, Any] | None = None,
        preview_mode: bool = True,
    ) -> LaunchedDialSession:
        """Start a dial session; the answer is a one-time SSO link into PhoneBurner's dialer.

        Sent once, never retried: PhoneBurner may have started the session even when we saw a
        timeout, and a second POST would start another.
        """
        unknown = set(callbacks) - set(CALLBACK_TYPES)
        if unknown or not contacts:
            raise ValueError(f"contacts must not be empty and callbacks one of {CALLBACK_TYPES}")
        payload = {
            "contacts": [contact.as_json() for contact in contacts],
            "callbacks": [{"callback_type": kind, "callback": url} for kind, url in callbacks.items()],
            "custom_data": custom_data or {},
            "preview_mode": 1 if preview_mode else 0,
        }
        # spec: "Retrieve and create dial-sessions" — POST /rest/1/dialsession (201, redirect_url)
        body = self._request("POST", "/rest/1/dialsession", json=payload, expect=(200, 201))
        found, _ = self._read(body, "dialsessions")
        found = self._shaped(obj, found, "dialsessions")
        redirect_url = text(found.get("redirect_url"))
        scheme = urlsplit(redirect_url or "").scheme
        if scheme not in ("http", "https"):
            raise PhoneBurnerError(
                "PhoneBurner did not return a link into its dialer; nothing was started on our side.",
                reason="bad_answer",
            )
        errors = tuple(error_messages({"errors": found.get("errors")}))
        return LaunchedDialSession(redirect_url=redirect_url, errors=errors)

    def dial_sessions(
        self,
        *,
        date_start: date | None = None,
        date_end: date | None = None,
        page: int = 1,
        page_size: int = 25,
    ) -> DialSessionPage:
        """One page of the account's dial sessions (no calls; see `dial_session`)."""
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if date_start:
            params["date_start"] = date_start.isoformat()
        if date_end:
            params["date_end"] = date_end.isoformat()
        # spec: "Retrieve and create dial-sessions" — GET /rest/1/dialsession (page, page_size,
        # date_start, date_end)
        body = self._request("GET", "/rest/1/dialsession", params=params)
        found, paging = self._read(body, "dialsessions")
        sessions = self._shaped(lambda: [DialSessionInfo.parse(raw, self.tz) for raw in items(found, "a session")])
        return DialSessionPage(sessions=tuple(sessions), paging=self._paging(paging, len(sessions)))

    def iter_dial_sessions(
        self, *, date_start: date | None = None, date_end: date | None = None, page_size: int = 100
    ) -> Iterator[DialSessionInfo]:
        """Every dial session in the date range, page after page."""
        page = 1
        while True:
            result = self.dial_sessions(date_start=date_start, date_end=date_end, page=page, page_size=page_size)
            yield from result.sessions
            if not result.paging.has_next or not result.sessions:
                return
            page += 1

    def dial_session(
        self, dialsession_id: str, *, include_recording: bool = False, page: int = 1, page_size: int = 100
    ) -> tuple[DialSessionInfo, Paging]:
        """One dial session with one page of its calls."""
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if include_recording:
            params["include_recording"] = 1
        # spec: "Retrieve and create dial-sessions" — GET /rest/1/dialsession/{dialsession_id}
        # (include_recording, page, page_size; `dialsessions` is one object here)
        body = self._request("GET", f"/rest/1/dialsession/{self._id(dialsession_id)}", params=params)
        found, paging = self._read(body, "dialsessions")
        sessions = self._shaped(lambda: [DialSessionInfo.parse(raw, self.tz) for raw in items(found, "a session")])
        if len(sessions) != 1:
            raise PhoneBurnerError(
                f"PhoneBurner answered {len(sessions)} sessions for dial session {dialsession_id}.",
                reason="bad_answer",
            )
        return sessions[0], self._paging(paging, len(sessions[0].calls))

    def dial_session_with_calls(self, dialsession_id: str, *, include_recording: bool = False) -> DialSessionInfo:
        """One dial session with all of its calls, fetched page by page."""
        session, paging = self.dial_session(dialsession_id, include_recording=include_recording)
        calls = list(session.calls)
        page = paging.page
        while paging.has_next and session.calls:
            page += 1
            more, paging = self.dial_session(dialsession_id, include_recording=include_recording, page=page)
            if not more.calls:
                break
            calls.extend(more.calls)
        seen: dict[str, DialCall] = {call.call_id: call for call in calls}  # a page that shifted repeats a call
        return DialSessionInfo(
            dialsession_id=session.dialsession_id,
            callerid=session.callerid,
            start_when=session.start_when,
            end_when=session.end_when,
            connected_when=session.connected_when,
            disconnected_when=session.disconnected_when,
            call_count=session.call_count,
            calls=tuple(seen.values()),
        )

    def dial_session_call(self, call_id: str, *, include_recording: bool = False) -> DialCall:
        """One call of a dial session."""
        params = {"include_recording": 1} if include_recording else None
        # spec: "Dialsession call data." — GET /rest/1/dialsession/call/{call_id}
        body = self._request("GET", f"/rest/1/dialsession/call/{self._id(call_id)}", params=params)
        found, _ = self._read(body, "call")
        calls = self._shaped(lambda: [DialCall.parse(raw, self.tz) for raw in items(found, "a call")])
        if len(calls) != 1:
            raise PhoneBurnerError(f"PhoneBurner answered {len(calls)} calls for call {call_id}.", reason="bad_answer")
        return calls[0]

    # --- Settings and usage ----------------------------------------------------------------------

    def dial_settings(self) -> DialSettings:
        """The account's dialer settings (calling hours, ring seconds, …)."""
        # spec: "Retrieve and update dial-session settings" — GET /rest/1/dialsession/settings
        body = self._request("GET", "/rest/1/dialsession/settings")
        found, _ = self._read(body, "settings")
        return self._shaped(lambda: DialSettings.parse(obj(found, "settings")))

    def update_dial_settings(
        self,
        *,
        dialsecs: int | None = None,
        ringing: bool | None = None,
        calltime_min: str | None = None,
        calltime_max: str | None = None,
    ) -> DialSettings:
        """Change some dialer settings; the answer is the settings as PhoneBurner now has them."""
        # The spec's table says `dialsec` but its example and every answer say `dialsecs`.
        changes: dict[str, str] = {}
        if dialsecs is not None:
            changes["dialsecs"] = str(dialsecs)
        if ringing is not None:
            changes["ringing"] = "1" if ringing else "0"
        if calltime_min is not None:
            changes["calltime_min"] = calltime_min
        if calltime_max is not None:
            changes["calltime_max"] = calltime_max
        # spec: "Retrieve and update dial-session settings" — PUT /rest/1/dialsession/settings
        body = self._request("PUT", "/rest/1/dialsession/settings", json=changes)
        found, _ = self._read(body, "settings")
        return self._shaped(lambda: DialSettings.parse(obj(found, "settings")))

    def usage(self, *, date_start: date, date_end: date) -> list[Usage]:
        """Dialling totals per team member over at most 90 days (PhoneBurner answers 403 beyond)."""
        params = {"date_start": date_start.isoformat(), "date_end": date_end.isoformat()}
        # spec: "Dialsession usage data." — GET /rest/1/dialsession/usage (keyed by user_id)
        body = self._request("GET", "/rest/1/dialsession/usage", params=params)
        found, _ = self._read(body, "usage")
        return self._shaped(usage_by_member, found)

    # --- Plumbing --------------------------------------------------------------------------------

    @staticmethod
    def _id(value: str) -> str:
        # Ids go into the path: digits only, so nothing a callback sent can steer the request.
        if not str(value).strip().isdigit():
            raise PhoneBurnerError(f"{value!r} is not a PhoneBurner id.", reason="bad_request")
        return str(value).strip()

    def _paging(self, paging: dict[str, Any], found: int) -> Paging:
        return self._shaped(lambda: Paging.parse(paging, found=found))

    def _read(self, body: Any, key: str) -> tuple[Any, dict[str, Any]]:
        return self._shaped(envelope, body, key)

    @staticmethod
    def _shaped(read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except ShapeError as error:
            raise PhoneBurnerError(
                f"PhoneBurner answered in a shape we cannot read ({error}); try again later.", reason="bad_answer"
            ) from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        request = self.http.build_request(
            method,
            path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
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
        except OutboundRefused as error:
            raise PhoneBurnerError(
                f"The PhoneBurner address is not allowed ({error}); an operator must fix PHONEBURNER_BASE_URL "
                "or OUTBOUND_ALLOWED_HOSTS.",
                reason="blocked",
            ) from None
        except httpx.TimeoutException:
            if method == "POST":
                raise PhoneBurnerError(
                    "PhoneBurner did not answer in time. The session may have started anyway: check "
                    "PhoneBurner before launching again.",
                    reason="timeout",
                ) from None
            raise PhoneBurnerError(
                "PhoneBurner did not answer in time; try again in a minute.", reason="timeout"
            ) from None
        except httpx.TransportError:
            raise PhoneBurnerError(
                "Could not reach PhoneBurner; try again in a minute.", reason="unreachable"
            ) from None
        return self._answer(response, expect)

    def _answer(self, response: httpx.Response, expect: tuple[int, ...]) -> Any:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        reasons = "; ".join(error_messages(body))[:300]
        said = f": {reasons}" if reasons else ""
        if status == 401:
            raise PhoneBurnerError(RELINK, reason="token", status=status)
        if status == 403:
            raise PhoneBurnerError(f"PhoneBurner refused the request{said}.", reason="refused", status=status)
        if status == 404:
            raise PhoneBurnerError(f"PhoneBurner has no such record{said}.", reason="not_found", status=status)
        if status == 429:
            wait = response.headers.get("Retry-After", "").strip()
            later = f" in {wait} seconds" if wait.isdigit() else " in a minute"
            raise PhoneBurnerError(
                f"PhoneBurner is limiting our requests; try again{later}.", reason="rate_limited", status=status
            )
        if status >= 500:
            raise PhoneBurnerError(
                f"PhoneBurner is having trouble (HTTP {status}); try again in a few minutes.",
                reason="unavailable",
                status=status,
            )
        if status not in expect:
            raise PhoneBurnerError(
                f"PhoneBurner refused the request (HTTP {status}){said}.", reason="bad_request", status=status
            )
        if not isinstance(body, dict):
            raise PhoneBurnerError(
                "PhoneBurner answered something that is not JSON; try again later.", reason="bad_answer", status=status
            )
        if str(body.get("status", "success")).lower() in ("error", "failure", "fail"):
            raise PhoneBurnerError(f"PhoneBurner refused the request{said}.", reason="bad_request", status=status)
        return body
