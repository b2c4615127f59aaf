"""Every operation in the OpenAPI schema: credentials, permissions and bad input."""

import pytest

WRITE_METHODS = {"post", "put", "patch", "delete"}
# Writes that change nothing stored, open to any authenticated user.
NO_PERMISSION_NEEDED = {("post", "/notifications/templates/{id_or_key}/preview/")}
CREATE_ENDPOINTS = [
    ("/events/", {"entity_type": "deal", "entity_id": "d1", "event_type": "created"}),
    ("/notifications/send", {"template_key": "t", "recipient": "a@example.com"}),
    ("/scenarios/runs", {"scenario_id": 1, "input_payload": {}}),
]


def operations(api) -> list[tuple[str, str]]:
    schema = api.get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in {"get", *WRITE_METHODS}:
                found.append((method, path))
    return found


def concrete(path: str) -> str:
    return (
        path.replace("{id}", "1")
        .replace("{id_or_key}", "1")
        .replace("{key}", "k")
        .replace("{scenario_id}", "1")
    )


def test_the_schema_lists_every_app(api):
    paths = {path for _, path in operations(api)}

    assert {"/events/", "/notifications/send/", "/scenarios/runs/"} <= paths
    assert len(operations(api)) >= 30


def test_no_operation_answers_without_credentials(api, anonymous):
    for method, path in operations(api):
        response = getattr(anonymous, method)(concrete(path), {}, format="json")
        assert response.status_code == 401, (method, path, response.status_code)


def test_every_write_needs_a_model_permission(api, reader):
    for method, path in operations(api):
        if method not in WRITE_METHODS:
            continue
        response = getattr(reader, method)(concrete(path), {}, format="json")
        if (method, path) in NO_PERMISSION_NEEDED:
            assert response.status_code != 403, (method, path)
        else:
            assert response.status_code == 403, (method, path, response.status_code)


BAD_BODIES = {
    "malformed JSON": (b'{"a": ', "application/json", 400),
    "invalid UTF-8": (b'{"a": "\xff\xfe"}', "application/json", 400),
    "lone surrogate": (b'{"a": "\\ud800"}', "application/json", 400),
    "number out of range": (b'{"a": 1e400}', "application/json", 400),
    "deeply nested": (
        b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        "application/json",
        400,
    ),
    "not JSON": (b"a=1", "application/x-www-form-urlencoded", 415),
    "a list for an object": (b"[1, 2]", "application/json", 400),
}


@pytest.mark.parametrize(("path", "body"), CREATE_ENDPOINTS)
@pytest.mark.parametrize("case", BAD_BODIES)
def test_bad_bodies_are_a_clear_4xx(api, path, body, case):
    raw, content_type, status = BAD_BODIES[case]

    response = api.generic("POST", path, raw, content_type=content_type)

    assert response.status_code == status, response.content
    assert response.json()  # a JSON error body naming the problem


@pytest.mark.parametrize(("path", "body"), CREATE_ENDPOINTS)
def test_a_body_over_the_limit_is_a_413(api, settings, path, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = api.post(path, {**body, "padding": "x" * 4096}, format="json")

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/events/",
            {"entity_type": "deal", "entity_id": "x" * 100_000, "event_type": "c"},
            "entity_id",
        ),
        (
            "/events/",
            {"entity_type": "deal", "entity_id": "d\x00", "event_type": "c"},
            "entity_id",
        ),
        (
            "/notifications/send",
            {"template_key": "t", "recipient": "a\x00"},
            "recipient",
        ),
        (
            "/notifications/send",
            {"template_key": "t" * 10_000, "recipient": "a"},
            "template_key",
        ),
        ("/scenarios/runs", {"scenario_id": 2**70, "input_payload": {}}, "scenario_id"),
    ],
)
def test_hostile_values_are_a_400_naming_the_field(api, path, body, field):
    response = api.post(path, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
