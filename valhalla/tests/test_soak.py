"""A bounded soak: mixed reads and writes from several clients against gunicorn +
PostgreSQL + a Celery worker on Redis. Nothing 5xx, nothing lost, queues drain."""

import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from conftest import database_url, wait_until
from notifications import services as notifications
from notifications.models import NotificationLog
from scenarios import services as scenarios
from scenarios.models import ScenarioRun
from scenarios.tests.conftest import SEED_INPUT
from timeline.models import EventLog

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("VALHALLA_SOAK_SECONDS", 20))
CLIENTS = 4


@pytest.fixture
def gunicorn(celery_worker, redis_url, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_HTTPS": "false",
        "VALHALLA_WRITE_RATE": "off",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "valhalla.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    ready = wait_until(lambda: _answers(url + "/healthz"), timeout=30)
    assert ready, log.read_text()
    yield url
    server.terminate()
    server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_mixed_load_loses_nothing(gunicorn, make_user):
    from rest_framework.authtoken.models import Token

    user = make_user("soak", is_superuser=True)
    token = Token.objects.create(user=user).key
    notifications.create_channel(key="push", name="Push")
    notifications.create_template(key="ping", channel_key="push", body="Hi {{ name }}")
    brrrr = scenarios.create_scenario(key="brrrr_scale_doors", name="BRRRR")

    def client(index: int) -> dict:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        statuses: Counter = Counter()
        written = {"events": [], "sends": [], "runs": []}
        deadline = time.monotonic() + SECONDS
        n = 0
        while time.monotonic() < deadline:
            n += 1
            kind = n % 5
            if kind == 0:
                r = session.post(
                    f"{gunicorn}/events/",
                    json={
                        "entity_type": "soak",
                        "entity_id": f"c{index}",
                        "event_type": "tick",
                        "payload": {"n": n},
                    },
                    timeout=30,
                )
                key = "events"
            elif kind == 1:
                r = session.post(
                    f"{gunicorn}/notifications/send",
                    json={
                        "template_key": "ping",
                        "recipient": f"user:{index}",
                        "context": {"name": n},
                    },
                    timeout=30,
                )
                key = "sends"
            elif kind == 2:
                r = session.post(
                    f"{gunicorn}/scenarios/runs",
                    json={
                        "scenario_id": brrrr.pk,
                        "input_payload": {**SEED_INPUT, "doors": 1 + n % 50},
                    },
                    timeout=30,
                )
                key = "runs"
            elif kind == 3:
                r = session.get(f"{gunicorn}/events/recent?limit=20", timeout=30)
                key = None
            else:
                r = session.get(
                    f"{gunicorn}/notifications/logs/by-recipient?recipient=user:{index}",
                    timeout=30,
                )
                key = None
            statuses[r.status_code] += 1
            if key and r.status_code in (200, 201):
                written[key].append(r.json()["id"])
        return {"statuses": statuses, **written}

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    statuses = sum((r["statuses"] for r in results), Counter())
    assert not [code for code in statuses if code >= 500], statuses
    assert set(statuses) <= {200, 201}, statuses
    events = [pk for r in results for pk in r["events"]]
    sends = [pk for r in results for pk in r["sends"]]
    runs = [pk for r in results for pk in r["runs"]]
    assert min(len(events), len(sends), len(runs)) > 10
    assert EventLog.objects.filter(pk__in=events).count() == len(events)
    assert NotificationLog.objects.filter(pk__in=sends).count() == len(sends)
    assert ScenarioRun.objects.filter(pk__in=runs).count() == len(runs)
    drained = wait_until(
        lambda: (
            not NotificationLog.objects.filter(pk__in=sends, status="queued").exists()
            and not ScenarioRun.objects.filter(
                pk__in=runs, status__in=["pending", "running"]
            ).exists()
        ),
        timeout=120,
    )
    assert drained
    assert set(
        NotificationLog.objects.filter(pk__in=sends).values_list("status", flat=True)
    ) == {"sent"}
    assert set(
        ScenarioRun.objects.filter(pk__in=runs).values_list("status", flat=True)
    ) == {"completed"}
