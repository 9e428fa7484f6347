"""Inputs of the franchise's own staff pages as forms; field names are the pages' (a contract)."""

from __future__ import annotations

from django import forms

from franchises.models import ApiToken

TOKEN_EXPIRY_CHOICES = [("", "Never"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]


class TokenForm(forms.Form):
    """A new API token: a label for people, and when it stops working."""

    label = forms.CharField(
        required=False,
        max_length=ApiToken._meta.get_field("label").max_length,
        error_messages={"max_length": "The label is at most 100 characters."},
    )
    expires_in_days = forms.TypedChoiceField(
        required=False,
        choices=TOKEN_EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Choose an expiry from the list."},
    )

    def clean_label(self) -> str:
        return " ".join(self.cleaned_data["label"].split())
