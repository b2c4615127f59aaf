import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery, shared_task
from django.conf import settings

from valhalla.tasks import enqueue, ping

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Settings --------------------------------------------------------------------


def test_production_refuses_the_default_secret_key():
    result = run_manage("check", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_persistent_connections_with_health_checks():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_openapi_schema_is_valid_without_warnings():
    result = run_manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null",
        DJANGO_DEBUG="true",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr


# --- Health, docs and schema ------------------------------------------------------


def test_healthz_answers_without_credentials(anonymous, db):
    response = anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/api/schema/", "/docs", "/redoc"])
def test_docs_need_credentials(anonymous, db, path):
    assert anonymous.get(path).status_code in (401, 403)


def test_schema_documents_the_timeline(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/events/",
        "/events/bulk",
        "/events/entity",
        "/events/recent",
        "/events/{id}",
    ):
        assert any(p.rstrip("/") == path.rstrip("/") for p in paths), path
    create = paths[next(p for p in paths if p.rstrip("/") == "/events")]["post"]
    assert {"201", "200", "400", "401", "403", "409", "413"} <= set(create["responses"])


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_need_no_other_host(api, path):
    response = api.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "https://" not in html
    assert "http://" not in html.replace("http://testserver", "")


def test_static_assets_are_served(api):
    response = api.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).strip()


# --- Celery wiring -------------------------------------------------------------------

ran: list[str] = []


@shared_task(name="valhalla.tests.remember")
def remember(value: str) -> None:
    ran.append(value)


def test_without_a_broker_tasks_run_in_process():
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert ping.delay().get(timeout=1) == "pong"


def test_enqueued_tasks_run_only_after_commit(db, django_capture_on_commit_callbacks):
    ran.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue(remember, "after-commit")
        assert ran == []

    assert len(callbacks) == 1
    assert ran == ["after-commit"]


def test_a_real_worker_consumes_from_redis(redis_url, tmp_path):
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DJANGO_DEBUG": "false",
    }
    queue = f"test-{secrets.token_hex(4)}"
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "valhalla",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        client = Celery(broker=redis_url, backend=redis_url)
        result = client.send_task("valhalla.ping", queue=queue)

        assert result.get(timeout=60) == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


# --- Rate limits --------------------------------------------------------------------


def test_writes_over_the_rate_get_429_with_retry_after(api, settings):
    settings.VALHALLA_WRITE_RATE = "3/minute"
    event = {"entity_type": "deal", "entity_id": "d1", "event_type": "created"}

    codes = [api.post("/events/", event, format="json").status_code for _ in range(4)]
    limited = api.post("/events/", event, format="json")

    assert codes == [201, 201, 201, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert "throttled" in limited.json()["detail"].lower()
    assert api.get("/events/recent").status_code == 200  # reads are not limited


def test_the_write_rate_is_per_user(api, reader, make_user, client_for, settings):
    settings.VALHALLA_WRITE_RATE = "1/minute"
    event = {"entity_type": "deal", "entity_id": "d1", "event_type": "created"}
    other = client_for(make_user("other", is_superuser=True))

    assert api.post("/events/", event, format="json").status_code == 201
    assert api.post("/events/", event, format="json").status_code == 429
    assert other.post("/events/", event, format="json").status_code == 201


def test_the_write_rate_can_be_off(api, settings):
    settings.VALHALLA_WRITE_RATE = "off"
    event = {"entity_type": "deal", "entity_id": "d1", "event_type": "created"}

    assert {
        api.post("/events/", event, format="json").status_code for _ in range(5)
    } == {201}
