"""OpenAPI helpers: documented error responses shared by every endpoint."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR = inline_serializer(name="Error", fields={"detail": serializers.CharField()})
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid field (or `detail`) with what is wrong with it.",
    "additionalProperties": {},
}

_DESCRIPTIONS = {
    400: "Invalid input: the body names each field and what is wrong with it.",
    401: "No or invalid credentials.",
    403: "Authenticated, but without the permission this operation needs.",
    404: "No such object.",
    409: "Conflicts with what is stored (reused idempotency key, illegal transition).",
    413: "Request body larger than the configured limit.",
    415: "The body is not JSON (send Content-Type: application/json).",
    429: "Too many writes for this user; retry after Retry-After seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Responses for ``extend_schema(responses=...)``; 400's body varies by field."""
    return {
        code: OpenApiResponse(
            response=VALIDATION_ERROR if code == 400 else ERROR,
            description=_DESCRIPTIONS[code],
        )
        for code in codes
    }


def add_common_errors(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: document the errors any operation of its kind can give.

    Every operation can answer 401; one with parameters or a body, 400; one with
    a path parameter, 404; every write 403, 413, 415 and 429. Responses an
    operation documents itself are kept.
    """
    error_ref = {"$ref": "#/components/schemas/Error"}
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
    )
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            codes = {401}
            if parameters or "requestBody" in operation:
                codes.add(400)
            if any(p.get("in") == "path" for p in parameters):
                codes.add(404)
            if method in {"post", "put", "patch", "delete"}:
                codes |= {403, 413, 415, 429}
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                schema = VALIDATION_ERROR if code == 400 else error_ref
                responses.setdefault(
                    str(code),
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": schema}},
                    },
                )
    return result
