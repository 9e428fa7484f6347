"""The CRM sync's schedule: every 15 minutes per connection, the first one interval after connecting."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contacts.crm.sync import crm_connections_due, crm_sync
from contacts.models import CrmConnection, CrmSyncRun
from contacts.schedules import SCHEDULES
from contacts.tasks import crm_sync_task, crm_syncs_due


def test_a_new_connection_is_first_due_one_interval_after_it_is_made(crm_connection):
    made = crm_connection.connected_at
    assert crm_connections_due(now=made + timedelta(minutes=14, seconds=59)) == []
    assert crm_connections_due(now=made + timedelta(minutes=15)) == [crm_connection.pk]


def test_a_due_connection_is_claimed_once_and_due_again_an_interval_later(crm_connection):
    at = crm_connection.connected_at + timedelta(minutes=15)
    assert crm_connections_due(now=at) == [crm_connection.pk]
    assert crm_connections_due(now=at) == []  # a second dispatcher at the same moment gets nothing
    assert crm_connections_due(now=at + timedelta(minutes=15)) == [crm_connection.pk]


def test_the_dispatcher_runs_due_syncs(crm_connection, fake_crm):
    CrmConnection.objects.update(next_sync_at=timezone.now() - timedelta(seconds=1))
    assert crm_syncs_due() == 1  # the test cluster runs the queued task inline
    run = CrmSyncRun.objects.get()
    assert (run.trigger, run.status) == ("schedule", "finished")


def test_a_paused_run_is_continued_at_the_next_dispatch(crm_connection, fake_crm):
    paused = crm_sync(connection=crm_connection, deadline=0)
    assert paused.status == "interrupted"
    assert crm_connections_due() == [crm_connection.pk]
    crm_syncs_due()
    paused.refresh_from_db()
    assert paused.status == "finished"


def test_the_task_of_a_deleted_connection_does_nothing(db):
    assert crm_sync_task(12345) == "CRM connection 12345 no longer exists"


def test_the_dispatcher_is_declared_every_minute():
    assert {"name": "contacts.crm_syncs_due", "func": "contacts.tasks.crm_syncs_due", "minutes": 1} in SCHEDULES
