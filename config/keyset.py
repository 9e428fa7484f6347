"""Encrypted, opaque keyset cursors shared by every paginated list (API and staff pages), the API's
page sizes, and the two-way pager of the staff lists.

A cursor carries the sort key of the last row of a page (an id, a timestamp), encrypted and
authenticated with a key derived from SECRET_KEY (AES-GCM, the list's kind bound in): a client can
neither read, forge nor edit one, and a cursor of one list is no cursor of another. A tampered cursor
is an error, never a query. Keys in SECRET_KEY_FALLBACKS still read the cursors they made.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db.models import QuerySet

# Page sizes of every API list (`page_size`); the limit is part of the spec's contract (1–200).
MAX_PAGE_SIZE = settings.API_MAX_PAGE_SIZE
DEFAULT_PAGE_SIZE = settings.API_DEFAULT_PAGE_SIZE


class BadCursor(ValueError):
    """The cursor is not one we issued for this list."""


NONCE_BYTES = 12


@lru_cache(maxsize=8)
def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"breesy-desk keyset cursor\0" + secret.encode()).digest())


def cursor_encode(kind: str, key: list[Any]) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(settings.SECRET_KEY).encrypt(nonce, json.dumps(key, separators=(",", ":")).encode(), kind.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def cursor_decode(kind: str, cursor: str) -> list[Any]:
    if len(cursor) > 500:
        raise BadCursor("Invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, UnicodeEncodeError):
        raise BadCursor("Invalid cursor") from None
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())):
        try:
            key = json.loads(_cipher(secret).decrypt(nonce, sealed, kind.encode()))
        except (InvalidTag, ValueError):
            continue
        if isinstance(key, list):
            return key
    raise BadCursor("Invalid cursor")


@dataclass(frozen=True)
class Page:
    """One page of a staff list and the cursors of the pages either side (None where there is none)."""

    rows: list
    newer: str | None = None
    older: str | None = None

    def links(self, query: dict[str, str]) -> tuple[str | None, str | None]:
        """The query strings of the newer and the older page, keeping the list's filters."""
        kept = {name: value for name, value in query.items() if value}
        newer = "?" + urlencode({**kept, "before": self.newer}) if self.newer else None
        older = "?" + urlencode({**kept, "after": self.older}) if self.older else None
        return newer, older


def two_way_page(
    qs: QuerySet,
    query: Mapping[str, str],
    *,
    size: int,
    rows_after: Callable[[QuerySet, str | None], QuerySet],
    rows_before: Callable[[QuerySet, str], QuerySet],
    cursor_of: Callable[[Any], str],
) -> Page:
    """The page of `qs` after the cursor in the query string's `after` (or before `before`, going
    back), for staff lists that page both ways. `rows_after(qs, cursor)` gives the rows after a cursor in list order;
    `rows_before(qs, cursor)` those before it, nearest first; `cursor_of(row)` a row's cursor."""
    after, before = query.get("after"), query.get("before")
    if before:
        rows = list(rows_before(qs, before)[: size + 1])
        more_newer, more_older = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        rows = list(rows_after(qs, after)[: size + 1])
        more_newer, more_older = bool(after), len(rows) > size
        rows = rows[:size]
    if not rows:
        return Page(rows)
    return Page(rows, cursor_of(rows[0]) if more_newer else None, cursor_of(rows[-1]) if more_older else None)
