"""The call list's filters as a form. The field names are those of the query string, a contract:
bookmarks, the dashboard's links and the pager's links all use them."""

from __future__ import annotations

from django import forms

from calls.queries import CallFilters
from config.errors import BadFilter
from franchises.models import Franchise

HAS_RECORDING = {"yes": True, "no": False}


class CallFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    location = forms.UUIDField(required=False)
    start = forms.CharField(required=False, max_length=40, label="From")
    end = forms.CharField(required=False, max_length=40, label="To")
    category = forms.CharField(required=False, max_length=100)
    agent_type = forms.CharField(required=False, max_length=50, label="Agent type")
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
                has_recording=HAS_RECORDING.get(data["has_recording"]),
                q=data["q"] or None,
            )
        except BadFilter as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def query(self) -> dict[str, str]:
        """The filters as sent (stripped), to fill the form again and carry them on in links."""
        return {name: (self.data.get(name) or "").strip() for name in self.fields}
