"""Admin for the dialer, scoped to the franchises of the signed-in staff user: dial sessions with
their calls, the per-franchise disposition mapping and queue settings, and (for operators) which
users have linked PhoneBurner."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from dialer.dispositions import STOCK, disposition_defaults_ensure
from dialer.models import DialCall, DialerSettings, DialSession, DispositionMapping, PhoneBurnerAccount
from franchises.admin_scoping import ScopedAdmin, user_franchise_ids
from franchises.models import Franchise
from franchises.text import in_words


class DialCallInline(admin.TabularInline):
    model = DialCall
    extra = 0
    can_delete = False
    fields = [
        "started_at",
        "contact",
        "phone",
        "disposition",
        "family",
        "connected",
        "duration",
        "note",
        "recording_url",
    ]
    readonly_fields = fields
    ordering = ["started_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DialSession)
class DialSessionAdmin(ScopedAdmin):
    ordering = ["-created_at"]  # annotated counts group rows, which drops Meta.ordering
    list_display = ["id", "franchise", "created_by", "status", "contact_count", "phoneburner_session_id", "created_at"]
    list_filter = ["status", ("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=id", "phoneburner_session_id", "created_by__username"]
    list_select_related = ["franchise", "created_by"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["contacts"]
    readonly_fields = [
        "id",
        "created_by",
        "mode",
        "folder_id",
        "excluded",
        "phoneburner_session_id",
        "error",
        "last_callback_at",
        "reconciled_at",
        "finished_at",
        "created_at",
        "updated_at",
    ]
    fields = ["id", "franchise", "created_by", "status", "contacts", *readonly_fields[2:]]
    inlines = [DialCallInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    @admin.display(description="Contacts", ordering="contact_count")
    def contact_count(self, obj: DialSession) -> int:
        return obj.contact_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DispositionMapping)
class DispositionMappingAdmin(ScopedAdmin):
    """Which family each PhoneBurner disposition belongs to, per franchise. The list starts with
    PhoneBurner's stock buttons; add a row for each custom button the franchise uses."""

    list_display = ["disposition", "family", "franchise"]
    list_editable = ["family"]
    list_filter = ["family", ("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["disposition"]
    list_select_related = ["franchise"]
    ordering = ["franchise__name", "disposition"]

    def changelist_view(self, request, extra_context=None):
        # The stock defaults show up as rows to edit, for every franchise the user may edit.
        ids = user_franchise_ids(request, DispositionMapping, "change")
        franchises = Franchise.objects.all() if ids is None else Franchise.objects.filter(pk__in=ids)
        for franchise in franchises[:50]:
            disposition_defaults_ensure(franchise=franchise)
        extra = {"subtitle": f"Stock dispositions: {', '.join(STOCK)}", **(extra_context or {})}
        return super().changelist_view(request, extra)


@admin.register(DialerSettings)
class DialerSettingsAdmin(ScopedAdmin):
    list_display = ["franchise", "queue_days", "categories"]
    list_select_related = ["franchise"]

    @admin.display(description="Call-back categories")
    def categories(self, obj: DialerSettings) -> str:
        return ", ".join(in_words(category) for category in obj.callback_categories or [])


@admin.register(PhoneBurnerAccount)
class PhoneBurnerAccountAdmin(admin.ModelAdmin):
    """Who has linked PhoneBurner. The token is never shown; deleting a row unlinks the user."""

    list_display = ["user", "member_name", "member_id", "linked_at"]
    search_fields = ["user__username", "member_name"]
    fields = ["user", "member_name", "member_id", "linked_at"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False  # linking checks the token with PhoneBurner: Settings → PhoneBurner, or link_phoneburner

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
