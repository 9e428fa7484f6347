"""Which family a PhoneBurner disposition belongs to, per franchise.

A franchise's own `DispositionMapping` rows (editable in the admin) win; then PhoneBurner's stock
buttons below; then a reading of the label's words, so a custom button such as "Left voicemail #2"
still lands in the right family; then connected/other from whether it was a live answer.
"""

from __future__ import annotations

from dialer.models import DispositionMapping, Family
from franchises.models import Franchise

# PhoneBurner's stock buttons (and spellings its docs use), as the admin shows them by default.
STOCK: dict[str, str] = {
    "Do Not Call": Family.DO_NOT_CALL,
    "Bad Phone": Family.BAD_NUMBER,
    "Wrong Number": Family.BAD_NUMBER,
    "Fax": Family.BAD_NUMBER,
    "Left Message": Family.VOICEMAIL,
    "Voicemail": Family.VOICEMAIL,
    "No Answer": Family.NO_ANSWER,
    "Busy Phone": Family.BUSY,
    "Busy Signal": Family.BUSY,
    "Set Appointment": Family.APPOINTMENT,
    "Interested": Family.CONNECTED,
    "Not Interested": Family.CONNECTED,
    "Call Back": Family.CONNECTED,
    "Wrong Person": Family.CONNECTED,
}
_STOCK_LOWER = {label.lower(): family for label, family in STOCK.items()}

# Words that give a custom label away, checked in this order (do-not-call first: "do not call
# back" must not read as a call-back).
WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("do not call", "don't call", "dnc"), Family.DO_NOT_CALL),
    (("wrong number", "bad phone", "bad number", "disconnected", "not in service"), Family.BAD_NUMBER),
    (("appointment", "appt", "booked", "scheduled"), Family.APPOINTMENT),
    (("voicemail", "voice mail", "message"), Family.VOICEMAIL),
    (("no answer",), Family.NO_ANSWER),
    (("busy",), Family.BUSY),
)


def disposition_family(*, franchise: Franchise, disposition: str | None, connected: bool) -> str:
    """The family of `disposition` for this franchise."""
    label = (disposition or "").strip()
    if not label:
        return Family.CONNECTED if connected else Family.OTHER
    mapped = (
        DispositionMapping.objects.filter(franchise=franchise, disposition__iexact=label)
        .values_list("family", flat=True)
        .first()
    )
    if mapped:
        return mapped
    lowered = label.lower()
    if lowered in _STOCK_LOWER:
        return _STOCK_LOWER[lowered]
    for words, family in WORDS:
        if any(word in lowered for word in words):
            return family
    return Family.CONNECTED if connected else Family.OTHER


def disposition_defaults_ensure(*, franchise: Franchise) -> int:
    """Give the franchise a mapping row for each stock disposition it has none for, so the admin
    shows the defaults to edit. Returns how many rows were added."""
    have = {
        d.lower() for d in DispositionMapping.objects.filter(franchise=franchise).values_list("disposition", flat=True)
    }
    rows = [
        DispositionMapping(franchise=franchise, disposition=label, family=family)
        for label, family in STOCK.items()
        if label.lower() not in have
    ]
    DispositionMapping.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
