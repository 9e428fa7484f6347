"""Template helpers of the calls pages."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django import template
from django.utils.safestring import SafeString

from calls.search import highlight
from franchises.phones import normalize_phone_or_none

register = template.Library()


@register.filter
def marked(text: str | None, pattern: re.Pattern | None) -> SafeString:
    """`text` with what the search matched in <mark> (`pattern` from calls.search.highlighter)."""
    return highlight(text, pattern)


@register.filter
def phone(raw: str | None, region: str = "US") -> str:
    """A phone as people write it: "+13125550123" → "(312) 555-0123" in the franchise's country,
    "+44 20 7946 0018" elsewhere; what is not a phone stays as it was."""
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(number):
        return raw
    local = phonenumbers.region_code_for_number(number) == region.upper()
    style = phonenumbers.PhoneNumberFormat.NATIONAL if local else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


@register.filter
def tel(raw: str | None, region: str = "US") -> str:
    """The E.164 form for a tel: link; empty when it is not a phone."""
    return normalize_phone_or_none(raw, region) or ""


CURRENCIES = {"US": ("$", "USD"), "CA": ("$", "CAD"), "GB": ("£", "GBP"), "AU": ("$", "AUD")}


@register.filter
def money(value: str | None, region: str = "US") -> str:
    """An amount in the franchise's currency: "350000" → "$350,000 USD"; text that is not a plain
    amount stays as it was."""
    text = (value or "").strip()
    try:
        amount = Decimal(text.replace(",", "").lstrip("$£"))
    except InvalidOperation:
        return text
    symbol, code = CURRENCIES.get(region.upper(), ("", ""))
    figure = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{symbol}{figure} {code}".strip()
