"""PhoneBurner's answers and callbacks as typed objects (the contract: specs/phoneburner-api.txt).

The spec's JSON is loose, and these readers accept every shape it shows: numbers as strings
("total_results": "68") or as numbers, `"null"` as a string ("connectme_preset": "null"),
"0000-00-00 00:00:00" for "never", `dialsessions` as an object (one session) or a list, folders
keyed "0", "1", … instead of a list, and the two-level envelopes (`{"dialsessions":
{"dialsessions": …, "page": 1}}`). Anything else that is not what the spec shows raises
`ShapeError`, which the client turns into its one error type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

NULLS = (None, "", "null", "NULL", "None")
NEVER = ("0000-00-00 00:00:00", "0000-00-00")
WHEN_FORMAT = "%Y-%m-%d %H:%M:%S"
CALLBACK_TYPES = ("api_callbegin", "api_contact_displayed", "api_calldone")


class ShapeError(ValueError):
    """A PhoneBurner answer or callback that is not shaped as the spec shows."""


# --- Scalars ----------------------------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A string, with the spec's spellings of "nothing" (null, "", "null") as None."""
    if value in NULLS:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ShapeError(f"expected text, got {type(value).__name__}")
    return str(value)


def integer(value: Any) -> int | None:
    """An integer sent as a number or as a string of digits ("68")."""
    if value in NULLS:
        return None
    if isinstance(value, bool):
        raise ShapeError("expected a number, got true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ShapeError(f"expected a number, got {value!r}")


def flag(value: Any) -> bool:
    """PhoneBurner's booleans: "1"/"0", 1/0, and null for "no"."""
    if value in NULLS:
        return False
    number = integer(value)
    if number not in (0, 1):
        raise ShapeError(f"expected 0 or 1, got {value!r}")
    return number == 1


def when(value: Any, tz: tzinfo) -> datetime | None:
    """A "YYYY-MM-DD HH:MM:SS" time in PhoneBurner's zone (the spec gives no offset), as aware."""
    value = text(value)
    if value is None or value in NEVER:
        return None
    try:
        return datetime.strptime(value, WHEN_FORMAT).replace(tzinfo=tz)
    except ValueError:
        raise ShapeError(f"expected a time like 2023-08-06 10:59:53, got {value!r}") from None


def when_text(moment: datetime, tz: tzinfo) -> str:
    """A time written the way PhoneBurner writes it."""
    return moment.astimezone(tz).strftime(WHEN_FORMAT)


def lenient_date(value: str) -> date:
    """A YYYY-MM-DD date, overflowing the way PHP does: the spec's own example asks for 2018-04-31,
    which PhoneBurner reads as May 1st."""
    try:
        year, month, day = (int(part) for part in value.split("-"))
        return date(year, month, 1) + timedelta(days=day - 1)
    except (ValueError, TypeError, OverflowError):
        raise ShapeError(f"expected a date like 2018-04-01, got {value!r}") from None


# --- Containers ------------------------------------------------------------------------------------


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"expected an object for {what}, got {type(value).__name__}")
    return value


def items(value: Any, what: str) -> list[dict[str, Any]]:
    """A list of objects sent as a list, as one bare object, or keyed "0", "1", … (folders)."""
    if value in NULLS:
        return []
    if isinstance(value, list):
        return [obj(item, what) for item in value]
    value = obj(value, what)
    if value and all(isinstance(key, str) and key.isdigit() for key in value):
        return [obj(value[key], what) for key in sorted(value, key=int)]
    return [value]


def envelope(body: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """The payload under `key`, unwrapped from one or two levels, and the paging beside it.

    `{"members": {"members": [...], "page": 1}}` → ([...], {"page": 1, ...});
    `{"usage": {...}}` → ({...}, {}).
    """
    outer = obj(body, "the answer")
    if key not in outer:
        raise ShapeError(f"the answer has no {key!r}")
    level = outer[key]
    if isinstance(level, dict) and key in level:
        paging = {k: v for k, v in level.items() if k != key}
        return level[key], paging
    return level, {}


@dataclass(frozen=True, slots=True)
class Paging:
    """The page counters beside a list (PhoneBurner's page, page_size, total_pages, total_results)."""

    page: int = 1
    page_size: int = 0
    total_pages: int = 1
    total_results: int = 0

    @classmethod
    def parse(cls, paging: dict[str, Any], *, found: int) -> Paging:
        return cls(
            page=integer(paging.get("page")) or 1,
            page_size=integer(paging.get("page_size")) or found,
            total_pages=integer(paging.get("total_pages")) or 1,
            total_results=integer(paging.get("total_results")) or found,
        )

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


# --- Objects ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """A PhoneBurner user (GET /rest/1/members). The member's bearer token, which the spec's answer
    carries, is never kept: only whether it is the token we asked with."""

    user_id: str
    username: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    account: str | None  # the spec's `display_name` is the plan ("Standard Account"), not a name
    is_self: bool = False

    @property
    def name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.username or self.email or f"PhoneBurner user {self.user_id}"

    @classmethod
    def parse(cls, raw: dict[str, Any], *, token: str | None = None) -> Member:
        user_id = text(raw.get("user_id"))
        if user_id is None:
            raise ShapeError("a member has no user_id")
        oauth = raw.get("oauth") if isinstance(raw.get("oauth"), dict) else {}
        return cls(
            user_id=user_id,
            username=text(raw.get("username")),
            first_name=text(raw.get("first_name")),
            last_name=text(raw.get("last_name")),
            email=text(raw.get("email_address")),
            account=text(raw.get("display_name")),
            is_self=token is not None and oauth.get("bearer_token") == token,
        )


@dataclass(frozen=True, slots=True)
class Folder:
    """A contact-manager folder (the `category_id` of a dialled contact); sub-folders flattened."""

    folder_id: str
    name: str
    description: str | None = None
    parent_id: str | None = None

    @classmethod
    def parse_tree(cls, raw: dict[str, Any], parent_id: str | None = None) -> list[Folder]:
        folder_id = text(raw.get("folder_id")) or text(raw.get("id"))
        if folder_id is None:
            raise ShapeError("a folder has no folder_id")
        found = [
            cls(
                folder_id=folder_id,
                name=text(raw.get("folder_name")) or f"Folder {folder_id}",
                description=text(raw.get("description")),
                parent_id=parent_id,
            )
        ]
        embedded = raw.get("_embedded") if isinstance(raw.get("_embedded"), dict) else {}
        for child in items(embedded.get("folders"), "a sub-folder"):
            found.extend(cls.parse_tree(child, parent_id=folder_id))
        return found


@dataclass(frozen=True, slots=True)
class DialCall:
    """One call of a dial session (GET /rest/1/dialsession/{id} and /dialsession/call/{call_id})."""

    call_id: str
    phone: str | None
    start_when: datetime | None
    end_when: datetime | None
    connected: bool
    voicemail: bool
    disposition: str | None
    note: str | None
    recording_url: str | None = None

    @property
    def duration(self) -> int | None:
        """Seconds, from the call's start and end (the GET answers carry no duration)."""
        if self.start_when is None or self.end_when is None:
            return None
        return max(0, int((self.end_when - self.start_when).total_seconds()))

    @classmethod
    def parse(cls, raw: dict[str, Any], tz: tzinfo) -> DialCall:
        call_id = text(raw.get("call_id"))
        if call_id is None:
            raise ShapeError("a call has no call_id")
        # The spec names no field for include_recording=1; these are the names seen in the wild.
        recording = next((text(raw.get(k)) for k in ("recording_url", "recording") if text(raw.get(k))), None)
        return cls(
            call_id=call_id,
            phone=text(raw.get("phone")),
            start_when=when(raw.get("start_when"), tz),
            end_when=when(raw.get("end_when"), tz),
            connected=flag(raw.get("connected")),
            voicemail=flag(raw.get("voicemail")),
            disposition=text(raw.get("disposition")),
            note=text(raw.get("note")),
            recording_url=recording,
        )


@dataclass(frozen=True, slots=True)
class DialSessionInfo:
    """A dial session as PhoneBurner lists it; `calls` is filled only by the detail route."""

    dialsession_id: str
    callerid: str | None
    start_when: datetime | None
    end_when: datetime | None
    connected_when: datetime | None
    disconnected_when: datetime | None
    call_count: int
    calls: tuple[DialCall, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any], tz: tzinfo) -> DialSessionInfo:
        session_id = text(raw.get("dialsession_id"))
        if session_id is None:
            raise ShapeError("a dial session has no dialsession_id")
        return cls(
            dialsession_id=session_id,
            callerid=text(raw.get("callerid")),
            start_when=when(raw.get("start_when"), tz),
            end_when=when(raw.get("end_when"), tz),
            connected_when=when(raw.get("connected_when"), tz),
            disconnected_when=when(raw.get("disconnected_when"), tz),
            call_count=integer(raw.get("call_count")) or 0,
            calls=tuple(DialCall.parse(call, tz) for call in items(raw.get("calls"), "a call")),
        )


@dataclass(frozen=True, slots=True)
class DialSessionPage:
    """One page of GET /rest/1/dialsession (sessions) or of one session's calls."""

    sessions: tuple[DialSessionInfo, ...]
    paging: Paging


@dataclass(frozen=True, slots=True)
class DialSettings:
    """The account's dialer settings (GET/PUT /rest/1/dialsession/settings)."""

    dialsecs: int | None
    ringing: bool
    emails: bool
    calltime_min: str | None
    calltime_max: str | None
    connectme_preset: str | None
    email_messages: dict[str, str | None] = field(default_factory=dict)

    EMAIL_KEYS = ("busy", "badphone", "noanswer", "fax", "voicemail", "interested", "notinterested", "wrongperson")

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> DialSettings:
        return cls(
            dialsecs=integer(raw.get("dialsecs", raw.get("dialsec"))),
            ringing=flag(raw.get("ringing")),
            emails=flag(raw.get("emails")),
            calltime_min=text(raw.get("calltime_min")),
            calltime_max=text(raw.get("calltime_max")),
            connectme_preset=text(raw.get("connectme_preset")),
            email_messages={key: text(raw.get(key)) for key in cls.EMAIL_KEYS},
        )


@dataclass(frozen=True, slots=True)
class Usage:
    """One team member's dialling over a date range (GET /rest/1/dialsession/usage).
    `talktime` and `avg_talktime` are minutes."""

    user_id: str
    sessions: int
    calls: int
    connected: int
    voicemail: int
    emails: int
    talktime: int
    avg_talktime: float

    @classmethod
    def parse(cls, user_id: str, raw: dict[str, Any]) -> Usage:
        def number(key: str) -> int:
            return integer(raw.get(key)) or 0

        average = raw.get("avg_talktime")
        try:
            avg = float(average) if average not in NULLS else 0.0
        except (TypeError, ValueError):
            raise ShapeError(f"expected a number for avg_talktime, got {average!r}") from None
        return cls(
            user_id=str(user_id),
            sessions=number("sessions"),
            calls=number("calls"),
            connected=number("connected"),
            voicemail=number("voicemail"),
            emails=number("emails"),
            talktime=number("talktime"),
            avg_talktime=avg,
        )


@dataclass(frozen=True, slots=True)
class LaunchedDialSession:
    """PhoneBurner's answer to POST /rest/1/dialsession: only the one-time SSO link, no session id
    (that arrives with the first callback's `ds_id`)."""

    redirect_url: str
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DialContact:
    """A contact to dial, in POST /rest/1/dialsession's `contacts` shape."""

    lead_id: str
    phone: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    category_id: str | None = None
    additional_phones: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"lead_id": self.lead_id, "phone": self.phone}
        for key in ("first_name", "last_name", "email"):
            if getattr(self, key):
                body[key] = getattr(self, key)
        if self.category_id:
            body["category_id"] = int(self.category_id) if self.category_id.isdigit() else self.category_id
        if self.additional_phones:
            body["additional_phone"] = [{"number": number, "phone_type": 5} for number in self.additional_phones]
        return body


# --- Callbacks (PhoneBurner → us) ------------------------------------------------------------------


def error_messages(body: Any) -> list[str]:
    """The human reasons in an error answer, whichever way it spells them."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    for key in ("errors", "error_description", "message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
        elif isinstance(value, list | dict):
            values = value.values() if isinstance(value, dict) else value
            found.extend(str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip())
        if found:
            break
    return found


@dataclass(frozen=True, slots=True)
class CallBegin:
    """api_callbegin: a call is starting. The only callback that names PhoneBurner's session."""

    call_id: str
    ds_id: str | None
    lead_id: str | None
    custom_data: Any

    @classmethod
    def parse(cls, raw: Any) -> CallBegin:
        raw = obj(raw, "api_callbegin")
        call_id = text(raw.get("call_id"))
        if call_id is None:
            raise ShapeError("call_id is missing")
        return cls(
            call_id=call_id,
            ds_id=text(raw.get("ds_id")),
            lead_id=text(raw.get("lead_id")),
            custom_data=raw.get("custom_data"),
        )


@dataclass(frozen=True, slots=True)
class ContactDisplayed:
    """api_contact_displayed: the dialer shows a contact (before any call is placed)."""

    lead_id: str | None
    contact_user_id: str | None

    @classmethod
    def parse(cls, raw: Any) -> ContactDisplayed:
        raw = obj(raw, "api_contact_displayed")
        return cls(lead_id=text(raw.get("lead_id")), contact_user_id=text(raw.get("contact_user_id")))


@dataclass(frozen=True, slots=True)
class CallDone:
    """api_calldone: a call ended with a disposition. Carries no session id and no time."""

    call_id: str
    status: str | None
    duration: int
    connected: bool
    lead_id: str | None
    contact_user_id: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    phones: tuple[str, ...]
    notes: str | None

    @classmethod
    def parse(cls, raw: Any) -> CallDone:
        raw = obj(raw, "api_calldone")
        call_id = text(raw.get("call_id"))
        if call_id is None:
            raise ShapeError("call_id is missing")
        contact = raw.get("contact") or {}
        contact = obj(contact, "contact")
        phones = tuple(
            number for entry in items(contact.get("phones"), "a phone") if (number := text(entry.get("number")))
        )
        return cls(
            call_id=call_id,
            status=text(raw.get("status")),
            duration=max(0, integer(raw.get("duration")) or 0),
            connected=flag(raw.get("connected")),
            lead_id=text(contact.get("lead_id")),
            contact_user_id=text(contact.get("user_id")),
            phone=text(contact.get("phone")),
            first_name=text(contact.get("first_name")),
            last_name=text(contact.get("last_name")),
            phones=phones,
            notes=text(contact.get("notes")),
        )


def usage_by_member(raw: Any) -> list[Usage]:
    return [Usage.parse(user_id, obj(stats, "a member's usage")) for user_id, stats in obj(raw, "usage").items()]


def folders_from(raw: Any) -> list[Folder]:
    return [folder for entry in items(raw, "a folder") for folder in Folder.parse_tree(entry)]
