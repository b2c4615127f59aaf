"""Property-based fuzzing of every operation in our own OpenAPI schema.

Schemathesis generates requests from ``/api/schema/`` (valid and invalid),
sends them, authenticated, to the WSGI app in-process, and checks every
response: no 5xx, the status code documented, the body matching its schema.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from valhalla.wsgi import application

MAX_EXAMPLES = 50
# Values that match the schema but name nothing stored (an opaque cursor, an
# unknown template key) are rightly refused with 400 or 404.
NOT_APPLICABLE = [positive_data_acceptance]


@pytest.fixture
def token(make_user) -> str:
    from rest_framework.authtoken.models import Token

    user = make_user("fuzzer", is_superuser=True, is_staff=True)
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(token):
    # As Django's test client does: the WSGI handler must not close the test's
    # connection (and its transaction) between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json",
            application,
            headers={"Authorization": f"Token {token}"},
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation(api_schema, token):
    headers = {"Authorization": f"Token {token}"}
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=NOT_APPLICABLE)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
