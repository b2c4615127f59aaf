"""The ``Idempotency-Key`` header, shared by every create endpoint that honours it.

A repeat with the same key and the same request returns the first result;
the same key with a different request is a 409. The services store the key
with a ``request_hash`` of what was asked.
"""

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from valhalla.validators import no_control_characters

HEADER = "Idempotency-Key"
M = TypeVar("M", bound=Model)

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Repeat a request safely: the same key and body return the first "
    "response and do nothing more; the same key with another body answers 409.",
)


def idempotency_key_from(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255:
        raise ValidationError({HEADER: ["Must be 1 to 255 characters."]})
    try:
        no_control_characters(key)
    except DjangoValidationError:
        raise ValidationError(
            {HEADER: ["Must not contain control characters."]}
        ) from None
    return key


def request_hash(*parts: Any) -> str:
    """A stable digest of a request's meaningful parts (JSON, keys sorted)."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def insert_once(row: M, replay: Callable[[], M | None]) -> M:
    """Insert ``row``; if a concurrent request took its idempotency key, ``replay()``.

    Without a key the row is simply inserted. With one, the insert runs in a
    savepoint, so losing the race to another request leaves the transaction
    usable and returns what that request stored.
    """
    if not row.idempotency_key:
        row.save(force_insert=True)
        return row
    try:
        with transaction.atomic():
            row.save(force_insert=True)
        return row
    except IntegrityError:
        stored = replay()
        if stored is None:
            raise
        return stored
