from __future__ import annotations

import hashlib
import secrets
import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "bds_"
TOKEN_DISPLAY_LENGTH = len(TOKEN_PREFIX) + 8


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}; use an IANA name such as America/Chicago.")


def default_timezone() -> str:
    return settings.DEFAULT_FRANCHISE_TIMEZONE


def default_region() -> str:
    return settings.DEFAULT_PHONE_REGION


class Franchise(models.Model):
    """A franchise business: the tenant every call, contact, token and staff membership belongs to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text="IANA time zone; YYYY-MM-DD dates in the API mean whole days in this zone.",
    )
    phone_region = models.CharField(
        max_length=2,
        default=default_region,
        help_text="ISO country code used to read phone numbers written without a country code.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Location(models.Model):
    """A branch of a franchise; calls are answered for one location, contacts may be tracked at several."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["franchise", "name"], name="location_name_unique_per_franchise")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's access to one franchise, with the role that decides what they may do there."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        AGENT = "agent", "Call-back agent"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["franchise__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "franchise"], name="membership_unique_per_user_franchise")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.franchise} ({self.get_role_display()})"


def hash_token(plaintext: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is a safe, fast lookup key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A franchise-scoped bearer token for the Data Share API. Only its hash is stored; the
    plaintext is shown once, at creation, and afterwards only its prefix identifies it."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=TOKEN_DISPLAY_LENGTH, editable=False, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or 'no label'})"

    @classmethod
    def issue(
        cls, *, franchise: Franchise, label: str = "", expires_in_days: int | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its plaintext, which is never stored."""
        token = cls(franchise=franchise, label=label)
        plaintext = token.set_new_secret(expires_in_days=expires_in_days)
        token.save()
        return token, plaintext

    def set_new_secret(self, *, expires_in_days: int | None = None) -> str:
        """Give this unsaved token a new secret (its prefix and hash) and an expiry; returns the
        plaintext, the only copy there will ever be."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.prefix = plaintext[:TOKEN_DISPLAY_LENGTH]
        self.token_hash = hash_token(plaintext)
        self.expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        return plaintext

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class RateLimitCounter(models.Model):
    """One fixed window of a shared counter (a token's minute or day, a client address's failed
    logins). Rows are bumped with a single atomic upsert so limits hold across processes."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
