"""Fixtures for the CRM sync tests: a fake CRM on 127.0.0.1 and franchise A connected to it."""

from __future__ import annotations

import pytest

from contacts.crm.connections import crm_connection_save
from contacts.crm.fake import FakeCrm, FakeCrmServer


@pytest.fixture
def crm_allowed(settings):
    """The fake listens on 127.0.0.1: let the outbound guard reach it, as local development does."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def fake_crm() -> FakeCrm:
    return FakeCrm.create(contacts=250, seed=21)


@pytest.fixture
def crm_server(fake_crm, crm_allowed):
    with FakeCrmServer(fake_crm) as server:
        yield server


@pytest.fixture
def crm_connection(franchise_a, crm_server, fake_crm):
    return crm_connection_save(
        franchise=franchise_a,
        base_url=crm_server.base_url,
        business_id=fake_crm.business_id,
        api_key=fake_crm.api_key,
    )
