"""Jobs on Redis: with REDIS_URL set, real `qcluster` processes take their tasks from the Redis broker,
and a scheduled job fires once even when two clusters (two worker hosts) are running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule, Task

from tests.live_cluster import enqueue, job_clusters, redis_namespace, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def namespace():
    with redis_namespace() as space:
        yield space


def test_a_task_put_on_the_redis_queue_is_run_by_a_cluster(namespace, tmp_path):
    with job_clusters(namespace.environment()) as start:
        start()
        assert wait_for(lambda: namespace.heartbeats() == 1, 30)

        enqueue(namespace.environment(), "tests.jobs_probe.note_work", str(tmp_path), "hello", 0)

        assert wait_for(lambda: Task.objects.filter(func="tests.jobs_probe.note_work", success=True).exists(), 30)
    assert (tmp_path / "hello.finished").exists()


def test_a_scheduled_job_fires_once_when_two_clusters_run(namespace, tmp_path):
    Schedule.objects.create(
        func="tests.jobs_probe.note_work",
        args=repr((str(tmp_path), "scheduled", 0)),
        schedule_type=Schedule.MINUTES,
        minutes=10,
        repeats=-1,
        next_run=timezone.now() - timedelta(seconds=1),
    )
    with job_clusters(namespace.environment()) as start:
        start()
        start()
        assert wait_for(lambda: namespace.heartbeats() == 2, 30)

        # Each cluster looks at the schedule about 30 s after it starts: wait for both to have looked.
        assert wait_for(lambda: Task.objects.filter(func="tests.jobs_probe.note_work").exists(), 45, every=0.5)
        wait_for(lambda: False, 5)

        runs = Task.objects.filter(func="tests.jobs_probe.note_work").count()
    assert runs == 1
    assert Schedule.objects.get(func="tests.jobs_probe.note_work").next_run > timezone.now()
