"""Phone normalisation: every phone we store or match on is E.164, read with the franchise's region.

A number is accepted when `phonenumbers` finds it *possible* (right length for its country). The
Data Share API's own examples use 555 numbers, which `is_valid_number` rejects. It lives with the
franchise because it depends only on the franchise's region, and both calls and contacts need it.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

from config.errors import BadFilter, DomainError


class InvalidPhone(DomainError, ValueError):
    """The text is not a possible phone number."""

    code = "invalid_phone"


def normalize_phone(raw: str | None, region: str = "US") -> str:
    """Return the E.164 form of `raw` (e.g. "(555) 123-4567" → "+15551234567"), or raise InvalidPhone."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise InvalidPhone(f"{raw!r} is not a phone number")
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone_or_none(raw: str | None, region: str = "US") -> str | None:
    """Like `normalize_phone`, but an empty or unreadable number is None (for data we only match on)."""
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        return None


def normalize_phones(raws: Iterable[str], region: str = "US") -> list[str]:
    """E.164 forms of `raws` in order, duplicates dropped; raises InvalidPhone on the first bad one."""
    return list(dict.fromkeys(normalize_phone(raw, region) for raw in raws))


def normalize_phone_filter(value: str | None, region: str = "US") -> str | None:
    """The E.164 form of a `phone` filter (None when empty); BadFilter when it is not a phone."""
    if not value:
        return None
    try:
        return normalize_phone(value, region)
    except InvalidPhone:
        raise BadFilter(f"phone is not a valid phone number: {value!r}") from None
