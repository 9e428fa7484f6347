"""Stored values as people say them."""

from __future__ import annotations


def in_words(value: str | None) -> str:
    """`new_urgent_service_request` (or `INITIAL_SERVICE_REQUEST`) → `New urgent service request`."""
    if not value:
        return ""
    text = value.replace("_", " ").replace("-", " ").strip()
    if text.isupper():
        text = text.lower()
    return text[:1].upper() + text[1:]
