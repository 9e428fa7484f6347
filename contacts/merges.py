"""Merging two duplicate contacts of a franchise, and undoing it for a day.

The survivor keeps its own values except where staff chose the duplicate's (per group of fields:
name, organization, phone, email, address, notes, referral); it gains every phone, email, tag and
location of the duplicate, the do-not-call (text, email) flags of either, and everything that
points at the duplicate (dial history, dial sessions; any later model with a foreign key to
Contact) moves over. Calls follow their phones. The duplicate stays as a row marked
`merged_into`, invisible to `Contact.objects`, keeping its history: its page redirects to the
survivor. `ContactMerge` keeps what both were and what moved, so the undo restores both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from config.errors import DomainError
from contacts.models import Contact, ContactChange, ContactMerge, ContactPhone
from contacts.services import ContactNotFound, PhoneTaken, contact_changes, contact_set_phones
from franchises.models import Franchise

# What staff pick per group: the survivor's values, or the duplicate's.
MERGE_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("first_name", "last_name"),
    "organization": ("organization_name", "is_business"),
    "phone": ("primary_phone",),
    "email": ("primary_email",),
    "address": tuple(f"addr_{part}" for part in Contact.ADDRESS_FIELDS),
    "notes": ("notes",),
    "referral": ("referred_by",),
}
# Taken from the duplicate only where the survivor has none.
FILL_BLANKS = ("timezone", "lifetime_value")
FLAGS = ("do_not_call", "do_not_text", "do_not_email")
COLUMNS = (
    *(name for group in MERGE_GROUPS.values() for name in group),
    *FILL_BLANKS,
    *FLAGS,
    "alternate_phones",
    "alternate_emails",
)
LISTS = ("tags", "primary_contact_tags", "locations")
# Relations the merge handles itself (phones, history) or must leave alone (the merge records).
NOT_MOVED = (ContactPhone, ContactChange, ContactMerge, Contact)
Source = ContactChange.Source


class MergeRefused(DomainError):
    """A merge or an undo the rules refuse; nothing changed."""

    code = "merge_refused"


def _values(contact: Contact) -> dict[str, Any]:
    values = {name: getattr(contact, name) for name in COLUMNS}
    values["lifetime_value"] = str(values["lifetime_value"]) if values["lifetime_value"] is not None else None
    return values


def _blank(value: Any) -> bool:
    return value in (None, "", [])


def _relations() -> Iterable[tuple[str, Any]]:
    """(key, relation) of everything else pointing at contacts: foreign keys and many-to-many links."""
    for rel in Contact._meta.related_objects:
        if rel.related_model in NOT_MOVED:
            continue
        yield f"{rel.related_model._meta.label}.{rel.field.name}", rel


def _move_pointers(merged: Contact, survivor: Contact) -> dict[str, list]:
    """Point every foreign key and link at `merged` to `survivor`; the ids of the rows moved."""
    moved: dict[str, list] = {}
    for key, rel in _relations():
        if rel.many_to_many:
            through = rel.through
            own, other = rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()
            already = through.objects.filter(**{own: survivor}).values(other)
            rows = through.objects.filter(**{own: merged}).exclude(**{f"{other}__in": already})
            ids = list(rows.values_list("pk", flat=True))
            through.objects.filter(pk__in=ids).update(**{own: survivor})
        else:
            manager = rel.related_model._base_manager
            ids = list(manager.filter(**{rel.field.name: merged}).values_list("pk", flat=True))
            manager.filter(pk__in=ids).update(**{rel.field.name: survivor})
        if ids:
            moved[key] = [str(pk) for pk in ids]
    return moved


def _move_pointers_back(moved: dict[str, list], survivor: Contact, merged: Contact) -> None:
    for key, rel in _relations():
        ids = moved.get(key)
        if not ids:
            continue
        if rel.many_to_many:
            own = rel.field.m2m_reverse_field_name()
            rel.through.objects.filter(pk__in=ids, **{own: survivor}).update(**{own: merged})
        else:
            rel.related_model._base_manager.filter(pk__in=ids, **{rel.field.name: survivor}).update(
                **{rel.field.name: merged}
            )


def _lock(franchise: Franchise, ids: Iterable[int], *, manager: models.Manager) -> dict[int, Contact]:
    # Both rows, in id order: two merges of the same pair never deadlock.
    return {c.pk: c for c in manager.select_for_update().filter(franchise=franchise, pk__in=list(ids)).order_by("pk")}


def contacts_merge(
    *,
    franchise: Franchise,
    survivor_id: int,
    merged_id: int,
    take: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
) -> ContactMerge:
    """Merge the franchise's contact `merged_id` into `survivor_id`, taking the duplicate's values
    for the groups of fields in `take` (keys of MERGE_GROUPS). Both contacts' histories say so.
    Raises ContactNotFound or MergeRefused."""
    take = set(take)
    if unknown := take - set(MERGE_GROUPS):
        raise MergeRefused(f"Unknown fields to take: {', '.join(sorted(unknown))}")
    if survivor_id == merged_id:
        raise MergeRefused("A contact cannot be merged into itself.")
    with transaction.atomic():
        locked = _lock(franchise, [survivor_id, merged_id], manager=Contact.objects)
        if len(locked) != 2:
            raise ContactNotFound()
        survivor, merged = locked[survivor_id], locked[merged_id]
        before = {"survivor": _values(survivor), "merged": _values(merged)}
        was = before["merged"]
        moved: dict[str, Any] = {}

        with contact_changes(
            merged, source=Source.STAFF, by=by, reason=f"Merged into {survivor.display_name} (#{survivor.pk})"
        ):
            contact_set_phones(contact=merged, primary=None, alternates=[])
            merged.merged_into = survivor
            if merged.crm_id:
                # The CRM id is unique per franchise and the sync cannot see a merged contact: the
                # survivor takes the CRM record over when it has none; the merged one lets it go.
                moved["crm"] = {
                    "crm_id": merged.crm_id,
                    "crm_base": merged.crm_base,
                    "to_survivor": not survivor.crm_id,
                }
                if not survivor.crm_id:
                    survivor.crm_id, survivor.crm_base = merged.crm_id, merged.crm_base
                merged.crm_id, merged.crm_base = None, {}
            merged.save()

        with contact_changes(
            survivor, source=Source.STAFF, by=by, reason=f"Merged {merged.display_name} (#{merged.pk}) into this"
        ):
            mine = before["survivor"]
            for group in take:
                for name in MERGE_GROUPS[group]:
                    if name != "primary_phone":
                        setattr(survivor, name, was[name])
            for name in FILL_BLANKS:
                if _blank(mine[name]) and not _blank(was[name]):
                    setattr(survivor, name, getattr(merged, name))
            for name in FLAGS:
                setattr(survivor, name, mine[name] or was[name])
            emails = [mine["primary_email"], was["primary_email"], *mine["alternate_emails"], *was["alternate_emails"]]
            survivor.alternate_emails = [
                e for e in dict.fromkeys(e for e in emails if e) if e.lower() != (survivor.primary_email or "").lower()
            ]
            survivor.save()
            now = _values(survivor)
            moved["columns"] = [name for name in COLUMNS if now[name] != mine[name]]
            phones = [mine["primary_phone"], was["primary_phone"], *mine["alternate_phones"], *was["alternate_phones"]]
            primary = was["primary_phone"] if "phone" in take and was["primary_phone"] else None
            primary = primary or mine["primary_phone"] or was["primary_phone"]
            contact_set_phones(contact=survivor, primary=primary, alternates=[p for p in phones if p])
            for kind in LISTS:
                related = getattr(survivor, kind)
                added = set(getattr(merged, kind).values_list("pk", flat=True)) - set(
                    related.values_list("pk", flat=True)
                )
                related.add(*added)
                moved[kind] = sorted(str(pk) for pk in added)
            moved["rows"] = _move_pointers(merged, survivor)

        return ContactMerge.objects.create(
            franchise=franchise, survivor=survivor, merged=merged, by=by, before=before, moved=moved
        )


def contact_merge_undo(*, franchise: Franchise, merge_id: int, by: AbstractBaseUser | None = None) -> ContactMerge:
    """Undo a merge of the last day: the duplicate comes back with its own values, phones, tags and
    dial history, and the survivor loses what the merge gave it. Raises MergeRefused when it is too
    late, already undone, either contact was merged again since, or a phone of the duplicate now
    belongs to a third contact."""
    with transaction.atomic():
        merge = ContactMerge.objects.select_for_update().filter(franchise=franchise, pk=merge_id).first()
        if merge is None:
            raise MergeRefused("No such merge.")
        if merge.undone_at is not None:
            raise MergeRefused("This merge was already undone.")
        if timezone.now() > merge.undo_until:
            raise MergeRefused("A merge can be undone for a day only; this one is older.")
        locked = _lock(franchise, [merge.survivor_id, merge.merged_id], manager=Contact.everything)
        survivor, merged = locked.get(merge.survivor_id), locked.get(merge.merged_id)
        if survivor is None or merged is None or survivor.merged_into_id or merged.merged_into_id != survivor.pk:
            raise MergeRefused("Undo the later merge of these contacts first.")
        mine, was, moved = merge.before["survivor"], merge.before["merged"], merge.moved
        their_phones = {p for p in [was["primary_phone"], *was["alternate_phones"]] if p}

        with contact_changes(
            survivor, source=Source.STAFF, by=by, reason=f"Undid the merge of {merged.display_name} (#{merged.pk})"
        ):
            for name in moved.get("columns", []):
                if name not in ("alternate_phones", "primary_phone"):
                    setattr(survivor, name, mine[name])
            crm = moved.get("crm")
            if crm and crm["to_survivor"]:
                survivor.crm_id, survivor.crm_base = None, {}
            survivor.save()
            primary = survivor.primary_phone if survivor.primary_phone not in their_phones else mine["primary_phone"]
            keep = [p for p in [*survivor.alternate_phones, *mine["alternate_phones"]] if p not in their_phones]
            if mine["primary_phone"] and mine["primary_phone"] != primary:
                keep.append(mine["primary_phone"])
            contact_set_phones(contact=survivor, primary=primary, alternates=keep)
            for kind in LISTS:
                getattr(survivor, kind).remove(*moved.get(kind, []))
            _move_pointers_back(moved.get("rows", {}), survivor, merged)

        with contact_changes(merged, source=Source.STAFF, by=by, reason="Merge undone"):
            merged.merged_into = None
            if crm:
                if Contact.everything.filter(franchise=franchise, crm_id=crm["crm_id"]).exists():
                    raise MergeRefused(f"CRM record {crm['crm_id']} now belongs to another contact.")
                merged.crm_id, merged.crm_base = crm["crm_id"], crm["crm_base"]
            merged.save()
            try:
                contact_set_phones(contact=merged, primary=was["primary_phone"], alternates=was["alternate_phones"])
            except PhoneTaken as exc:
                raise MergeRefused(
                    f"{exc.number} now belongs to contact #{exc.contact_id}; move it back first."
                ) from None

        merge.undone_at, merge.undone_by = timezone.now(), by
        merge.save(update_fields=["undone_at", "undone_by"])
        return merge
