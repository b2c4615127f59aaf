"""OpenAPI helpers: documented error responses shared by every endpoint."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR = inline_serializer(name="Error", fields={"detail": serializers.CharField()})

_DESCRIPTIONS = {
    400: "Invalid input: the body names each field and what is wrong with it.",
    401: "No or invalid credentials.",
    403: "Authenticated, but without the permission this operation needs.",
    404: "No such object.",
    409: "Conflicts with what is stored (reused idempotency key, illegal transition).",
    413: "Request body larger than the configured limit.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Responses for ``extend_schema(responses=...)``; 400's body varies by field."""
    return {
        code: OpenApiResponse(
            response=None if code == 400 else ERROR, description=_DESCRIPTIONS[code]
        )
        for code in codes
    }


def add_auth_errors(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: every operation can answer 401, every write 403."""
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
            responses = operation.setdefault("responses", {})
            codes = ["401"] + (
                ["403"] if method in {"post", "put", "patch", "delete"} else []
            )
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": _DESCRIPTIONS[int(code)],
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
    return result
