from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from config.fields import EncryptedTextField
from franchises.models import Franchise, Location


class Tag(models.Model):
    """A franchise's label for contacts (e.g. "VIP"); names are unique per franchise, ignoring case."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "franchise", name="tag_name_unique_per_franchise"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactManager(models.Manager):
    """Contacts still in use: one merged into another (`merged_into`) is left out of every list, lookup
    and write, as if deleted, while it waits a day for a possible undo."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(merged_into__isnull=True)


class Contact(models.Model):
    """A person or business in the franchise's CRM, in the Data Share API's contact shape.

    `primary_phone` and `alternate_phones` are E.164. Each of them also has a `ContactPhone` row,
    whose unique constraint makes one phone belong to at most one contact of a franchise; write
    phones through `contacts.services` so the two stay in step. `total_calls` and
    `last_contact_date` are not stored: they derive from the calls whose phones match.
    """

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, null=True, blank=True)
    last_name = models.CharField(max_length=100, null=True, blank=True)
    organization_name = models.CharField(max_length=200, null=True, blank=True)
    is_business = models.BooleanField(default=False)
    primary_phone = models.CharField(max_length=20, null=True, blank=True)
    primary_email = models.CharField(max_length=254, null=True, blank=True)
    alternate_phones = models.JSONField(default=list, blank=True)
    alternate_emails = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    primary_contact_tags = models.ManyToManyField(Tag, blank=True, related_name="primary_contacts")
    notes = models.TextField(null=True, blank=True)
    referred_by = models.CharField(max_length=200, null=True, blank=True)
    addr_line1 = models.CharField("address line 1", max_length=200, null=True, blank=True)
    addr_line2 = models.CharField("address line 2", max_length=200, null=True, blank=True)
    addr_city = models.CharField("city", max_length=100, null=True, blank=True)
    addr_state = models.CharField("state", max_length=100, null=True, blank=True)
    addr_postal = models.CharField("postal code", max_length=20, null=True, blank=True)
    addr_country = models.CharField("country", max_length=2, null=True, blank=True)
    locations = models.ManyToManyField(Location, blank=True, related_name="contacts")
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    is_verified = models.BooleanField(default=False)

    # Do-not-disturb flags, as the CRM sends them; a do-not-call contact is never dialled.
    do_not_call = models.BooleanField(default=False)
    do_not_text = models.BooleanField(default=False)
    do_not_email = models.BooleanField(default=False)

    # Where the contact came from when it was synced from an external CRM.
    crm_id = models.CharField(max_length=100, null=True, blank=True)
    crm_updated_at = models.DateTimeField(null=True, blank=True)
    # What the last CRM sync sent and left here, per synced field: the conflict rule reads "edited
    # here since the last sync" from it (contacts/crm/mapping.py). Empty for a contact never synced.
    crm_base = models.JSONField(default=dict, blank=True, editable=False)
    # The contact's own time zone (IANA name), e.g. from the CRM's ianaTimezone.
    timezone = models.CharField(max_length=64, null=True, blank=True)

    # Set when staff merged this contact into another: its page redirects there, and `objects` no
    # longer sees it. The row stays for its history and for undoing the merge (`ContactMerge`).
    merged_into = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, editable=False, related_name="+", db_index=False
    )
    # Goes up by one with every recorded change (contacts.services.contact_change_record): the API's
    # ETag, so a client's If-Match can refuse to write over a change it has not seen.
    version = models.PositiveBigIntegerField(default=1, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal", "country")

    everything = models.Manager()  # merged contacts too
    objects = ContactManager()  # the default (see Meta)

    class Meta:
        default_manager_name = "objects"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["franchise", "id"], name="contact_franchise_id"),
            # Only the few merged rows: a full index of a column that is almost always null would
            # tempt the planner away from the search indexes.
            models.Index(fields=["merged_into"], name="contact_merged_into", condition=Q(merged_into__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["franchise", "crm_id"],
                condition=models.Q(crm_id__isnull=False),
                name="contact_crm_id_unique_per_franchise",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.organization_name or self.primary_phone or f"Contact {self.pk}"

    @property
    def phones(self) -> list[str]:
        return [p for p in [self.primary_phone, *self.alternate_phones] if p]


class ContactPhone(models.Model):
    """One E.164 phone of a contact. The unique constraint is what stops two contacts of a
    franchise sharing a phone, even when two requests create them at the same moment."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phone_rows")
    number = models.CharField(max_length=20)
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["franchise", "number"], name="contact_phone_unique_per_franchise")
        ]
        indexes = [models.Index(fields=["contact"], name="contact_phone_contact")]

    def __str__(self) -> str:
        return self.number


class ContactChange(models.Model):
    """One change to a contact, for its history: when, who or what made it (a staff user, the API,
    the CRM sync, the dialer), which fields went from what to what, and why.

    Written by `contacts.services.contact_changes`, around every write of a contact's fields, phones,
    tags or locations; `changes` maps each field to `[before, after]` (lists as sorted names).
    """

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        ADMIN = "admin", "Admin"
        API = "api", "Data Share API"
        CRM = "crm", "CRM sync"
        DIALER = "dialer", "Dialer"
        SYSTEM = "system", "System"

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    changes = models.JSONField(default=dict)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "-at", "-id"], name="contact_change_time")]

    def __str__(self) -> str:
        return (
            f"{self.get_source_display()} changed {', '.join(self.changes) or 'nothing'} of contact {self.contact_id}"
        )


class ContactMerge(models.Model):
    """Staff merged `merged` (a duplicate) into `survivor`: what both were before, and what moved
    (phones, tags, dial history...), so that for a day the merge can be undone exactly."""

    UNDO_FOR = timedelta(days=1)

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # {"survivor": {field: value}, "merged": {field: value}}: the columns and phones before the merge.
    before = models.JSONField(default=dict)
    # {"tags": [ids added to the survivor], ..., "rows": {"app.Model.field": [ids moved]}, "links": ...}
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Contact {self.merged_id} merged into {self.survivor_id}"

    @property
    def undo_until(self) -> datetime:
        return self.at + self.UNDO_FOR


class CrmConnection(models.Model):
    """A franchise's link to its CRM (specs/crm-contacts-api.txt): where it is (scheme and host; the
    contacts route's path is appended), which business, the `sk-ak-` key (encrypted at rest), and
    how far the last finished sync read (`high_water_mark`, the CRM's newest `updatedAt` then)."""

    franchise = models.OneToOneField(Franchise, on_delete=models.CASCADE, related_name="crm_connection")
    base_url = models.CharField("base URL", max_length=200)
    business_id = models.UUIDField("business id")
    api_key = EncryptedTextField("API key")
    # When the base URL or business was last set: the schedule's first sync is one interval after
    # it, and no run that began before it is resumed (it read another CRM).
    connected_at = models.DateTimeField(default=timezone.now)
    high_water_mark = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # When the schedule next syncs it: one interval after connecting, then every interval.
    next_sync_at = models.DateTimeField(null=True, blank=True)
    # Set when an owner asks for a sync and cleared when it starts: the page shows "queued" meanwhile.
    sync_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM connection"

    def __str__(self) -> str:
        return f"{self.franchise} → {self.base_url}"

    @property
    def key_hint(self) -> str:
        """Enough of the key to recognise it, never enough to use it."""
        return f"sk-ak-…{self.api_key[-4:]}" if self.api_key else ""


class CrmSyncRun(models.Model):
    """One sync of a CRM connection, from its first page to its last: its counts, the page it
    reached (committed with that page's contacts), skipped records with reasons, and how it ended.

    A run that stops early (its process killed, its task's time up, the CRM failing) is continued
    in place by the next attempt from the first page not yet committed, so its final counts are
    those of an uninterrupted run. `events` says when that happened."""

    class Mode(models.TextChoices):
        FULL = "full", "full"
        INCREMENTAL = "incremental", "incremental"

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        INTERRUPTED = "interrupted", "interrupted"  # stopped early; the next attempt continues it
        FAILED = "failed", "failed"  # stopped by an error; the next attempt continues it
        FINISHED = "finished", "finished"
        ABANDONED = "abandoned", "abandoned"  # replaced before it finished (a full sync, another CRM)

    UNFINISHED = (Status.RUNNING, Status.INTERRUPTED, Status.FAILED)

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="runs")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=20, default="command")  # command, schedule, page
    resumes = models.PositiveIntegerField(default=0)  # times a later attempt continued it
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)  # when the last page was committed
    pages = models.PositiveIntegerField(default=0)
    page_reached = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)  # the CRM's count, when it sends one
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"crm_id": ..., "reason": ...}]: skipped records, and (warnings) what a kept record lost.
    # Both keep the first few hundred; the counts above stay exact.
    skips = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    events = models.JSONField(default=list, blank=True)  # [{"at": iso time, "text": ...}]
    # Incremental: records updated before `cutoff` (the last high-water mark less an overlap) are
    # not read. `high_water_mark`: the CRM's newest updatedAt when this run began.
    cutoff = models.DateTimeField(null=True, blank=True)
    high_water_mark = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"], name="crm_run_connection_started")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} sync #{self.pk} ({self.status})"

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped

    @property
    def percent(self) -> int | None:
        """How far through the CRM's contacts a full run is, when the CRM says how many there are."""
        if self.mode != self.Mode.FULL or not self.total:
            return None
        return min(100, round(100 * self.processed / self.total))

    @property
    def counts_line(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, skipped {self.skipped}"
