"""The calls admin's search finds a caller by a phone fragment written any way, in its own franchise."""

from __future__ import annotations

import pytest

from franchises.roles import staff_groups_sync


@pytest.mark.parametrize("q", ["555-1023", "(312) 555-1023", "555 1023", "3125551023"])
def test_the_admin_finds_a_call_by_a_partial_phone(client, alice, franchise_a, franchise_b, make_call, q):
    staff_groups_sync(alice)
    client.force_login(alice)
    make_call(franchise_a, conversation_id="CAmine", caller_id="(312) 555-1023")
    make_call(franchise_a, conversation_id="CAnot", caller_id="(312) 555-9999")
    make_call(franchise_b, conversation_id="CAtheirs", caller_id="(312) 555-1023")
    page = client.get("/admin/calls/call/", {"q": q}).content.decode()
    assert "CAmine" in page
    assert "CAnot" not in page and "CAtheirs" not in page
