"""Fixtures shared by every app's tests.

Tests that need a local service (PostgreSQL, Redis, a Celery worker) are marked
``services``: they are skipped when the service is missing on a developer's
machine, and fail instead when ``VALHALLA_REQUIRE_SERVICES=1`` (as in CI).
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

REDIS_URL = os.environ.get("VALHALLA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_service(name: str, reason: str) -> None:
    """Skip the test for a missing service, or fail when services are required."""
    if os.environ.get("VALHALLA_REQUIRE_SERVICES"):
        pytest.fail(f"{name} is required (VALHALLA_REQUIRE_SERVICES is set): {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not reachable(REDIS_URL):
        require_service("Redis", f"nothing listens at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def postgresql(settings) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "DATABASE_URL does not point at PostgreSQL")


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str = "ops", perms: Iterable[str] = (), **extra) -> User:
        user = User.objects.create_user(
            username=username, password="pw-not-used", **extra
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        return user

    return make


def _client_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def client_for(db) -> Callable[[User], APIClient]:
    """Make an API client authenticated by token as the given user."""
    return _client_for


@pytest.fixture
def api(make_user) -> APIClient:
    """A client authenticated by token as a superuser."""
    return _client_for(make_user("root", is_superuser=True, is_staff=True))


@pytest.fixture
def reader(make_user) -> APIClient:
    """A client authenticated by token, with no model permissions."""
    return _client_for(make_user("reader"))


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    """Tokens of one test's users must not authenticate in the next test."""
    from django.core.cache import cache

    from valhalla.authentication import clear_cache

    clear_cache()
    cache.clear()  # rate-limit counts
    yield
    clear_cache()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def database_url() -> str:
    """The URL of the database the tests run on, for processes they start."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{quote(db['USER'])}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_workers(redis_url, postgresql, transactional_db, tmp_path):
    """Start real ``celery worker`` processes on Redis and the test database.

    ``start(name)`` starts one and returns ``(process, log file)`` once it is
    ready; the test process publishes to the same broker while the fixture is
    active. Every worker still running is stopped at the end.
    """
    import redis

    from valhalla.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    url = database_url()
    started: list[subprocess.Popen] = []

    def start(name: str = "worker") -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A", "valhalla", "worker", "-n", f"{name}@%h",
                "--pool=threads", "--concurrency=4",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel=INFO",
            ],
            # Read at start, so variables a test sets before starting apply.
            env={
                **os.environ,
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": redis_url,
                "CELERY_RESULT_BACKEND": redis_url,
                "DJANGO_DEBUG": "false",
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(worker)
        if not wait_until(lambda: " ready." in log.read_text(), timeout=60):
            pytest.fail(f"worker {name} did not start:\n{log.read_text()}")
        return worker, log

    saved = {
        key: app.conf[key]
        for key in ("broker_url", "result_backend", "task_always_eager")
    }
    app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False
    )
    reset_celery_connections(app)
    try:
        yield start
    finally:
        app.conf.update(saved)
        reset_celery_connections(app)
        for worker in started:
            worker.terminate()
        for worker in started:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture
def celery_worker(celery_workers) -> Path:
    """One real worker, proven to consume; yields its log file."""
    from valhalla.celery import app

    _, log = celery_workers()
    try:
        app.send_task("valhalla.ping").get(timeout=60)
    except Exception:
        pytest.fail(f"the worker did not answer:\n{log.read_text()}")
    return log


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 30, every: float = 0.1
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def reset_celery_connections(app) -> None:
    # Celery builds its connection pool (and result backend) once, from the
    # broker URL of the moment; the next use must see the new configuration.
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
