"""Admin for calls and their recordings, scoped to the franchises of the signed-in staff user."""

from __future__ import annotations

from functools import reduce
from operator import and_

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from calls import search
from calls.models import Call, Recording
from calls.queries import recording_of
from calls.recordings import recording_response
from franchises.admin_display import InWordsFilter, presence_filter, staff_page_link
from franchises.admin_scoping import DependentRowAdmin, ScopedAdmin, ScopedTabularInline
from franchises.text import in_words


def recording_player(recording: Recording | None) -> str:
    """An <audio> element for `recording`, streamed through the staff-only admin view."""
    if recording is None or not recording.pk:
        return "—"
    url = reverse("admin:calls_call_recording", args=[recording.call_id])
    return format_html(
        '<audio controls preload="none" src="{}"></audio> <a href="{}" download>Download</a> ({} KB)',
        url,
        url,
        round(recording.size / 1024),
    )


class RecordingInline(ScopedTabularInline):
    model = Recording
    franchise_path = "call__franchise"
    fields = ["player", "content_type", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="Recording")
    def player(self, obj: Recording) -> str:
        return recording_player(obj)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(ScopedAdmin):
    list_display = [
        "conversation_id",
        "timestamp",
        "franchise",
        "location",
        "category",
        "agent",
        "state",
        "customer_name",
        "caller_id",
        "duration",
        "has_recording",
    ]
    list_filter = [
        ("franchise", admin.RelatedOnlyFieldListFilter),
        ("location", admin.RelatedOnlyFieldListFilter),
        "state",
        ("call_category", InWordsFilter),
        ("agent_type", InWordsFilter),
        ("recording", presence_filter("recording", "Without a recording", "With a recording")),
    ]
    search_fields = [
        "=conversation_id",
        "caller_id",
        "caller_id_e164",
        "callback_number_e164",
        "customer_phone_e164",
        "customer_name",
        "customer_email",
        "call_summary",
    ]
    date_hierarchy = "timestamp"
    list_select_related = ["franchise", "location", "recording"]

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """The fields above, or a phone fragment written any way ("555-1023", "(312) 555") within the
        caller id, callback number or customer phone: the staff pages' search rule for phones."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phones = [term.phone_q() for term in search.terms(search_term) if term.digits]
        if phones:
            results |= queryset.filter(reduce(and_, phones))
        return results, may_have_duplicates

    autocomplete_fields = ["location"]
    inlines = [RecordingInline]
    readonly_fields = ["caller_id_e164", "callback_number_e164", "customer_phone_e164", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["franchise", "location", "conversation_id", "timestamp", "duration"]}),
        ("Call", {"fields": ["agent_type", "call_category", "request_type", "call_summary", "notes"]}),
        (
            "Caller",
            {
                "fields": [
                    "caller_id",
                    "callback_number",
                    "customer_name",
                    "customer_email",
                    "customer_phone",
                    "referral_source",
                ]
            },
        ),
        ("Loss", {"fields": ["loss_type", "property_area", "service_location"]}),
        (
            "Property (real estate)",
            {
                "classes": ["collapse"],
                "fields": [f"real_estate_{name}" for name in Call.REAL_ESTATE_FIELDS],
            },
        ),
        ("Transcript", {"fields": ["transcript", "transcript_turns"]}),
        (
            "Normalised phones and history",
            {
                "classes": ["collapse"],
                "fields": ["caller_id_e164", "callback_number_e164", "customer_phone_e164", "created_at", "updated_at"],
            },
        ),
    ]

    @admin.display(description="Category", ordering="call_category")
    def category(self, obj: Call) -> str:
        return in_words(obj.call_category)

    @admin.display(description="Agent type", ordering="agent_type")
    def agent(self, obj: Call) -> str:
        return in_words(obj.agent_type)

    def view_on_site(self, obj: Call) -> str:
        return staff_page_link(obj.franchise_id, reverse("calls:detail", args=[obj.conversation_id]))

    @admin.display(description="Audio", boolean=True)
    def has_recording(self, obj: Call) -> bool:
        return hasattr(obj, "recording")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The conversation_id is the call's identity for integrators and imports: fixed once set.
        return [*fields, "conversation_id"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        obj.set_normalized_phones()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.recording_view)
        return [path("<path:object_id>/recording/", view, name="calls_call_recording"), *super().get_urls()]

    def recording_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Stream a call's audio to staff who may view the call; another franchise's call is a 404."""
        call = self.get_object(request, object_id)
        if call is None or not self.has_view_permission(request, call):
            raise Http404("Recording not found")
        recording = recording_of(franchise_id=call.franchise_id, conversation_id=call.conversation_id)
        if recording is None:
            raise Http404("Recording not found")
        return recording_response(request, recording, conversation_id=call.conversation_id)


@admin.register(Recording)
class RecordingAdmin(DependentRowAdmin):
    franchise_path = "call__franchise"
    parent_field = "call"
    list_display = ["call", "franchise", "content_type", "size", "created_at"]
    list_filter = [("call__franchise", admin.RelatedOnlyFieldListFilter), "content_type"]
    search_fields = ["=call__conversation_id"]
    list_select_related = ["call__franchise"]
    fields = ["call", "player", "content_type", "size", "created_at"]
    readonly_fields = fields

    @admin.display(description="Franchise", ordering="call__franchise__name")
    def franchise(self, obj: Recording):
        return obj.call.franchise

    @admin.display(description="Recording")
    def player(self, obj: Recording) -> str:
        return recording_player(obj)


from calls import webhook_admin  # noqa: E402, F401  (registers the webhook models)
