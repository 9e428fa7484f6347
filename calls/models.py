from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.fields import EncryptedTextField
from franchises.models import Franchise, Location
from franchises.phones import normalize_phone_or_none


class Call(models.Model):
    """One call answered by the franchise's AI voice agent, in the Data Share API's call shape.

    The `*_e164` columns hold the normalised phones that link calls to contacts and serve the
    `phone` filter; they are filled from the raw fields by `set_normalized_phones()`.
    """

    class State(models.TextChoices):
        NEW = "new", "New"
        REVIEWED = "reviewed", "Reviewed"
        NEEDS_CALLBACK = "needs_callback", "Needs call-back"
        CALLED_BACK = "called_back", "Called back"
        BOOKED = "booked", "Booked"
        NOT_NEEDED = "not_needed", "Not needed"

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="calls")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    conversation_id = models.CharField(max_length=100, unique=True)
    caller_id = models.CharField(max_length=40, blank=True)
    timestamp = models.DateTimeField()
    duration = models.PositiveIntegerField(default=0, help_text="Seconds.")
    agent_type = models.CharField(max_length=50, blank=True)
    call_category = models.CharField(max_length=100, blank=True)
    customer_name = models.CharField(max_length=200, null=True, blank=True)
    customer_email = models.CharField(max_length=254, null=True, blank=True)
    customer_phone = models.CharField(max_length=40, null=True, blank=True)
    call_summary = models.TextField(null=True, blank=True)
    loss_type = models.CharField(max_length=100, null=True, blank=True)
    referral_source = models.CharField(max_length=200, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    property_area = models.CharField(max_length=200, null=True, blank=True)
    request_type = models.CharField(max_length=100, null=True, blank=True)
    service_location = models.CharField(max_length=500, null=True, blank=True)
    callback_number = models.CharField(max_length=40, null=True, blank=True)
    transcript = models.TextField(blank=True)
    transcript_turns = models.JSONField(
        default=list,
        blank=True,
        help_text='Optional: [{"speaker": "agent"|"caller", "text": ..., "start": seconds}].',
    )

    real_estate_address = models.CharField(max_length=500, null=True, blank=True)
    real_estate_last_sale_value = models.CharField(max_length=50, null=True, blank=True)
    real_estate_current_value = models.CharField(max_length=50, null=True, blank=True)
    real_estate_owner_name1 = models.CharField(max_length=200, null=True, blank=True)
    real_estate_owner_name2 = models.CharField(max_length=200, null=True, blank=True)
    real_estate_room_count = models.CharField(max_length=20, null=True, blank=True)
    real_estate_square_footage = models.CharField(max_length=20, null=True, blank=True)
    real_estate_year_built = models.CharField(max_length=10, null=True, blank=True)

    caller_id_e164 = models.CharField(max_length=20, null=True, blank=True, editable=False)
    callback_number_e164 = models.CharField(max_length=20, null=True, blank=True, editable=False)
    customer_phone_e164 = models.CharField(max_length=20, null=True, blank=True, editable=False)

    # Triage: where the call stands with the franchise's staff (see `calls.services.call_state_set`).
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW, db_default=State.NEW)
    state_reason = models.CharField(
        max_length=100, blank=True, default="", db_default="", help_text="Why it is not needed (spam, ...)."
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The call's own fields in the order of the Data Share API's call shape (specs/data-share-api.txt):
    # the API's rows, the import's input and the admin all follow it. `location` is the location's name.
    SHAPE_FIELDS = (
        "conversation_id",
        "caller_id",
        "timestamp",
        "duration",
        "agent_type",
        "call_category",
        "customer_name",
        "customer_email",
        "call_summary",
        "loss_type",
        "referral_source",
        "notes",
        "property_area",
        "request_type",
        "service_location",
        "callback_number",
        "location_id",
        "location",
        "transcript",
    )
    # Nested as `real_estate` in the shape; stored as `real_estate_<name>` columns.
    REAL_ESTATE_FIELDS = (
        "address",
        "last_sale_value",
        "current_value",
        "owner_name1",
        "owner_name2",
        "room_count",
        "square_footage",
        "year_built",
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            # Keyset pages, newest first, per franchise and per location.
            models.Index(fields=["franchise", "-timestamp", "-id"], name="call_franchise_time"),
            models.Index(fields=["franchise", "location", "-timestamp", "-id"], name="call_location_time"),
            # The `phone` filter and the call ↔ contact link.
            models.Index(fields=["franchise", "caller_id_e164"], name="call_caller_e164"),
            models.Index(fields=["franchise", "callback_number_e164"], name="call_callback_e164"),
            models.Index(fields=["franchise", "customer_phone_e164"], name="call_customer_e164"),
            # The triage filters and counts.
            models.Index(fields=["franchise", "state", "-timestamp", "-id"], name="call_state_time"),
        ]

    def __str__(self) -> str:
        return self.conversation_id

    def set_normalized_phones(self, region: str | None = None) -> None:
        region = region or self.franchise.phone_region
        self.caller_id_e164 = normalize_phone_or_none(self.caller_id, region)
        self.callback_number_e164 = normalize_phone_or_none(self.callback_number, region)
        self.customer_phone_e164 = normalize_phone_or_none(self.customer_phone, region)

    @property
    def phones(self) -> set[str]:
        return {p for p in (self.caller_id_e164, self.callback_number_e164, self.customer_phone_e164) if p}


class CallComment(models.Model):
    """A staff member's comment on a call, at a moment of its recording (`at`, seconds) or on the
    call as a whole (`at` empty); `/calls/<id>/?t=<at>` opens the call with the player there."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds into the recording.")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.call_id} at {self.at}"


def recording_path(recording: Recording, filename: str) -> str:
    # Named by ids, never by anything a client sent; the storage location is never exposed.
    return f"recordings/{recording.call.franchise_id}/{recording.call.conversation_id}.mp3"


class Recording(models.Model):
    """The audio of a call, kept in Django storage and streamed only through authorised views."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="recording")
    file = models.FileField(upload_to=recording_path, max_length=300)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    content_type = models.CharField(max_length=100, default="audio/mpeg")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Recording of {self.call.conversation_id}"


class WebhookSecret(models.Model):
    """A signing secret of the franchise's voice-agent webhook (Standard Webhooks `whsec_…`).

    Stored encrypted (it must be read back to check signatures, so it cannot be hashed). Several may
    be active at once, so a sender can move to a new secret before the old one is revoked. The
    plaintext is shown once: to the command that made it, or on the settings page right after.
    """

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="webhook_secrets")
    secret = EncryptedTextField()
    prefix = models.CharField(max_length=20, help_text="The start of the secret, to tell secrets apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shown_at = models.DateTimeField(null=True, blank=True, help_text="When the plaintext was shown (once).")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["franchise", "revoked_at"], name="webhooksecret_active")]

    def __str__(self) -> str:
        return f"{self.prefix}…"  # never the secret


class WebhookDelivery(models.Model):
    """One signed delivery of the voice-agent webhook, by its `webhook-id`: what came of it.

    The row is the idempotency key: a delivery already accepted is answered 200 again and changes
    nothing. Unsigned requests are never recorded (anyone can send those).
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="webhook_deliveries")
    webhook_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    http_status = models.PositiveSmallIntegerField()
    call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries")
    conversation_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    replays = models.PositiveIntegerField(default=0, help_text="Later deliveries of the same webhook-id.")
    last_replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["franchise", "webhook_id"], name="webhookdelivery_unique_id"),
        ]
        indexes = [models.Index(fields=["franchise", "-received_at"], name="webhookdelivery_recent")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return self.webhook_id


class RecordingFetch(models.Model):
    """Fetching a call's audio from the voice-agent platform into storage, retried with backoff.

    Pending until fetched, or failed with the reason once retrying is pointless (refused, too big,
    not audio) or has gone on for RECORDING_FETCH_RETRY_HOURS. `claimed_until` keeps two workers
    from fetching one recording at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHED = "fetched", "Fetched"
        FAILED = "failed", "Failed"

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="recording_fetch")
    # Encrypted: a signed storage link is a credential for as long as it lives.
    source_url = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, help_text="Start of the retry window.")
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="recordingfetch_due")]

    def __str__(self) -> str:
        return f"Recording fetch of call {self.call_id} ({self.status})"
