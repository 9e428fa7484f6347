"""A client generated from /data/openapi.json by a standard generator (openapi-python-client) works:
it pages calls, creates a contact and patches it with If-Match. The description is usable, not only
valid."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from tests.api_fixtures import issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def transport(keep_test_connection):
    return httpx.WSGITransport(app=get_wsgi_application())


@pytest.fixture
def breesy_client(transport, tmp_path):
    """The generated package, imported from a temporary folder."""
    spec = tmp_path / "openapi.json"
    with httpx.Client(transport=transport, base_url="http://testserver") as http:
        spec.write_bytes(http.get("/data/openapi.json").content)
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "openapi-python-client", "generate", "--path", spec, "--meta", "none"]
        + ["--output-path", tmp_path / "breesy_client"],
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("breesy_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == "breesy_client"]:
            del sys.modules[name]


def test_a_generated_client_pages_calls_and_creates_and_patches_contacts(
    breesy_client, transport, franchise_a, make_call
):
    from breesy_client.api.calls import calls_api_list_calls
    from breesy_client.api.contacts import (
        contacts_api_create_contact,
        contacts_api_list_contacts,
        contacts_api_update_contact,
    )
    from breesy_client.models import ContactCreateIn, ContactPatchIn, Error

    calls = {make_call(franchise_a).conversation_id for _ in range(3)}
    api = breesy_client.AuthenticatedClient(
        base_url="http://testserver",
        token=issue(franchise_a),
        httpx_args={"transport": transport},
    )

    first = calls_api_list_calls.sync(client=api, page_size=2)
    second = calls_api_list_calls.sync(client=api, page_size=2, cursor=first.pagination.next_cursor)
    assert first.pagination.has_more and not second.pagination.has_more
    assert {c.conversation_id for c in first.calls + second.calls} == calls

    created = contacts_api_create_contact.sync_detailed(
        client=api, body=ContactCreateIn(primary_phone="555-123-4567", first_name="Jordan", tags=["VIP"])
    )
    assert created.status_code == 201 and created.parsed.contact.primary_phone == "+15551234567"
    contact_id = created.parsed.contact.id

    read = contacts_api_list_contacts.sync_detailed(client=api, id=contact_id)
    etag = read.headers["ETag"]
    patched = contacts_api_update_contact.sync(
        client=api, body=ContactPatchIn(id=contact_id, tags=["VIP", "Roof"]), if_match=etag
    )
    stale = contacts_api_update_contact.sync(client=api, body=ContactPatchIn(id=contact_id, notes="x"), if_match=etag)

    assert sorted(patched.contact.tags) == ["Roof", "VIP"]
    assert isinstance(stale, Error) and stale.code == "precondition_failed"
