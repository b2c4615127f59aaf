"""Validators shared by the apps' serializers."""

import math
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

MAX_JSON_DEPTH = 32

no_control_characters = RegexValidator(
    r"[\x00-\x1f\x7f]",
    "Must not contain control characters.",
    code="control_characters",
    inverse_match=True,
)

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:[_.-][a-z0-9]+)*\Z",
    "Use a lowercase slug: letters a-z, digits, and single '_', '-' or '.' "
    "between them (e.g. 'status_changed').",
    code="invalid_slug",
)


@deconstructible
class JSONValidator:
    """Model-field validator form of ``check_json_value``."""

    def __init__(self, *, max_bytes: int, require_object: bool = True) -> None:
        self.max_bytes = max_bytes
        self.require_object = require_object

    def __call__(self, value: Any) -> None:
        check_json_value(
            value, max_bytes=self.max_bytes, require_object=self.require_object
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JSONValidator)
            and self.max_bytes == other.max_bytes
            and self.require_object == other.require_object
        )


def check_json_value(value: Any, *, max_bytes: int, require_object: bool) -> None:
    """Refuse JSON that PostgreSQL's jsonb cannot store or that is too big.

    NUL characters, lone surrogates and non-finite numbers are valid Python but
    not valid jsonb; catching them here turns a database error into a 400.
    """
    if require_object and not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")
    _check_node(value, depth=0)
    size = len(orjson.dumps(value))
    if size > max_bytes:
        raise ValidationError(
            f"Must be at most {max_bytes} bytes as JSON (got {size})."
        )


def _check_node(value: Any, *, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(f"Nested deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("Numbers must be finite.")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise ValidationError("Integers must fit in 64 bits.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(str(key))
            _check_node(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_node(item, depth=depth + 1)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ValidationError("Text must not contain NUL (\\u0000) characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "Text must be valid Unicode (no lone surrogates)."
        ) from None
