from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from contacts.models import Contact
from franchises.models import Franchise


class DialSession(models.Model):
    """A PhoneBurner dial session launched by a staff user for a list of contacts.

    The launch, callbacks and reconciliation arrive with the dialer work; this row is what they
    hang on: `callback_secret_hash` authenticates PhoneBurner's unsigned callbacks.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        LAUNCHED = "launched", "Launched"
        FAILED = "failed", "Failed"
        FINISHED = "finished", "Finished"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="dial_sessions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="dial_sessions"
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="dial_sessions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    phoneburner_session_id = models.CharField(max_length=100, null=True, blank=True)
    callback_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Dial session {self.id} ({self.get_status_display()})"
