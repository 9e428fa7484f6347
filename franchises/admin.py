"""Admin for franchises, locations, staff memberships, API tokens and rate-limit counters. The
franchise scoping these (and every other app's admins) use lives in `franchises.admin_scoping`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse

from franchises.admin_display import presence_filter
from franchises.admin_scoping import ScopedAdmin, ScopedTabularInline
from franchises.models import ApiToken, Franchise, Location, Membership, RateLimitCounter
from franchises.roles import staff_groups_sync

# --- Franchises -------------------------------------------------------------------------------------


class LocationInline(ScopedTabularInline):
    model = Location
    fields = ["name", "id", "created_at"]
    readonly_fields = ["id", "created_at"]
    extra = 0


class MembershipInline(ScopedTabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


@admin.register(Franchise)
class FranchiseAdmin(ScopedAdmin):
    ordering = ["name"]  # annotated counts group rows, which drops Meta.ordering
    franchise_path = ""
    list_display = ["name", "id", "timezone", "phone_region", "location_count", "staff_count", "created_at"]
    list_filter = ["timezone", "phone_region"]
    search_fields = ["name", "=id"]
    readonly_fields = ["id", "created_at"]
    fields = ["name", "id", "timezone", "phone_region", "created_at"]
    inlines = [LocationInline, MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(location_count=Count("locations", distinct=True), staff_count=Count("memberships", distinct=True))
        )

    @admin.display(description="Locations", ordering="location_count")
    def location_count(self, obj: Franchise) -> int:
        return obj.location_count

    @admin.display(description="Staff", ordering="staff_count")
    def staff_count(self, obj: Franchise) -> int:
        return obj.staff_count

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            users = {m.user for m in formset.new_objects + formset.deleted_objects}
            users |= {m.user for m, _changed in formset.changed_objects}
            for user in users:
                staff_groups_sync(user)


@admin.register(Location)
class LocationAdmin(ScopedAdmin):
    list_display = ["name", "franchise", "id", "created_at"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "franchise__name", "=id"]
    list_select_related = ["franchise"]
    readonly_fields = ["id", "created_at"]
    fields = ["franchise", "name", "id", "created_at"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "franchise", "role", "created_at"]
    list_filter = ["role", ("franchise", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "franchise__name"]
    list_select_related = ["user", "franchise"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "user"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        staff_groups_sync(obj.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        staff_groups_sync(obj.user)

    def delete_queryset(self, request, queryset):
        users = {m.user for m in queryset.select_related("user")}
        super().delete_queryset(request, queryset)
        for user in users:
            staff_groups_sync(user)


# --- API tokens --------------------------------------------------------------------------------------


class ApiTokenAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=36500, help_text="Leave empty for a token that never expires."
    )

    class Meta:
        model = ApiToken
        fields = ["franchise", "label"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = ["display_prefix", "label", "franchise", "status", "created_at", "expires_at", "last_used_at"]
    list_filter = [
        ("franchise", admin.RelatedOnlyFieldListFilter),
        ("revoked_at", presence_filter("revoked", "Not revoked", "Revoked")),
    ]
    search_fields = ["label", "prefix", "franchise__name"]
    list_select_related = ["franchise"]
    readonly_fields = ["display_prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["franchise", "label", "display_prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    add_fields = ["franchise", "label", "expires_in_days"]
    actions = ["revoke"]

    @admin.display(description="Token", ordering="prefix")
    def display_prefix(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…" if obj.prefix else "—"

    @admin.display(description="Status")
    def status(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return "revoked"
        return "active" if obj.is_active else "expired"

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            # The plaintext exists only in this response, never in the database.
            request._issued_token_plaintext = obj.set_new_secret(
                expires_in_days=form.cleaned_data.get("expires_in_days")
            )
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        plaintext = getattr(request, "_issued_token_plaintext", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        # A page of its own rather than a message: messages may sit in a cookie, the token must not.
        response = TemplateResponse(
            request,
            "admin/franchises/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": "API token created",
                "opts": self.opts,
                "token": obj,
                "plaintext": plaintext,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(RateLimitCounter)
class RateLimitCounterAdmin(admin.ModelAdmin):
    """Shared counters are operator business: superusers only, read-only."""

    list_display = ["key", "count", "expires_at"]
    search_fields = ["key"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
