"""The owners' CRM page's forms: the connection's details, checked by the connection service's rules."""

from __future__ import annotations

from django import forms

from contacts.crm.connections import (
    CrmConnectionError,
    crm_api_key_clean,
    crm_base_url_clean,
    crm_business_id_clean,
)


def _checked(rule, value):
    try:
        return rule(value)
    except CrmConnectionError as exc:
        raise forms.ValidationError(str(exc)) from None


class CrmConnectionForm(forms.Form):
    """Base URL, business id and key. When a connection exists the key may be left blank to keep it."""

    base_url = forms.CharField(
        label="Base URL", max_length=200, help_text="Scheme and host, e.g. https://crm.example.com"
    )
    business_id = forms.CharField(label="Business id", max_length=64)
    api_key = forms.CharField(
        label="API key",
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Starts with sk-ak-. Stored encrypted; never shown again.",
    )

    def __init__(self, *args, has_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_key = has_key
        if has_key:
            self.fields["api_key"].help_text = "Leave blank to keep the current key."

    def clean_base_url(self) -> str:
        return _checked(crm_base_url_clean, self.cleaned_data["base_url"])

    def clean_business_id(self) -> str:
        return str(_checked(crm_business_id_clean, self.cleaned_data["business_id"]))

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"]
        if not key and self.has_key:
            return ""
        if not key:
            raise forms.ValidationError("Enter the CRM's API key.")
        return _checked(crm_api_key_clean, key)


class CrmSyncForm(forms.Form):
    full = forms.BooleanField(
        label="Full sync (read every contact, not only those updated since the last sync)", required=False
    )
