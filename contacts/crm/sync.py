"""The CRM contact sync: page through a franchise's CRM contacts and land each one here once.

- **Which pages.** A full sync walks `sort=createdAt` (new records append at the end, so pages do
  not shift under it); an incremental one walks `sort=-updatedAt` and stops at the first record
  older than the last high-water mark less `OVERLAP`. Always `include=tags`, `limit=100`. Paging
  ends at a short or empty page; the CRM's total, when it sends one, is only shown as progress.
- **The high-water mark** of a run is the newest `updatedAt` the CRM held when the run began (one
  small probe first), not the newest one it read: a record edited while a full sync walks past it
  is then still newer than the mark, and the next incremental sync picks it up.
- **Exactly once.** Each page's contacts and the run's counters commit in one transaction, with
  the number of the page. A run that stops early (killed, its task's time up, the CRM down) keeps
  that committed state; the next attempt continues the same run from the first page not yet
  committed, so its final counts are those of an uninterrupted run.
- **One at a time.** A connection's sync holds `config.locks.process_lock` for its whole run: a
  second attempt is refused (`SyncBusy`) while the first lives, and takes over at once when the
  first's process has died (no lease to wait out).
- **Matching.** By CRM id, then by phone (E.164, primary or secondary), then by email; phone and
  email only match contacts not already linked to another CRM record. A phone that belongs to
  another contact stays there (one phone, one contact) and the record keeps its other phones.
- **Fields** map as `contacts.crm.mapping` says, which also states the conflict rule (a field
  edited here since the last sync wins; a CRM do-not-call always holds).
- **Skipped and reported:** test contacts (`isTestContact`), malformed records (no `id`, or an
  unreadable `updatedAt`), records with no name, phone or email. Never fatal. A 401 stops the run
  with "the CRM refused the key"; 429 and 5xx are retried by the client first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_q.tasks import async_task

from config.errors import DomainError
from config.locks import ProcessLock, process_lock
from contacts.crm.client import PAGE_LIMIT, ContactsPage, CrmClient, CrmContact, CrmError
from contacts.crm.connections import SYNC_INTERVAL, crm_client_for
from contacts.crm.mapping import FLAGS, SCALARS, contact_values, crm_values, merge
from contacts.models import Contact, ContactChange, ContactPhone, CrmConnection, CrmSyncRun
from contacts.services import NewContact, PhoneTaken, contact_create_many, contact_update, tags_resolve

# Records updated up to this long before the last high-water mark are read again: the CRM's
# updatedAt has whole seconds, and a record saved in the second the mark was taken must not be lost.
OVERLAP = timedelta(minutes=5)
# Skipped records and warnings kept on a run for people to read (the counts stay exact).
KEEP_REPORTED = 300
KEEP_EVENTS = 50
# How long a second attempt retries the lock: covers the moment between a holder's death and the
# database noticing its closed connection.
LOCK_WAIT_S = 2.0


class SyncBusy(DomainError):
    """Another sync of this connection is running now."""

    code = "crm_sync_running"


class _LockLost(Exception):
    """The run's lock ended under it (e.g. the database restarted): stop rather than run unguarded."""


def crm_sync_lock_name(connection: CrmConnection) -> str:
    return f"crm-sync:{connection.pk}"


def crm_sync(
    *,
    connection: CrmConnection,
    full: bool = False,
    trigger: str = "command",
    deadline: float | None = None,
) -> CrmSyncRun:
    """Sync the connection's contacts now; returns the run (finished, failed or, when `deadline`
    (a `time.monotonic()` value) passed, interrupted to be continued). Continues the connection's
    unfinished run if there is one. Raises SyncBusy when another sync of it is running."""
    with process_lock(crm_sync_lock_name(connection), wait=LOCK_WAIT_S) as lock:
        if lock is None:
            running = connection.runs.filter(status=CrmSyncRun.Status.RUNNING).first()
            since = f" (run #{running.pk}, started {running.started_at:%Y-%m-%d %H:%M} UTC)" if running else ""
            raise SyncBusy(f"a sync of this CRM connection is already running{since}")
        run = _run_begin(connection, full=full, trigger=trigger)
        try:
            with crm_client_for(connection) as client:
                _run_pages(run, connection, client, lock, deadline)
        except CrmError as exc:
            _run_stop(run, CrmSyncRun.Status.FAILED, str(exc))
        except _LockLost:
            _run_stop(run, CrmSyncRun.Status.INTERRUPTED, "its lock was lost (database connection dropped)")
        except BaseException as exc:
            # Whatever stopped it (a bug, Ctrl-C), the committed pages stand and the next attempt continues.
            _run_stop(run, CrmSyncRun.Status.FAILED, f"stopped by {exc.__class__.__name__}: {exc}")
            raise
        return run


def _event(run: CrmSyncRun, text: str) -> None:
    run.events = [*run.events, {"at": timezone.now().isoformat(), "text": text}][-KEEP_EVENTS:]


def _run_begin(connection: CrmConnection, *, full: bool, trigger: str) -> CrmSyncRun:
    """The run to work on: the connection's unfinished one, continued, or a new one. Called with the
    lock held, so a run still marked running has lost its process."""
    with transaction.atomic():
        run = connection.runs.filter(status__in=CrmSyncRun.UNFINISHED).order_by("-started_at", "-id").first()
        reason = None
        if run and run.started_at < connection.connected_at:
            reason = "the connection now points at another CRM or business"
        elif run and full and run.mode == CrmSyncRun.Mode.INCREMENTAL:
            reason = "a full sync was asked for"
        if run and reason:
            _event(run, f"abandoned: {reason}")
            run.status, run.finished_at = CrmSyncRun.Status.ABANDONED, timezone.now()
            run.save()
            run = None
        if run is not None:
            CrmConnection.objects.filter(pk=connection.pk).update(sync_requested_at=None)
            why = {
                CrmSyncRun.Status.RUNNING: "the process running it had stopped",
                CrmSyncRun.Status.INTERRUPTED: "it had been paused",
                CrmSyncRun.Status.FAILED: f"it had failed: {run.error}",
            }[run.status]
            _event(run, f"continued from page {run.page_reached + 1} ({why})")
            run.status, run.error, run.finished_at = CrmSyncRun.Status.RUNNING, "", None
            run.resumes += 1
            run.save()
            return run
        CrmConnection.objects.filter(pk=connection.pk).update(sync_requested_at=None)
        incremental = not full and connection.high_water_mark is not None
        return CrmSyncRun.objects.create(
            connection=connection,
            mode=CrmSyncRun.Mode.INCREMENTAL if incremental else CrmSyncRun.Mode.FULL,
            trigger=trigger,
            cutoff=connection.high_water_mark - OVERLAP if incremental else None,
        )


def _run_stop(run: CrmSyncRun, status: str, error: str) -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    _event(run, f"{status} after page {run.page_reached}: {error}")
    run.save(update_fields=["status", "error", "finished_at", "events"])


def _newest_update(client: CrmClient) -> datetime | None:
    """The newest `updatedAt` in the CRM now (a few records, in case the first is malformed)."""
    page = client.contacts_page(page=1, limit=10, sort="-updatedAt", include="")
    return max((c.updated_at for c in page.contacts), default=None)


def _run_pages(
    run: CrmSyncRun, connection: CrmConnection, client: CrmClient, lock: ProcessLock, deadline: float | None
) -> None:
    if run.page_reached == 0 and run.high_water_mark is None:
        run.high_water_mark = _newest_update(client)
        run.save(update_fields=["high_water_mark"])
    sort = "createdAt" if run.mode == CrmSyncRun.Mode.FULL else "-updatedAt"
    region = connection.franchise.phone_region
    page = run.page_reached + 1
    while True:
        result = client.contacts_page(page=page, limit=PAGE_LIMIT, sort=sort, include="tags")
        if not lock.held():
            raise _LockLost()
        past_cutoff = _page_commit(run, connection, result, region)
        if past_cutoff or result.is_last:
            break
        if deadline is not None and time.monotonic() >= deadline:
            _run_stop(run, CrmSyncRun.Status.INTERRUPTED, "paused: the task's time was up; the next attempt continues")
            return
        page += 1
    with transaction.atomic():
        run.status, run.finished_at = CrmSyncRun.Status.FINISHED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        # Refetched: the connection may have been edited while the run went on. Pointed at another
        # CRM meanwhile, it keeps no mark of this one (its next sync is a full one of the new CRM).
        fresh = CrmConnection.objects.select_for_update().get(pk=connection.pk)
        if fresh.connected_at > run.started_at:
            return
        if run.high_water_mark and (fresh.high_water_mark is None or run.high_water_mark > fresh.high_water_mark):
            fresh.high_water_mark = run.high_water_mark
        fresh.last_synced_at = run.finished_at
        fresh.save(update_fields=["high_water_mark", "last_synced_at", "updated_at"])


def _report(entries: list, crm_id: str | None, reason: str) -> list:
    return entries if len(entries) >= KEEP_REPORTED else [*entries, {"crm_id": crm_id, "reason": reason}]


def _page_commit(run: CrmSyncRun, connection: CrmConnection, result: ContactsPage, region: str) -> bool:
    """Land one page and record it on the run, all in one transaction. True when an incremental
    run has reached records older than its cutoff."""
    past_cutoff = False
    with transaction.atomic():
        for bad in result.malformed:
            run.skipped += 1
            run.skips = _report(run.skips, bad.crm_id, f"malformed: {bad.reason}")
        wanted = []
        for record in result.contacts:
            if run.cutoff is not None and record.updated_at < run.cutoff:
                past_cutoff = True
            elif record.is_test_contact:
                run.skipped += 1
                run.skips = _report(run.skips, record.id, "test contact (isTestContact)")
            else:
                wanted.append(record)
        page = _Page.load(connection.franchise, wanted, region, reason=f"CRM sync #{run.pk}")
        for record, values, notes in page.items:
            for note in notes:
                run.warnings = _report(run.warnings, record.id, note)
            page.land(record, values)
        page.flush()
        for crm_id, outcome, detail in page.outcomes:
            if outcome == "skipped":
                run.skipped += 1
                run.skips = _report(run.skips, crm_id, detail)
                continue
            setattr(run, outcome, getattr(run, outcome) + 1)
            for warning in page.warnings.pop(crm_id, []):
                run.warnings = _report(run.warnings, crm_id, warning)
        run.page_reached = result.page
        run.pages += 1
        run.total = result.total if result.total is not None else run.total
        run.progress_at = timezone.now()
        run.save()
    return past_cutoff


@dataclass
class _Pending:
    """A new contact waiting for the page's bulk insert."""

    record: CrmContact
    values: dict[str, Any]
    item: NewContact


@dataclass
class _Page:
    """One page's records and the rows they may land on, loaded in a few queries and kept current as
    records land (two records of one page may share a phone). New contacts are inserted together
    (`contact_create_many`), the others updated one by one through `contact_update`; each outcome
    is ("created" | "updated" | "unchanged", "") or ("skipped", reason), by CRM id."""

    franchise: Any
    reason: str  # kept with each change in the contacts' history
    items: list[tuple[CrmContact, dict[str, Any], list[str]]]
    by_crm_id: dict[str, Contact]
    contacts: dict[int, Contact]
    phone_owner: dict[str, int]
    linked: dict[int, str | None]
    by_email: dict[str, int]
    tags: dict[int, list[str]]
    tag_rows: dict[str, Any]
    warnings: dict[str, list[str]] = field(default_factory=dict)
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)

    @classmethod
    def load(cls, franchise, records: list[CrmContact], region: str, reason: str) -> _Page:
        items = [(r, *crm_values(r, region=region)) for r in records]
        phones = {p for _, values, _ in items for p in values["phones"]}
        emails = {values["primary_email"].lower() for _, values, _ in items if values["primary_email"]}
        owners = dict(
            ContactPhone.objects.filter(franchise=franchise, number__in=phones).values_list("number", "contact_id")
        )
        by_email: dict[str, int] = {}
        if emails:
            unlinked = (
                Contact.objects.filter(franchise=franchise, crm_id__isnull=True)
                .annotate(email_lower=Lower("primary_email"))
                .filter(email_lower__in=emails)
                .order_by("-id")
                .values_list("email_lower", "id")
            )
            by_email = dict(unlinked)  # lowest id last, so it wins
        crm_ids = [r.id for r, _, _ in items]
        found = Contact.objects.filter(franchise=franchise).filter(
            Q(crm_id__in=crm_ids) | Q(pk__in=[*owners.values(), *by_email.values()])
        )
        contacts = {c.pk: c for c in found}
        tags: dict[int, list[str]] = {pk: [] for pk in contacts}
        through = Contact.tags.through.objects.filter(contact_id__in=list(contacts)).values_list(
            "contact_id", "tag__name"
        )
        for contact_id, name in through:
            tags[contact_id].append(name)
        # Every tag the page names, resolved (and created) once rather than once per contact.
        names = {name for _, values, _ in items for name in values["tags"]}
        tag_rows = {tag.name.lower(): tag for tag in tags_resolve(franchise=franchise, names=sorted(names))}
        return cls(
            franchise=franchise,
            reason=reason,
            items=items,
            by_crm_id={c.crm_id: c for c in contacts.values() if c.crm_id},
            contacts=contacts,
            phone_owner=owners,
            linked={pk: c.crm_id for pk, c in contacts.items()},
            by_email=by_email,
            tags=tags,
            tag_rows=tag_rows,
        )

    def land(self, record: CrmContact, values: dict[str, Any]) -> None:
        """Update the record's contact here, or queue a new one for the page's bulk insert (`flush`);
        the outcome goes to `outcomes` once written."""
        if not any(values[f] for f in ("phones", "primary_email", "first_name", "last_name", "organization_name")):
            self.outcomes.append((record.id, "skipped", "no name, phone or email"))
            return
        waiting_phones = {n for p in self.pending for n in p.item.phones}
        if any(p.record.id == record.id for p in self.pending) or waiting_phones.intersection(values["phones"]):
            # This record meets one still waiting to be inserted (the same CRM id twice, or a shared
            # phone): insert those first, so it updates that contact or leaves the phone with it.
            self.flush()
        contact = self.by_crm_id.get(record.id) or self._match(values)
        if contact is None:
            self.pending.append(_Pending(record, values, self._new_contact(record, values)))
            return
        self.outcomes.append((record.id, *self._update_safely(record, values, contact)))

    def _match(self, values: dict[str, Any]) -> Contact | None:
        for number in values["phones"]:
            owner = self.phone_owner.get(number)
            if owner is not None and self.linked.get(owner) is None and owner in self.contacts:
                return self.contacts[owner]
        email = (values["primary_email"] or "").lower()
        owner = self.by_email.get(email) if email else None
        if owner is not None and self.linked.get(owner) is None:
            return self.contacts[owner]
        return None

    def _free_phones(self, record: CrmContact, phones: Iterable[str], contact: Contact | None) -> list[str]:
        """The phones this record may have: each phone stays with the contact that has it."""
        kept = []
        for number in phones:
            owner = self.phone_owner.get(number)
            if owner is None or (contact is not None and owner == contact.pk):
                kept.append(number)
            else:
                self._warn(record.id, f"phone {number} belongs to contact #{owner}; left there")
        return kept

    def _warn(self, crm_id: str, text: str) -> None:
        notes = self.warnings.setdefault(crm_id, [])
        if text not in notes:
            notes.append(text)

    def _new_contact(self, record: CrmContact, values: dict[str, Any]) -> NewContact:
        """The contact a record not yet here becomes, with the phones still free and its CRM link."""
        fields = {name: values[name] for name in SCALARS + FLAGS}
        person = fields["first_name"] or fields["last_name"]
        phones = self._free_phones(record, values["phones"], None)
        tags = self._tags(values["tags"])
        here = {**fields, "phones": phones, "alternate_emails": values["alternate_emails"]}
        here["tags"] = [t.name for t in tags]
        fields.update(
            is_business=bool(fields["organization_name"]) and not person,
            alternate_emails=values["alternate_emails"],
            crm_id=record.id,
            crm_updated_at=record.updated_at,
            crm_base={"crm": values, "here": here},
        )
        return NewContact(fields=fields, phones=phones, tags=tags)

    def flush(self) -> None:
        """Insert the waiting new contacts in one go. Should another writer have taken one of their
        phones meanwhile, insert them one by one instead, each keeping what it can."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            with transaction.atomic():
                created = contact_create_many(
                    franchise=self.franchise,
                    new=[p.item for p in pending],
                    source=ContactChange.Source.CRM,
                    reason=self.reason,
                )
        except PhoneTaken:
            for waiting in pending:
                self.outcomes.append((waiting.record.id, *self._create_safely(waiting.record, waiting.values)))
            return
        for waiting, contact in zip(pending, created, strict=True):
            self._known(contact, waiting.record.id, [t.name for t in waiting.item.tags])
            self.outcomes.append((waiting.record.id, "created", ""))

    def _twice(self, record: CrmContact, store: Callable[[int], tuple[str, str]]) -> tuple[str, str]:
        """`store(attempt)` writes one record and says how it went. A phone another writer took
        meanwhile stays with them: `store` gets a second try (the phones still free are looked up
        again), then the record is skipped with the reason; so is a record the database refuses."""
        for attempt in range(2):
            self.warnings.pop(record.id, None)
            try:
                return store(attempt)
            except PhoneTaken as taken:
                self.phone_owner[taken.number] = taken.contact_id
                if attempt == 1:
                    return "skipped", f"could not be stored: {taken}"
            except (DatabaseError, ValueError) as exc:
                return "skipped", f"could not be stored: {exc.__class__.__name__}: {exc}"
        raise AssertionError("unreachable")

    def _create_safely(self, record: CrmContact, values: dict[str, Any]) -> tuple[str, str]:
        """Insert one new contact on its own (after the page's bulk insert met a phone taken meanwhile)."""

        def store(attempt: int) -> tuple[str, str]:
            item = self._new_contact(record, values)
            with transaction.atomic():
                contact = contact_create_many(
                    franchise=self.franchise, new=[item], source=ContactChange.Source.CRM, reason=self.reason
                )[0]
            self._known(contact, record.id, [t.name for t in item.tags])
            return "created", ""

        return self._twice(record, store)

    def _update_safely(self, record: CrmContact, values: dict[str, Any], contact: Contact) -> tuple[str, str]:
        """Merge the record into its contact here (the conflict rule) and link them."""

        def store(attempt: int) -> tuple[str, str]:
            nonlocal contact
            if attempt:  # the first try's rolled-back writes may linger on the instance
                contact.refresh_from_db()
                self.tags[contact.pk] = list(contact.tags.values_list("name", flat=True))
            here = contact_values(contact, tag_names=self.tags.get(contact.pk, []))
            changes = merge(here=here, crm=values, base=contact.crm_base or None)
            if "phones" in changes:
                changes["phones"] = self._free_phones(record, changes["phones"], contact)
                if changes["phones"] == here["phones"]:
                    del changes["phones"]
            newly_linked = contact.crm_id != record.id
            base = {"crm": values, "here": here}
            if not changes and not newly_linked and contact.crm_updated_at == record.updated_at:
                if contact.crm_base != base:  # the CRM re-sent it: only the memory of what it sent moves
                    contact.crm_base = base
                    with transaction.atomic():
                        contact.save(update_fields=["crm_base"])
                self._known(contact, record.id, self.tags[contact.pk])
                return "unchanged", ""
            with transaction.atomic():
                if changes:
                    contact = self._write(contact, changes)
                base["here"] = contact_values(contact, tag_names=self.tags[contact.pk])
                contact.crm_id, contact.crm_updated_at, contact.crm_base = record.id, record.updated_at, base
                contact.save(update_fields=["crm_id", "crm_updated_at", "crm_base"])
            self._known(contact, record.id, self.tags[contact.pk])
            return ("updated" if changes or newly_linked else "unchanged"), ""

        return self._twice(record, store)

    def _write(self, contact: Contact, changes: dict[str, Any]) -> Contact:
        """Apply the changed fields through the contacts' update service (its history says "CRM sync")."""
        wanted = {name: value for name, value in changes.items() if name not in ("phones", "tags")}
        if "phones" in changes:
            phones = changes["phones"]
            wanted["primary_phone"], wanted["alternate_phones"] = (phones[0] if phones else None), phones[1:]
        if "tags" in changes:
            wanted["tags"] = changes["tags"]
        updated = contact_update(
            franchise=self.franchise,
            contact_id=contact.pk,
            changes=wanted,
            source=ContactChange.Source.CRM,
            reason=self.reason,
        )
        if "tags" in changes:
            self.tags[contact.pk] = list(updated.tags.values_list("name", flat=True))
        return updated

    def _tags(self, names: Iterable[str]) -> list:
        return list({self.tag_rows[n.lower()].pk: self.tag_rows[n.lower()] for n in names}.values())

    def _known(self, contact: Contact, crm_id: str, tag_names: list[str]) -> None:
        """What the page must know of a contact just written: its phones, link and tags."""
        self.contacts[contact.pk] = contact
        self.tags[contact.pk] = tag_names
        for number, owner in list(self.phone_owner.items()):
            if owner == contact.pk and number not in contact.phones:
                del self.phone_owner[number]
        for number in contact.phones:
            self.phone_owner[number] = contact.pk
        self.linked[contact.pk] = crm_id
        self.by_crm_id[crm_id] = contact


def crm_connections_due(*, now: datetime | None = None) -> list[int]:
    """Connections to sync now, claimed: those whose `next_sync_at` has come (moved one interval on,
    by a conditional update, so two dispatchers never both claim one), and those whose run was
    paused at its time limit (to be continued at once)."""
    now = now or timezone.now()
    claimed = []
    due = CrmConnection.objects.filter(next_sync_at__lte=now).values_list("pk", "next_sync_at")
    for pk, next_at in due:
        if CrmConnection.objects.filter(pk=pk, next_sync_at=next_at).update(next_sync_at=now + SYNC_INTERVAL):
            claimed.append(pk)
    paused = (
        CrmSyncRun.objects.filter(status=CrmSyncRun.Status.INTERRUPTED)
        .exclude(connection_id__in=claimed)
        .values_list("connection_id", flat=True)
        .distinct()
    )
    return claimed + list(paused)


def crm_sync_request(*, connection: CrmConnection, full: bool = False) -> None:
    """Queue a sync of the connection now (an owner's "Sync now"); the page shows it queued until
    it starts. Queued twice, it runs once (the lock); queued while one runs, it returns at once."""
    CrmConnection.objects.filter(pk=connection.pk).update(sync_requested_at=timezone.now())
    async_task("contacts.tasks.crm_sync_task", connection.pk, full, "page")
