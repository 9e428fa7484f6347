"""Input of the dialer's staff pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from dialer.models import DialSession
from dialer.queries import AGE_LABELS
from franchises.models import Franchise

MAX_IDS = 1000


class IdsField(forms.Field):
    """Repeated whole-number ids (`contact=1&contact=2`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value not in (None, "") else [])
        if len(values) > MAX_IDS:
            raise ValidationError(f"At most {MAX_IDS} at once.")
        try:
            return list(dict.fromkeys(int(v) for v in values))
        except (TypeError, ValueError):
            raise ValidationError("Ids must be whole numbers.") from None


class PhoneBurnerTokenForm(forms.Form):
    token = forms.CharField(
        label="PhoneBurner access token",
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="From PhoneBurner: Settings → API → your access token. It is kept encrypted and never shown again.",
    )


class QueueFilterForm(forms.Form):
    location = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    age = forms.ChoiceField(required=False, choices=[("", "Any age"), *AGE_LABELS.items()])

    def __init__(self, data, *, franchise: Franchise, categories: list[str]) -> None:
        super().__init__(data)
        self.fields["location"].choices = [("", "All locations")] + [
            (str(location.pk), location.name) for location in franchise.locations.order_by("name")
        ]
        self.fields["category"].choices = [("", "All categories")] + [
            (c, c.replace("_", " ").capitalize()) for c in categories
        ]

    def query(self) -> str:
        """The filters as a query string, for the "Dial these" link."""
        if not self.is_valid():
            return ""
        return "&".join(f"{key}={value}" for key, value in self.cleaned_data.items() if value)


class LaunchForm(forms.Form):
    contact = IdsField(required=False)
    call = IdsField(required=False)
    mode = forms.ChoiceField(
        choices=DialSession.Mode.choices, initial=DialSession.Mode.PREVIEW, widget=forms.RadioSelect
    )
    folder = forms.RegexField(regex=r"^\d{1,20}$", required=False, error_messages={"invalid": "Pick a folder."})

    def clean(self):
        data = super().clean()
        if not data.get("contact") and not data.get("call"):
            raise ValidationError("Nobody to dial was given.")
        return data


def _hhmm(value: str) -> str:
    if not (len(value) == 4 and value.isdigit() and "0800" <= value <= "2100" and int(value[2:]) < 60):
        raise ValidationError("A time from 0800 to 2100, written like 0930.")
    return value


class DialSettingsForm(forms.Form):
    """PhoneBurner's dial settings of the owner's own account (PUT /rest/1/dialsession/settings)."""

    dialsecs = forms.IntegerField(label="Ring seconds", min_value=21, max_value=120, help_text="More than 20.")
    calltime_min = forms.CharField(
        label="Call from", max_length=4, validators=[_hhmm], help_text="Their local time, e.g. 0900."
    )
    calltime_max = forms.CharField(
        label="Call until", max_length=4, validators=[_hhmm], help_text="Their local time, e.g. 2000."
    )
    ringing = forms.BooleanField(label="Ringing sound in the headset", required=False)

    def clean(self):
        data = super().clean()
        if data.get("calltime_min") and data.get("calltime_max") and data["calltime_min"] >= data["calltime_max"]:
            raise ValidationError("“Call from” must be before “Call until”.")
        return data


class QueueSettingsForm(forms.Form):
    """The franchise's call-back queue: which categories and how far back."""

    callback_categories = forms.MultipleChoiceField(
        label="Call-back categories",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every category but spam.",
    )
    queue_days = forms.IntegerField(label="Days the queue looks back", min_value=1, max_value=90)

    def __init__(self, *args, categories: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["callback_categories"].choices = [(c, c.replace("_", " ").capitalize()) for c in categories]
