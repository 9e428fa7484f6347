"""Admin for contacts, their phones and tags, scoped to the franchises of the signed-in staff user."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html_join

from calls import search
from calls.queries import call_stats
from contacts.crm.connections import CrmConnectionError, crm_connection_save, crm_connection_test
from contacts.models import Contact, ContactChange, ContactMerge, ContactPhone, CrmConnection, CrmSyncRun, Tag
from contacts.services import PhoneTaken, contact_change_record, contact_set_phones, contact_snapshot
from franchises.admin_display import staff_page_link
from franchises.admin_scoping import DependentRowAdmin, ReadOnlyAdmin, ScopedAdmin, ScopedTabularInline
from franchises.phones import InvalidPhone, normalize_phone, normalize_phones


class ContactPhoneInline(ScopedTabularInline):
    """Read-only: phones are edited through primary/alternate phones so both stay in step."""

    model = ContactPhone
    fields = ["number", "is_primary"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactForm(forms.ModelForm):
    # Set by ContactAdmin when this form's save lost a phone to another save (see changeform_view).
    phone_clash: PhoneTaken | None = None

    class Meta:
        model = Contact
        fields = ["franchise", "primary_phone", "alternate_phones"]  # the admin adds its fieldsets

    def clean(self):
        data = super().clean()
        franchise = data.get("franchise") or getattr(self.instance, "franchise", None)
        if franchise is None:
            return data
        alternates = data.get("alternate_phones") or []
        if not isinstance(alternates, list) or not all(isinstance(p, str) for p in alternates):
            self.add_error("alternate_phones", 'A JSON list of phone strings, e.g. ["+15551234567"].')
            return data
        try:
            raw_primary = data.get("primary_phone")
            primary = normalize_phone(raw_primary, franchise.phone_region) if raw_primary else None
        except InvalidPhone as exc:
            self.add_error("primary_phone", str(exc))
            return data
        try:
            alternates = normalize_phones(alternates, franchise.phone_region)
        except InvalidPhone as exc:
            self.add_error("alternate_phones", str(exc))
            return data
        taken = (
            ContactPhone.objects.filter(franchise=franchise, number__in=[p for p in [primary, *alternates] if p])
            .exclude(contact_id=self.instance.pk)
            .select_related("contact")
            .first()
        )
        if taken:
            field = "primary_phone" if taken.number == primary else "alternate_phones"
            self.add_error(field, f"{taken.number} already belongs to {taken.contact} (#{taken.contact_id}).")
        elif self.phone_clash:
            clash = self.phone_clash
            field = "primary_phone" if clash.number == primary else "alternate_phones"
            self.add_error(
                field,
                f"{clash.number} was just given to contact #{clash.contact_id} by another save, so nothing was "
                "saved. Check the phones and save again.",
            )
        data["primary_phone"], data["alternate_phones"] = primary, alternates
        return data


class PhoneFragmentSearch:
    """The fields of `search_fields`, or a phone fragment written any way ("555-1023", "(312) 555")
    within `phone_field`: the staff pages' search rule for phones (calls.search)."""

    phone_field = ""

    def get_search_results(self, request, queryset, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = [term.digits for term in search.terms(search_term) if term.digits]
        if digits:
            found = queryset
            for fragment in digits:
                found = found.filter(**{f"{self.phone_field}__contains": fragment})
            results |= found
            may_have_duplicates = may_have_duplicates or "__" in self.phone_field
        return results, may_have_duplicates


@admin.register(Contact)
class ContactAdmin(PhoneFragmentSearch, ScopedAdmin):
    form = ContactForm
    phone_field = "phone_rows__number"
    list_display = [
        "display_name",
        "primary_phone",
        "primary_email",
        "franchise",
        "is_business",
        "is_verified",
        "do_not_call",
        "tag_list",
        "updated_at",
    ]
    list_filter = [
        ("franchise", admin.RelatedOnlyFieldListFilter),
        "is_business",
        "is_verified",
        "do_not_call",
        ("tags", admin.RelatedOnlyFieldListFilter),
        ("locations", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "first_name",
        "last_name",
        "organization_name",
        "primary_email",
        "phone_rows__number",
        "=crm_id",
    ]
    list_select_related = ["franchise"]
    autocomplete_fields = ["tags", "primary_contact_tags", "locations"]

    def view_on_site(self, obj: Contact) -> str:
        return staff_page_link(obj.franchise_id, reverse("contacts:detail", args=[obj.pk]))

    inlines = [ContactPhoneInline]
    readonly_fields = ["call_history", "change_history", "crm_id", "crm_updated_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["franchise", "first_name", "last_name", "organization_name", "is_business"]}),
        ("Reach", {"fields": ["primary_phone", "alternate_phones", "primary_email", "alternate_emails"]}),
        ("Do not disturb", {"fields": ["do_not_call", "do_not_text", "do_not_email"]}),
        ("CRM", {"fields": ["tags", "primary_contact_tags", "locations", "notes", "referred_by"]}),
        ("Value", {"fields": ["lifetime_value", "is_verified", "call_history"]}),
        (
            "Address",
            {"fields": ["addr_line1", "addr_line2", "addr_city", "addr_state", "addr_postal", "addr_country"]},
        ),
        (
            "History",
            {
                "classes": ["collapse"],
                "fields": ["change_history", "crm_id", "crm_updated_at", "created_at", "updated_at"],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PhoneTaken as clash:
            # Another save (admin, API, CRM sync) took one of the phones after this form's check:
            # the unique constraint stopped it and the admin's transaction rolled everything back.
            # Show the form again with the clash as its error instead of a 500; it saves nothing.
            request._contact_phone_clash = clash
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        clash = getattr(request, "_contact_phone_clash", None)
        return type(form.__name__, (form,), {"phone_clash": clash}) if clash else form

    @admin.display(description="Tags")
    def tag_list(self, obj: Contact) -> str:
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description="Changes")
    def change_history(self, obj: Contact) -> str:
        changes = obj.changes.select_related("by")[:20] if obj.pk else []
        return (
            format_html_join(
                "",
                "<p>{} · {}{}: {}{}</p>",
                (
                    (
                        f"{change.at:%Y-%m-%d %H:%M} UTC",
                        change.get_source_display(),
                        f" ({change.by})" if change.by else "",
                        "; ".join(f"{name} {before!r} → {after!r}" for name, (before, after) in change.changes.items()),
                        f" — {change.reason}" if change.reason else "",
                    )
                    for change in changes
                ),
            )
            or "—"
        )

    @admin.display(description="Calls")
    def call_history(self, obj: Contact) -> str:
        if not obj.pk or not obj.phones:
            return "—"
        # The same figures as the API's total_calls and last_contact_date.
        stats = call_stats(obj.franchise_id, {obj.pk: obj.phones}).get(obj.pk)
        if stats is None:
            return "No calls"
        return f"{stats.total_calls} call(s), last on {stats.last_contact_date:%Y-%m-%d %H:%M} UTC"

    def save_model(self, request, obj, form, change):
        request._contact_before = contact_snapshot(Contact.objects.get(pk=obj.pk)) if change else {}
        primary, alternates = obj.primary_phone, list(obj.alternate_phones or [])
        super().save_model(request, obj, form, change)
        # Through the service so the ContactPhone rows (and their unique constraint) follow.
        contact_set_phones(contact=obj, primary=primary, alternates=alternates)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # tags and locations land here
        contact_change_record(
            form.instance, request._contact_before, source=ContactChange.Source.ADMIN, by=request.user
        )


@admin.register(ContactMerge)
class ContactMergeAdmin(ReadOnlyAdmin):
    """Read-only: the merges staff made on the contact pages, where one is undone (for a day)."""

    list_display = ["merged_contact", "survivor", "at", "by", "undone_at"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter), ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["merged", "survivor", "by"]
    search_fields = ["merged__first_name", "merged__last_name", "survivor__first_name", "survivor__last_name"]
    fields = ["franchise", "merged", "survivor", "at", "by", "undo_until", "undone_at", "undone_by", "before", "moved"]
    readonly_fields = fields

    def view_on_site(self, obj: ContactMerge) -> str:
        return staff_page_link(obj.franchise_id, reverse("contacts:detail", args=[obj.survivor_id]))

    def has_delete_permission(self, request, obj=None):
        return False  # a merge is undone on the contact page, within its day

    @admin.display(description="Merged contact", ordering="merged__last_name")
    def merged_contact(self, obj: ContactMerge) -> str:
        return f"{obj.merged.display_name} (#{obj.merged_id})"


@admin.register(ContactPhone)
class ContactPhoneAdmin(PhoneFragmentSearch, DependentRowAdmin):
    phone_field = "number"
    parent_field = "contact"
    list_display = ["number", "contact", "is_primary", "franchise"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter), "is_primary"]
    search_fields = ["number", "contact__first_name", "contact__last_name", "contact__organization_name"]
    list_select_related = ["contact", "franchise"]
    readonly_fields = ["franchise", "contact", "number", "is_primary"]


@admin.register(Tag)
class TagAdmin(ScopedAdmin):
    ordering = ["name"]  # annotated counts group rows, which drops Meta.ordering
    list_display = ["name", "franchise", "contact_count", "created_at"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    list_select_related = ["franchise"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    @admin.display(description="Contacts", ordering="contact_count")
    def contact_count(self, obj: Tag) -> int:
        return obj.contact_count


class CrmConnectionAdminForm(forms.ModelForm):
    """The key is write-only (blank keeps the current one); the details are tested with the CRM
    before the admin saves them."""

    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Starts with sk-ak-. Stored encrypted; leave blank to keep the current key.",
    )

    class Meta:
        model = CrmConnection
        fields = ["franchise", "base_url", "business_id"]

    def clean(self):
        data = super().clean()
        key = data.get("api_key") or (self.instance.api_key if self.instance.pk else "")
        if not key:
            self.add_error("api_key", "Enter the CRM's API key.")
        elif data.get("base_url") and data.get("business_id"):
            try:
                data["base_url"], data["business_id"], data["api_key"] = crm_connection_test(
                    base_url=data["base_url"], business_id=str(data["business_id"]), api_key=key
                )
            except CrmConnectionError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(CrmConnection)
class CrmConnectionAdmin(ScopedAdmin):
    form = CrmConnectionAdminForm
    list_display = ["franchise", "base_url", "business_id", "last_synced_at", "next_sync_at"]
    list_select_related = ["franchise"]
    readonly_fields = ["key_hint", "connected_at", "high_water_mark", "last_synced_at", "next_sync_at"]
    fields = ["franchise", "base_url", "business_id", "api_key", *readonly_fields]

    @admin.display(description="Current key")
    def key_hint(self, obj: CrmConnection) -> str:
        return obj.key_hint or "—"

    def save_model(self, request, obj, form, change):
        # Through the service: a new CRM or business starts afresh and moves the schedule.
        data = form.cleaned_data
        saved = crm_connection_save(
            franchise=data.get("franchise") or obj.franchise,
            base_url=data["base_url"],
            business_id=str(data["business_id"]),
            api_key=data["api_key"],
            tested=True,
        )
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(CrmSyncRun)
class CrmSyncRunAdmin(ReadOnlyAdmin):
    """Read-only: runs are written by the sync. A running sync's page reloads itself every few
    seconds (a meta refresh: no script), so its progress can be watched here too."""

    franchise_path = "connection__franchise"
    change_form_template = "admin/contacts/crmsyncrun/change_form.html"
    list_display = ["__str__", "franchise", "status", "started_at", "progress", "counts", "error_summary"]
    list_filter = ["status", "mode", ("connection__franchise", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["connection__franchise"]
    readonly_fields = [
        "connection",
        "mode",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "progress_at",
        "progress",
        "pages",
        "page_reached",
        "total",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "resumes",
        "error",
        "cutoff",
        "high_water_mark",
        "skips",
        "warnings",
        "events",
    ]
    fields = readonly_fields

    @admin.display(description="Franchise", ordering="connection__franchise__name")
    def franchise(self, obj: CrmSyncRun):
        return obj.connection.franchise

    @admin.display(description="Progress")
    def progress(self, obj: CrmSyncRun) -> str:
        through = f"page {obj.page_reached}"
        return f"{obj.percent}% ({obj.processed} of {obj.total}), {through}" if obj.percent is not None else through

    @admin.display(description="Counts")
    def counts(self, obj: CrmSyncRun) -> str:
        return obj.counts_line

    @admin.display(description="Error")
    def error_summary(self, obj: CrmSyncRun) -> str:
        return obj.error[:80] or "—"
