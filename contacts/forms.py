"""Inputs of the contact pages as forms. Field names are a contract (links, bookmarks, the pages'
own HTML), so they stay as the pages have always sent them."""

from __future__ import annotations

from django import forms

from contacts.models import Tag

TAG_NAME_MAX = Tag._meta.get_field("name").max_length
NOTES_MAX = 10_000


def _collapse_spaces(value: str) -> str:
    return " ".join(value.split())


class ContactFilterForm(forms.Form):
    search = forms.CharField(required=False)
    tag = forms.CharField(required=False, max_length=TAG_NAME_MAX)

    def clean_search(self) -> str:
        return self.cleaned_data["search"][:200]  # the search box's maxlength; a longer link is cut

    def query(self) -> dict[str, str]:
        """The filters as sent (stripped), to fill the form again and carry them on in links."""
        return {name: (self.data.get(name) or "").strip() for name in self.fields}


class TagForm(forms.Form):
    """One tag to add, by name: an existing tag of the franchise (any case) or a new one."""

    name = forms.CharField(
        max_length=TAG_NAME_MAX,
        error_messages={
            "required": f"A tag needs a name of 1 to {TAG_NAME_MAX} characters.",
            "max_length": f"A tag needs a name of 1 to {TAG_NAME_MAX} characters.",
        },
    )

    def clean_name(self) -> str:
        return _collapse_spaces(self.cleaned_data["name"])


class NotesForm(forms.Form):
    """The contact's notes; an empty text clears them, a post without the field is refused."""

    notes = forms.CharField(required=False, strip=False, max_length=NOTES_MAX)

    def clean(self) -> dict:
        data = super().clean()
        if "notes" not in self.data:
            self.add_error("notes", "This field is required.")
        return data
