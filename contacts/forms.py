"""Inputs of the contact pages as forms. Field names are a contract (links, bookmarks, the pages'
own HTML), so they stay as the pages have always sent them."""

from __future__ import annotations

from django import forms

from contacts.merges import MERGE_GROUPS
from contacts.models import Contact, Tag

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
    """The contact's notes; an empty text clears them, a post without the field is refused.
    `seen` is the notes' fingerprint when the editor opened them: a save over notes someone else
    saved meanwhile is refused (see contacts.services.contact_fingerprint)."""

    notes = forms.CharField(required=False, strip=False, max_length=NOTES_MAX)
    seen = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if "notes" not in self.data:
            self.add_error("notes", "This field is required.")
        return data


def _max(name: str) -> int:
    return Contact._meta.get_field(name).max_length


def _lines(value: str) -> list[str]:
    """One item a line (commas also separate), blanks dropped, order kept, duplicates dropped."""
    return list(dict.fromkeys(part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()))


class ContactForm(forms.Form):
    """A contact's details as staff edit them (and create a contact from a call). Phones are read
    and checked by `contacts.services` (the one place for the phone rules); the view maps its
    errors onto these fields. Blank fields are stored as none."""

    first_name = forms.CharField(required=False, max_length=_max("first_name"))
    last_name = forms.CharField(required=False, max_length=_max("last_name"))
    organization_name = forms.CharField(label="Organization", required=False, max_length=_max("organization_name"))
    is_business = forms.BooleanField(label="This is a business", required=False)
    primary_phone = forms.CharField(label="Phone", required=False, max_length=40)
    alternate_phones = forms.CharField(
        label="Other phones", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One a line."
    )
    primary_email = forms.EmailField(label="Email", required=False, max_length=_max("primary_email"))
    alternate_emails = forms.CharField(
        label="Other emails", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One a line."
    )
    addr_line1 = forms.CharField(label="Address line 1", required=False, max_length=_max("addr_line1"))
    addr_line2 = forms.CharField(label="Address line 2", required=False, max_length=_max("addr_line2"))
    addr_city = forms.CharField(label="City", required=False, max_length=_max("addr_city"))
    addr_state = forms.CharField(label="State", required=False, max_length=_max("addr_state"))
    addr_postal = forms.CharField(label="Postal code", required=False, max_length=_max("addr_postal"))
    addr_country = forms.CharField(
        label="Country", required=False, max_length=2, help_text="Two letters, e.g. US.", min_length=2
    )
    do_not_call = forms.BooleanField(label="Do not call", required=False)
    dnc_reason = forms.CharField(
        label="Why not call", required=False, max_length=500, help_text="Kept in the contact's history."
    )
    # The fingerprint of the fields as the editor was given them (see contacts.services.contact_fingerprint).
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    COLUMNS = (
        "first_name",
        "last_name",
        "organization_name",
        "is_business",
        "primary_phone",
        "alternate_phones",
        "primary_email",
        "alternate_emails",
        *(f"addr_{part}" for part in Contact.ADDRESS_FIELDS),
        "do_not_call",
    )

    def __init__(self, *args, contact: Contact | None = None, **kwargs) -> None:
        if contact is not None and "initial" not in kwargs:
            initial = {name: getattr(contact, name) for name in self.COLUMNS}
            initial["alternate_phones"] = "\n".join(contact.alternate_phones)
            initial["alternate_emails"] = "\n".join(contact.alternate_emails)
            kwargs["initial"] = initial
        super().__init__(*args, label_suffix="", **kwargs)
        self.contact = contact

    def clean_alternate_emails(self) -> list[str]:
        emails = _lines(self.cleaned_data["alternate_emails"])
        for email in emails:
            try:
                forms.EmailField(max_length=254).clean(email)
            except forms.ValidationError:
                raise forms.ValidationError(f"{email} is not an email address.") from None
        return emails

    def clean_alternate_phones(self) -> list[str]:
        return _lines(self.cleaned_data["alternate_phones"])

    def clean(self) -> dict:
        data = super().clean()
        was_dnc = bool(self.contact and self.contact.do_not_call)
        if data.get("do_not_call") and not was_dnc and not (data.get("dnc_reason") or "").strip():
            self.add_error("dnc_reason", "Say why this contact must not be called (it is kept in the history).")
        if not any(
            data.get(name)
            for name in ("first_name", "last_name", "organization_name", "primary_phone", "primary_email")
        ):
            raise forms.ValidationError("Give the contact at least a name, an organization, a phone or an email.")
        return data

    def changes(self) -> dict:
        """The contact's columns as typed, blanks as none, for `contact_update` / `contact_add`."""
        data = self.cleaned_data
        changes = {name: data[name] for name in self.COLUMNS}
        for name, value in changes.items():
            if isinstance(value, str):
                changes[name] = value.strip() or None
        return changes


MERGE_LABELS = {
    "name": "Name",
    "organization": "Organization",
    "phone": "Main phone",
    "email": "Main email",
    "address": "Address",
    "notes": "Notes",
    "referral": "Referred by",
}


def _shown(contact: Contact, group: str) -> str:
    if group == "name":
        return " ".join(p for p in (contact.first_name, contact.last_name) if p)
    if group == "organization":
        return contact.organization_name or ""
    if group == "address":
        return ", ".join(getattr(contact, f"addr_{p}") for p in Contact.ADDRESS_FIELDS if getattr(contact, f"addr_{p}"))
    return str(getattr(contact, MERGE_GROUPS[group][0]) or "")


class MergeForm(forms.Form):
    """Whose value stays, per group of fields, when `merged` is merged into `survivor`. Only groups
    where the two differ are asked; each defaults to the survivor's value unless it has none."""

    other = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, survivor: Contact, merged: Contact, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.survivor, self.merged = survivor, merged
        self.fields["other"].initial = merged.pk
        self.rows = []
        for group, label in MERGE_LABELS.items():
            mine, theirs = _shown(survivor, group), _shown(merged, group)
            if mine == theirs or not theirs:
                continue
            self.fields[group] = forms.ChoiceField(
                label=label,
                choices=[("survivor", mine or "(none)"), ("merged", theirs)],
                initial="survivor" if mine else "merged",
                widget=forms.RadioSelect,
            )
            self.rows.append(self[group])

    def taken(self) -> list[str]:
        """The groups whose value comes from the duplicate."""
        return [group for group in MERGE_LABELS if self.cleaned_data.get(group) == "merged"]
