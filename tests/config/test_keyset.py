"""Keyset cursors are opaque: they reveal no id or timestamp, and anything but a cursor we issued
for that very list is refused."""

from __future__ import annotations

import base64
import binascii

import pytest
from django.test import override_settings

from config.keyset import BadCursor, cursor_decode, cursor_encode

KEY = ["2026-06-22T18:04:11+00:00", 123456789]


def readable(cursor: str) -> bytes:
    """Whatever base64 alone makes of the cursor (what a curious client would try)."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except binascii.Error:
        return b""


def test_a_cursor_reads_back_as_the_key_it_carries():
    assert cursor_decode("calls", cursor_encode("calls", KEY)) == KEY


def test_a_cursor_reveals_neither_the_id_nor_the_timestamp():
    cursor = cursor_encode("calls", KEY)

    for text in (cursor, readable(cursor).decode("latin-1")):
        assert "123456789" not in text and "2026" not in text
    assert cursor != cursor_encode("calls", KEY)  # the same key never gives the same cursor


def test_a_tampered_cursor_is_refused():
    cursor = cursor_encode("calls", KEY)
    for n in (0, len(cursor) // 2, len(cursor) - 2):  # (the last character may carry only padding bits)
        flipped = cursor[:n] + ("A" if cursor[n] != "A" else "B") + cursor[n + 1 :]
        with pytest.raises(BadCursor):
            cursor_decode("calls", flipped)


@pytest.mark.parametrize("cursor", ["", "x", "é", "a" * 501, "W10", base64.urlsafe_b64encode(b"[1]").decode()])
def test_anything_but_an_issued_cursor_is_refused(cursor):
    with pytest.raises(BadCursor):
        cursor_decode("calls", cursor)


def test_a_cursor_of_one_list_is_no_cursor_of_another():
    with pytest.raises(BadCursor):
        cursor_decode("contacts", cursor_encode("calls", [1]))


def test_a_cursor_made_before_a_key_rotation_still_reads():
    with override_settings(SECRET_KEY="old-" + "k" * 60):
        cursor = cursor_encode("calls", KEY)
    with override_settings(SECRET_KEY="new-" + "k" * 60, SECRET_KEY_FALLBACKS=["old-" + "k" * 60]):
        assert cursor_decode("calls", cursor) == KEY
    with override_settings(SECRET_KEY="new-" + "k" * 60), pytest.raises(BadCursor):
        cursor_decode("calls", cursor)
