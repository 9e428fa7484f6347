from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from config.fields import EncryptedTextField
from contacts.models import Contact
from franchises.models import Franchise


class PhoneBurnerAccount(models.Model):
    """A staff user's link to their own PhoneBurner account.

    The access token is encrypted at rest and never shown again; `member_name` is who PhoneBurner
    said the token belongs to when it was checked (GET /rest/1/members), shown as "linked as …".
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phoneburner_account")
    access_token = EncryptedTextField()
    member_id = models.CharField(max_length=40)
    member_name = models.CharField(max_length=200)
    linked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} linked as {self.member_name}"


class DialerSettings(models.Model):
    """What the dialer keeps per franchise (PhoneBurner keeps each account's own dial settings):
    which call categories go to the call-back queue and how far back it looks."""

    franchise = models.OneToOneField(Franchise, on_delete=models.CASCADE, related_name="dialer_settings")
    callback_categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Call categories that go to the call-back queue. Empty: every category but spam.",
    )
    queue_days = models.PositiveSmallIntegerField(default=7, help_text="How many days back the queue looks.")

    class Meta:
        verbose_name = "dialer settings"
        verbose_name_plural = "dialer settings"

    def __str__(self) -> str:
        return f"Dialer settings of {self.franchise}"


class Family(models.TextChoices):
    """What a disposition means to us, whatever the agent's button said."""

    CONNECTED = "connected", "Connected"
    VOICEMAIL = "voicemail", "Voicemail"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    BAD_NUMBER = "bad_number", "Bad number"
    DO_NOT_CALL = "do_not_call", "Do not call"
    APPOINTMENT = "appointment", "Appointment"
    OTHER = "other", "Other"


class DispositionMapping(models.Model):
    """How one franchise reads one PhoneBurner disposition (a button label such as "Left Message").
    Dispositions without a row fall back to the stock defaults in `dialer.dispositions`."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="disposition_mappings")
    disposition = models.CharField(max_length=100, help_text="The disposition exactly as PhoneBurner sends it.")
    family = models.CharField(max_length=20, choices=Family.choices)

    class Meta:
        ordering = ["disposition"]
        constraints = [
            models.UniqueConstraint(Lower("disposition"), "franchise", name="disposition_unique_per_franchise"),
        ]

    def __str__(self) -> str:
        return f"{self.disposition} → {self.get_family_display()}"


class DialSession(models.Model):
    """A PhoneBurner dial session launched by a staff user for a list of contacts.

    `callback_secret_hash` (SHA-256 of the secret in the session's callback URLs) authenticates
    PhoneBurner's unsigned callbacks; it is emptied when the launch fails, so the URLs die with it.
    PhoneBurner's answer to the launch carries no session id: `phoneburner_session_id` is learnt
    from the first `api_callbegin` (its `ds_id`) or found by reconcile.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        LAUNCHED = "launched", "Launched"
        FAILED = "failed", "Failed"
        FINISHED = "finished", "Finished"

    class Mode(models.TextChoices):
        PREVIEW = "preview", "Preview"
        POWER = "power", "Power"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="dial_sessions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="dial_sessions"
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="dial_sessions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PREVIEW)
    folder_id = models.CharField("PhoneBurner folder", max_length=40, blank=True)
    excluded = models.JSONField(
        default=list, blank=True, help_text='Contacts left out at launch: [{"contact": id, "name": …, "reason": …}].'
    )
    phoneburner_session_id = models.CharField(max_length=100, null=True, blank=True)
    callback_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    error = models.TextField(blank=True)
    last_callback_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["franchise", "-created_at"], name="dialsession_franchise_time")]

    def __str__(self) -> str:
        return f"Dial session {self.id} ({self.get_status_display()})"


class DialCall(models.Model):
    """One call PhoneBurner placed in one of our dial sessions, from its callbacks or reconcile.

    Unique on (session, PhoneBurner's call id): a replayed callback or a second reconcile updates
    the row, never adds one. `started_at` is when the dial began (PhoneBurner's `start_when`, else
    when `api_callbegin` arrived, else `api_calldone`'s arrival less the duration); `family` is
    blank until the call is done.
    """

    session = models.ForeignKey(DialSession, on_delete=models.CASCADE, related_name="calls")
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="dial_calls")
    phoneburner_call_id = models.CharField(max_length=40)
    phone = models.CharField(max_length=40, blank=True, help_text="E.164 when it could be read.")
    disposition = models.CharField(max_length=100, blank=True)
    family = models.CharField(max_length=20, choices=Family.choices, blank=True)
    connected = models.BooleanField(default=False)
    voicemail = models.BooleanField(default=False)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    note = models.TextField(blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "phoneburner_call_id"], name="dialcall_unique_per_session"),
        ]
        indexes = [
            # "Has this caller been dialled since?" (the queue, speed-to-lead) and dial history.
            models.Index(fields=["franchise", "phone", "started_at"], name="dialcall_phone_time"),
            models.Index(fields=["contact", "-started_at"], name="dialcall_contact_time"),
        ]

    def __str__(self) -> str:
        return f"Dial call {self.phoneburner_call_id} ({self.disposition or 'in progress'})"


class BadPhone(models.Model):
    """A number a dial found bad (a bad-number disposition): the dial gate skips it from then on."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=40)
    dial_call = models.ForeignKey(DialCall, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["franchise", "number"], name="badphone_unique_per_franchise")]

    def __str__(self) -> str:
        return f"{self.number} (bad)"
