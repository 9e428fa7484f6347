"""Admin for the voice-agent webhook: deliveries, recording fetches (retriable) and secrets (never shown)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet

from calls.models import RecordingFetch, WebhookDelivery, WebhookSecret
from calls.recording_fetch import recording_fetches_retry
from calls.webhooks import webhook_secret_revoke
from franchises.admin_scoping import ReadOnlyAdmin


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "franchise", "webhook_id", "status", "http_status", "call", "error", "replays"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter), "status", "http_status"]
    search_fields = ["=webhook_id", "=conversation_id"]
    list_select_related = ["franchise", "call"]
    date_hierarchy = "received_at"


@admin.register(RecordingFetch)
class RecordingFetchAdmin(ReadOnlyAdmin):
    franchise_path = "call__franchise"
    list_display = ["call", "status", "attempts", "last_error", "next_attempt_at", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["=call__conversation_id"]
    list_select_related = ["call"]
    exclude = ["source_url"]  # may carry a signed link: a credential
    actions = ["retry_now"]

    @admin.action(description="Retry the selected fetches now (a new 6-hour window)")
    def retry_now(self, request, queryset: QuerySet[RecordingFetch]) -> None:
        from django_q.tasks import async_task

        ids = recording_fetches_retry(ids=list(queryset.values_list("pk", flat=True)))
        for fetch_id in ids:
            async_task("calls.tasks.recording_fetch", fetch_id)
        self.message_user(request, f"{len(ids)} fetches queued.", messages.SUCCESS)


@admin.register(WebhookSecret)
class WebhookSecretAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "franchise", "created_at", "created_by", "revoked_at"]
    list_filter = [("franchise", admin.RelatedOnlyFieldListFilter)]
    exclude = ["secret"]  # shown once when made (manage.py create_webhook_secret or the settings page)
    actions = ["revoke"]

    @admin.action(description="Revoke the selected secrets")
    def revoke(self, request, queryset: QuerySet[WebhookSecret]) -> None:
        for secret in queryset:
            webhook_secret_revoke(secret=secret)
        self.message_user(request, f"{queryset.count()} secrets revoked.", messages.SUCCESS)
