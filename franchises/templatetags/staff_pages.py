"""Small template helpers for the staff pages."""

from __future__ import annotations

from django import template

from franchises.access import franchises_for_user
from franchises.text import in_words

register = template.Library()


@register.simple_tag
def switchable_franchises(user) -> list:
    """Franchises the signed-in user may switch to (the switcher shows when there are two or more)."""
    return franchises_for_user(user) if user.is_authenticated else []


@register.filter
def clock(seconds: int | float | None) -> str:
    """Seconds as m:ss (or h:mm:ss), the way a player shows them."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def humanize_slug(value: str | None) -> str:
    """`new_urgent_service_request` → `New urgent service request`."""
    return in_words(value)
