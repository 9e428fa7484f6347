"""The job cluster's settings and the admin's view of failed tasks (django-q2 on the ORM broker)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, Success

from calls.recording_fetch import ATTEMPT_SECONDS
from contacts.tasks import _time_budget


def upstream_call(name: str) -> str:
    return f"done: {name}"


def test_a_task_is_never_handed_to_a_second_worker_while_it_may_still_run():
    cluster = settings.Q_CLUSTER
    assert cluster["retry"] > cluster["timeout"]
    # The long tasks stop on their own well before the cluster's timeout kills them.
    assert _time_budget() < cluster["timeout"]
    assert cluster["timeout"] > ATTEMPT_SECONDS


def test_a_failed_task_is_listed_in_the_admin_and_resubmitted_from_there(admin_client):
    # As a cluster records a task that raised (tests run tasks inline, where a failure raises instead).
    now = timezone.now()
    failure = Failure.objects.create(
        id=uuid.uuid4().hex, name="quiet-lemon", func="tests.config.test_jobs.upstream_call", args=("x",),
        kwargs={}, started=now, stopped=now, success=False, result="the upstream is down : Traceback ...",
    )  # fmt: skip
    listing = admin_client.get(reverse("admin:django_q_failure_changelist")).content.decode()
    assert "tests.config.test_jobs.upstream_call" in listing and "the upstream is down" in listing

    # The upstream is back: an operator resubmits the task, which runs again with its arguments.
    admin_client.post(
        reverse("admin:django_q_failure_changelist"),
        {"action": "resubmit_task", "_selected_action": [failure.pk]},
    )
    assert not Failure.objects.filter(func="tests.config.test_jobs.upstream_call").exists()
    assert Success.objects.get(func="tests.config.test_jobs.upstream_call").result == "done: x"
