"""The dialer's actions: linking a PhoneBurner account and launching a dial session.

Callbacks and their outcomes live in `dialer.callbacks`, reconciliation in `dialer.reconcile`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from config.errors import DomainError
from contacts.models import Contact, ContactChange
from contacts.services import BadContactPhone, PhoneTaken, contact_find_by_phones, contact_upsert
from dialer.dispositions import disposition_defaults_ensure
from dialer.gate import Excluded, GateResult, dial_gate
from dialer.models import DialSession, PhoneBurnerAccount
from dialer.phoneburner.client import PhoneBurnerClient, PhoneBurnerError
from dialer.phoneburner.types import CALLBACK_TYPES, DialContact
from franchises.models import Franchise

# Our path segment for each of PhoneBurner's callback types.
CALLBACK_PATHS = {
    "api_callbegin": "callbegin",
    "api_contact_displayed": "contact-displayed",
    "api_calldone": "calldone",
}
MAX_CONTACTS = 500  # per session: a queue bigger than this is dialled in more than one session


class DialerError(DomainError):
    """Something the dialer could not do; the message is for the staff member."""

    code = "dialer_error"


class NotLinked(DialerError):
    code = "phoneburner_not_linked"

    def __init__(self) -> None:
        super().__init__("Link your PhoneBurner account first (Settings → PhoneBurner).")


class NobodyToDial(DialerError):
    code = "nobody_to_dial"

    def __init__(self, excluded: list[Excluded]) -> None:
        super().__init__("Nobody left to dial: every contact was left out.")
        self.excluded = excluded


class LaunchFailed(DialerError):
    """PhoneBurner refused, timed out or answered something unusable; the session is failed."""

    code = "launch_failed"

    def __init__(self, message: str, session: DialSession) -> None:
        super().__init__(message)
        self.session = session


# --- Accounts ----------------------------------------------------------------------------------------


def phoneburner_client(*, user, http: httpx.Client | None = None) -> PhoneBurnerClient:
    """A client with the user's own PhoneBurner token; NotLinked when they have none."""
    account = PhoneBurnerAccount.objects.filter(user=user).first()
    if account is None:
        raise NotLinked()
    return PhoneBurnerClient(account.access_token, http=http, time_zone=settings.PHONEBURNER_TIME_ZONE)


def phoneburner_account_link(*, user, token: str, http: httpx.Client | None = None) -> PhoneBurnerAccount:
    """Check `token` with PhoneBurner (GET /rest/1/members) and keep it for `user`, replacing any
    earlier link. Raises PhoneBurnerError (nothing kept) when PhoneBurner refuses it."""
    member = PhoneBurnerClient(token, http=http, time_zone=settings.PHONEBURNER_TIME_ZONE).me()
    account, _ = PhoneBurnerAccount.objects.update_or_create(
        user=user,
        defaults={
            "access_token": token.strip(),
            "member_id": member.user_id,
            "member_name": member.name[:200],
            "linked_at": timezone.now(),
        },
    )
    return account


def phoneburner_account_unlink(*, user) -> bool:
    """Forget the user's PhoneBurner token. True when there was one."""
    deleted, _ = PhoneBurnerAccount.objects.filter(user=user).delete()
    return bool(deleted)


# --- Who to dial ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Callers:
    """What a launch was asked to dial: contacts by id, and callers of calls that have no contact yet."""

    contacts: list[Contact]
    calls_without_contact: list[Call]


def contacts_for_calls(*, franchise: Franchise, user, calls: Iterable[Call]) -> list[Contact]:
    """The contact of each call's caller, made from the call's name, phone and email when the caller
    has none yet (the queue's "a caller with no contact yet gets one when a session is launched")."""
    found: dict[int, Contact] = {}
    for call in calls:
        phones = [p for p in (call.callback_number_e164, call.caller_id_e164, call.customer_phone_e164) if p]
        if not phones:
            continue
        contact = contact_find_by_phones(franchise=franchise, phones=phones)
        if contact is None:
            first, _, last = (call.customer_name or "").strip().partition(" ")
            try:
                contact, _ = contact_upsert(
                    franchise=franchise,
                    primary_phone=phones[0],
                    alternate_phones=phones[1:],
                    first_name=first or None,
                    last_name=last or None,
                    primary_email=call.customer_email or None,
                    by=user,
                    source=ContactChange.Source.DIALER,
                    reason=f"caller of call {call.conversation_id}, dialled from the call-back queue",
                )
                if call.location_id:
                    contact.locations.add(call.location_id)
            except (PhoneTaken, BadContactPhone):  # taken meanwhile, or a number the contacts service refuses
                continue
        found[contact.pk] = contact
    return list(found.values())


# --- Launch ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launched:
    session: DialSession
    redirect_url: str
    gate: GateResult


def callback_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def dial_session_launch(
    *,
    franchise: Franchise,
    user,
    contacts: list[Contact],
    mode: str = DialSession.Mode.PREVIEW,
    folder_id: str = "",
    http: httpx.Client | None = None,
) -> Launched:
    """Gate the contacts, record a DialSession, start it in PhoneBurner, and hand back the one-time
    link into PhoneBurner's dialer.

    Raises NotLinked, NobodyToDial, or LaunchFailed (the session is then failed with the reason,
    its callback secret is dead, and its contacts are free to be dialled again).
    """
    client = phoneburner_client(user=user, http=http)
    secret = secrets.token_urlsafe(32)  # 256 bits; only its hash is kept
    with transaction.atomic():
        # Lock the contacts: two launches for one contact at once must not both pass the gate.
        locked = list(Contact.objects.select_for_update().filter(franchise=franchise, pk__in=[c.pk for c in contacts]))
        order = {c.pk: n for n, c in enumerate(contacts)}
        locked.sort(key=lambda c: order[c.pk])
        gate = dial_gate(franchise=franchise, contacts=locked)
        if not gate.dialable:
            raise NobodyToDial(gate.excluded)
        dialable = gate.dialable[:MAX_CONTACTS]
        session = DialSession.objects.create(
            franchise=franchise,
            created_by=user,
            status=DialSession.Status.PENDING,
            mode=mode,
            folder_id=folder_id or "",
            callback_secret_hash=callback_secret_hash(secret),
            excluded=[
                {"contact": e.contact.pk, "name": e.contact.display_name, "reason": e.reason} for e in gate.excluded
            ],
        )
        session.contacts.set([d.contact for d in dialable])
    disposition_defaults_ensure(franchise=franchise)

    try:
        launched = client.create_dial_session(
            contacts=[
                DialContact(
                    lead_id=str(d.contact.pk),
                    phone=phoneburner_number(d.phone),
                    first_name=d.contact.first_name or d.contact.organization_name,
                    last_name=d.contact.last_name,
                    email=d.contact.primary_email,
                    category_id=folder_id or None,
                    additional_phones=tuple(phoneburner_number(p) for p in d.other_phones),
                )
                for d in dialable
            ],
            callbacks={kind: callback_url(session, secret, kind) for kind in CALLBACK_TYPES},
            custom_data={"breesy_session": str(session.pk)},
            preview_mode=mode == DialSession.Mode.PREVIEW,
        )
        if not is_phoneburner_url(launched.redirect_url):
            raise PhoneBurnerError(
                "PhoneBurner sent a link to somewhere that is not PhoneBurner; the session was not opened.",
                reason="bad_answer",
            )
    except PhoneBurnerError as error:
        _fail(session, str(error))
        raise LaunchFailed(str(error), session) from None
    except Exception:
        _fail(session, "The launch stopped on an unexpected error.")
        raise
    session.status = DialSession.Status.LAUNCHED
    session.save(update_fields=["status", "updated_at"])
    return Launched(session=session, redirect_url=launched.redirect_url, gate=gate)


def dial_session_end(*, session: DialSession) -> bool:
    """End a session that is still open: the contacts it has not called are free to be dialled
    again at once (the gate holds them for 12 hours otherwise). Its callbacks still land: calls
    PhoneBurner reports later are kept. False when it had already ended or failed."""
    open_states = [DialSession.Status.PENDING, DialSession.Status.LAUNCHED]
    ended = DialSession.objects.filter(pk=session.pk, status__in=open_states).update(
        status=DialSession.Status.FINISHED, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return bool(ended)


def _fail(session: DialSession, reason: str) -> None:
    session.status = DialSession.Status.FAILED
    session.error = reason
    session.callback_secret_hash = ""  # the callback URLs die with the session
    session.save(update_fields=["status", "error", "callback_secret_hash", "updated_at"])


def callback_url(session: DialSession, secret: str, kind: str) -> str:
    path = reverse("dialer:callback", kwargs={"session_id": session.pk, "secret": secret, "kind": CALLBACK_PATHS[kind]})
    return f"{settings.SITE_URL}{path}"


def is_phoneburner_url(url: str) -> bool:
    """Whether `url` has the scheme and host (and port) of PHONEBURNER_BASE_URL: the only place we
    send a browser to after a launch (no open redirect)."""
    target, ours = urlsplit(url), urlsplit(settings.PHONEBURNER_BASE_URL)
    return (target.scheme, target.netloc.lower()) == (ours.scheme, ours.netloc.lower()) and not target.username


def phoneburner_number(e164: str) -> str:
    """PhoneBurner's own examples write North American numbers as ten digits; others stay E.164."""
    if e164.startswith("+1") and len(e164) == 12:
        return e164[2:]
    return e164
