"""The call list's filters as a form, and the staff's triage of calls. The filter field names are
those of the query string, a contract: bookmarks, the dashboard's links and the pager's links use them."""

from __future__ import annotations

from datetime import date

from django import forms

from calls.models import Call
from calls.queries import YEARS, BadDateRange, CallFilters
from calls.stats import MAX_DAYS, PRESET_DAYS, Period, hour_label
from calls.triage import NOT_NEEDED_REASONS
from config.errors import BadFilter
from franchises.models import Franchise

HAS_RECORDING = {"yes": True, "no": False}
# The list's own paging cursors travel with the filters (back links, previous/next call).
PAGING = ("after", "before")
AFTER_HOURS = {"yes": True, "no": False}
DEFAULT_DAYS = 30


class CallFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    location = forms.UUIDField(required=False)
    start = forms.CharField(required=False, max_length=40, label="From")
    end = forms.CharField(required=False, max_length=40, label="To")
    category = forms.CharField(required=False, max_length=100)
    agent_type = forms.CharField(required=False, max_length=50, label="Agent type")
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *Call.State.choices])
    has_recording = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("yes", "With recording"), ("no", "Without recording")], label="Recording"
    )
    # The dashboard's drill-downs: the hour of day and business hours, in the franchise's zone.
    hour = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any hour"), *((str(h), f"{hour_label(h)}–{hour_label((h + 1) % 24)}") for h in range(24))],
        label="Hour of day",
    )
    after_hours = forms.ChoiceField(
        required=False, choices=[("", "Any time"), ("yes", "After hours"), ("no", "Business hours")], label="Time"
    )

    def __init__(self, data, *, franchise: Franchise) -> None:
        super().__init__(data)
        self.franchise = franchise

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:200]  # the search box's maxlength; a longer link is cut, not refused

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["filters"] = CallFilters.parse(
                self.franchise,
                location_id=str(data["location"]) if data.get("location") else None,
                start_date=data["start"] or None,
                end_date=data["end"] or None,
                call_category=data["category"] or None,
                agent_type=data["agent_type"] or None,
                state=data["state"] or None,
                hour=data["hour"],
                after_hours=AFTER_HOURS.get(data["after_hours"]),
                has_recording=HAS_RECORDING.get(data["has_recording"]),
                q=data["q"] or None,
            )
        except BadDateRange:
            raise forms.ValidationError("From must be on or before To") from None
        except BadFilter as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def query(self) -> dict[str, str]:
        """The filters as sent (stripped), to fill the form again and carry them on in links."""
        return {name: (self.data.get(name) or "").strip() for name in self.fields}

    def list_query(self) -> dict[str, str]:
        """The filters and the page of the list: what takes a user back to where they were."""
        kept = {**self.query(), **{name: self.data.get(name, "") for name in PAGING}}
        return {name: value for name, value in kept.items() if value}


class CallStateForm(forms.Form):
    """Staff put calls in a triage state; a call not needed may say why."""

    state = forms.ChoiceField(choices=Call.State.choices)
    reason = forms.ChoiceField(
        required=False, choices=[("", "No reason given"), *((r, r.capitalize()) for r in NOT_NEEDED_REASONS)]
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("state") != Call.State.NOT_NEEDED:
            data["reason"] = ""
        return data


class ConversationIdsField(forms.Field):
    """The conversation ids of the calls ticked in the list (checkboxes named alike)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Tick at least one call.", "too_many": "Tick at most %(max)s calls."}
    MAX = 100

    def to_python(self, value) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in (value or []) if v and v.strip()))

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > self.MAX:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many", params={"max": self.MAX})


class CallBatchStateForm(CallStateForm):
    """Triage of the calls ticked in the list, all at once."""

    calls = ConversationIdsField()


class DashboardPeriodForm(forms.Form):
    """The dashboard's period: the last 7, 30 or 90 days, or From–To (whole days, both included)."""

    days = forms.TypedChoiceField(required=False, coerce=int, choices=[(str(d), f"{d} days") for d in PRESET_DAYS])
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.errors or not (start or end):
            return data
        if not (start and end):
            raise forms.ValidationError("Pick both From and To for a period of your own.")
        for name, day in (("start", start), ("end", end)):
            if day.year not in YEARS:  # the call list's rule: far beyond, a day added leaves datetime's range
                self.add_error(name, f"Pick a date in the years {YEARS.start}–{YEARS.stop - 1}.")
        if self.errors:
            return data
        if start > end:
            self.add_error("start", "From must be on or before To.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", f"A period is {MAX_DAYS} days at most.")
        return data

    def period(self, today: date) -> Period:
        """The chosen period (the form must be valid): From–To if given, else the last N days."""
        data = self.cleaned_data
        if data.get("start"):
            return Period(data["start"], data["end"])
        return Period.last_days(data.get("days") or DEFAULT_DAYS, today)


def parse_moment(value: str) -> int | None:
    """A moment of a recording as typed: "42" (seconds), "1:05" (m:ss) or "1:02:05" (h:mm:ss);
    None when it is none of these."""
    parts = value.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() and len(p) <= 5 for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


class CallCommentForm(forms.Form):
    """A comment on a call, at a moment of its recording ("1:05") or on the whole call (empty)."""

    text = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment",
        error_messages={"required": "Write something to comment."},
    )
    at = forms.CharField(required=False, max_length=12, label="At (m:ss)")

    def __init__(self, data=None, *, duration: int = 0) -> None:
        super().__init__(data)
        self.duration = duration

    def clean_at(self) -> int | None:
        value = self.cleaned_data["at"].strip()
        if not value:
            return None
        seconds = parse_moment(value)
        if seconds is None:
            raise forms.ValidationError("Give the moment as m:ss, e.g. 1:05.")
        if self.duration and seconds > self.duration:
            raise forms.ValidationError("That moment is after the end of the call.")
        return seconds


class CallCategoryForm(forms.Form):
    """The category a call should have had, among those the franchise's calls use."""

    category = forms.ChoiceField(label="Category")

    def __init__(self, data=None, *, categories: list[str]) -> None:
        super().__init__(data)
        self.fields["category"].choices = [(c, c) for c in categories]
