"""The call list's filters as a form, and the staff's triage of calls. The filter field names are
those of the query string, a contract: bookmarks, the dashboard's links and the pager's links use them."""

from __future__ import annotations

from django import forms

from calls.models import Call
from calls.queries import BadDateRange, CallFilters
from calls.triage import NOT_NEEDED_REASONS
from config.errors import BadFilter
from franchises.models import Franchise

HAS_RECORDING = {"yes": True, "no": False}
# The list's own paging cursors travel with the filters (back links, previous/next call).
PAGING = ("after", "before")


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
