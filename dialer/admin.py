"""Admin for PhoneBurner dial sessions, scoped to the franchises of the signed-in staff user."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from dialer.models import DialSession
from franchises.admin_scoping import ScopedAdmin


@admin.register(DialSession)
class DialSessionAdmin(ScopedAdmin):
    ordering = ["-created_at"]  # annotated counts group rows, which drops Meta.ordering
    list_display = ["id", "franchise", "created_by", "status", "contact_count", "phoneburner_session_id", "created_at"]
    list_filter = ["status", ("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=id", "phoneburner_session_id", "created_by__username"]
    list_select_related = ["franchise", "created_by"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["contacts"]
    readonly_fields = ["id", "created_by", "phoneburner_session_id", "error", "created_at", "updated_at"]
    fields = [
        "id",
        "franchise",
        "created_by",
        "status",
        "contacts",
        "phoneburner_session_id",
        "error",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    @admin.display(description="Contacts", ordering="contact_count")
    def contact_count(self, obj: DialSession) -> int:
        return obj.contact_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
