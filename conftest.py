"""Fixtures shared by every app's tests.

Tests that need a local service (PostgreSQL, Redis, a Celery worker) are marked
``services``: they are skipped when the service is missing on a developer's
machine, and fail instead when ``VALHALLA_REQUIRE_SERVICES=1`` (as in CI).
"""

import os
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

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


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
