"""Signed, opaque keyset cursors shared by every paginated list (API and staff pages).

A cursor carries the sort key of the last row of a page. It is signed with SECRET_KEY (salted per
list), so a client can neither forge nor edit one: a tampered cursor is an error, never a query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

# Page sizes of every API list (`page_size`); the limit is part of the spec's contract (1–200).
MAX_PAGE_SIZE = settings.API_MAX_PAGE_SIZE
DEFAULT_PAGE_SIZE = settings.API_DEFAULT_PAGE_SIZE


class BadCursor(ValueError):
    """The cursor is not one we issued for this list."""


def cursor_encode(kind: str, key: list[Any]) -> str:
    return signing.dumps(key, salt=f"breesy.cursor.{kind}", compress=True)


def cursor_decode(kind: str, cursor: str) -> list[Any]:
    if len(cursor) > 500:
        raise BadCursor("Invalid cursor")
    try:
        key = signing.loads(cursor, salt=f"breesy.cursor.{kind}")
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise BadCursor("Invalid cursor") from None
    if not isinstance(key, list):
        raise BadCursor("Invalid cursor")
    return key
