"""PostgreSQL restarted under load: 503 during the outage, recovery by itself,
and every write reported successful is still there afterwards.

The test runs its own throw-away PostgreSQL cluster (initdb, on a free port),
so stopping it cannot disturb the suite's own database.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
import requests

from conftest import require_service, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, base: Path) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found or shutil.which("runuser") is None or os.geteuid() != 0:
            require_service(
                "PostgreSQL binaries", "initdb and runuser as root are needed"
            )
        self.bin = found[-1].parent
        self.base = base
        self.data = base / "data"
        self.port = _free_port()
        base.mkdir(parents=True, exist_ok=True)
        shutil.chown(base, "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-w", "-l", str(self.base / "log"),
            "-o", f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture
def cluster():
    # Not under pytest's tmp_path: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="valhalla-pg-"))
    cluster = Cluster(base)
    cluster.start()
    yield cluster
    try:
        cluster.stop("immediate")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_database_restart_answers_503_then_recovers_losing_nothing(cluster, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": cluster.url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_HTTPS": "false",
        "DJANGO_LOG_LEVEL": "ERROR",
        "VALHALLA_WRITE_RATE": "off",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*manage, "shell", "-c",
         "from django.contrib.auth.models import User;"
         "from rest_framework.authtoken.models import Token;"
         "u = User.objects.create_superuser('ops', 'ops@example.com', None);"
         "print(Token.objects.create(user=u).key)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "valhalla.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    statuses: Counter = Counter()
    created: list[int] = []
    during_outage: Counter = Counter()
    outage = threading.Event()
    stop = threading.Event()

    def load() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        n = 0
        while not stop.is_set():
            n += 1
            body = {
                "entity_type": "deal",
                "entity_id": "outage",
                "event_type": "tick",
                "payload": {"n": n},
            }
            response = session.post(f"{base}/events/", json=body, timeout=15)
            statuses[response.status_code] += 1
            if outage.is_set():
                during_outage[response.status_code] += 1
            if response.status_code == 201:
                created.append(response.json()["id"])
            time.sleep(0.01)

    try:
        assert wait_until(lambda: _healthy(base), timeout=30), log.read_text()
        worker = threading.Thread(target=load)
        worker.start()
        time.sleep(2)
        cluster.stop("immediate")  # a crash, not a polite shutdown
        outage.set()
        time.sleep(2)
        outage.clear()
        cluster.start()
        assert wait_until(lambda: _healthy(base), timeout=30)
        before = statuses[201]
        time.sleep(2)
        stop.set()
        worker.join(timeout=30)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)

    assert set(statuses) <= {201, 503}, statuses
    assert during_outage[503] > 0, during_outage
    assert statuses[201] > before  # recovered by itself
    with psycopg2.connect(cluster.url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM event_logs WHERE entity_id = 'outage'")
        stored = {row[0] for row in cursor.fetchall()}
    assert set(created) <= stored
    assert len(created) > 50


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
