"""GET /healthz: 200 when the database, Redis, storage and the job cluster answer, else 503 naming
which part failed. (A real cluster's heartbeat: tests/config/test_jobs_redis.py and test_run_stop.py.)"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.live_gunicorn import free_port
from tests.s3 import s3_storage_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster_alive(monkeypatch):
    """As if a job cluster had saved its heartbeat a moment ago."""
    monkeypatch.setattr("django_q.status.Stat.get_all", staticmethod(lambda broker=None: ["a cluster"]))


def healthz(**extra):
    return Client(**extra).get("/healthz")


def test_all_parts_answering_is_a_200(cluster_alive, settings):
    settings.REDIS_URL = ""
    response = healthz()

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured", "storage": "ok", "jobs": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_no_job_cluster_heartbeat_is_a_503_naming_the_jobs():
    response = healthz()

    assert response.status_code == 503
    assert response.json()["checks"]["jobs"] == "failed: LookupError"
    assert response.json()["checks"]["database"] == "ok"


def test_an_unreachable_object_store_is_a_503_naming_storage(cluster_alive, settings, s3_server, s3_bucket):
    storage = s3_storage_settings(s3_server, s3_bucket)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    assert healthz().status_code == 200

    storage["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    response = healthz()

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "failed: StoreUnavailable"
    assert "127.0.0.1" not in response.content.decode()


def test_an_unreachable_redis_is_a_503_without_its_address(cluster_alive, settings):
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{free_port()}/9"

    response = healthz()

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failed: ConnectionError"
    assert "hunter2" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


@override_settings(ALLOWED_HOSTS=["desk.example.com"], SECURE_SSL_REDIRECT=True)
def test_a_load_balancer_probing_by_address_over_http_gets_the_answer(cluster_alive):
    response = Client(HTTP_HOST="127.0.0.1:8000").get("/healthz")

    assert response.status_code == 200


def test_other_methods_and_paths_are_not_the_health_check():
    assert Client().post("/healthz").status_code != 200
    assert Client().get("/healthz/more").status_code == 404
