"""Keyset pagination, newest first, on ``(created_at, id)``.

Pages are found through the index, never with OFFSET, so page 1,000 of an
append-only table costs what page 1 does, and rows sharing a timestamp are
neither skipped nor repeated::

    GET /events/?limit=100
    {"next": "https://…/events/?cursor=MjAyNi0xMi0w…&limit=100", "results": [...]}
"""

import base64
import binascii
from datetime import UTC, datetime

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

MAX_LIMIT = 1000


def limit_from(request: Request, *, default: int, maximum: int = MAX_LIMIT) -> int:
    """Read ``?limit=``: a positive integer, capped at ``maximum``; else 400."""
    field = serializers.IntegerField(min_value=1)
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return default
    try:
        return min(field.run_validation(raw), maximum)
    except ValidationError as exc:
        raise ValidationError({"limit": exc.detail}) from None


def newest_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("-created_at", "-id")


def before(created_at: datetime, pk: int) -> TupleLessThan:
    """Rows older than ``(created_at, pk)``: a row comparison an index can seek.

    Django 5.2 builds its composite-key lookups from these; a plain OR of two
    conditions would make PostgreSQL filter instead of seek on deep pages.
    """
    return TupleLessThan(Tuple(F("created_at"), F("pk")), (created_at, pk))


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"
    default_limit = 100

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None):
        self.request = request
        self.limit = limit_from(request, default=self.default_limit)
        position = self._decode(request.query_params.get(self.cursor_query_param))
        queryset = newest_first(queryset)
        if position is not None:
            queryset = queryset.filter(before(*position))
        rows = list(queryset[: self.limit + 1])
        self.next_position = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            self.next_position = (rows[-1].created_at, rows[-1].pk)
        return rows

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        if self.next_position is None:
            return None
        created_at, pk = self.next_position
        token = f"{created_at.isoformat()}|{pk}".encode()
        cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def _decode(self, cursor: str | None) -> tuple[datetime, int] | None:
        if not cursor:
            return None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            stamp, _, pk = base64.urlsafe_b64decode(padded).decode().partition("|")
            created_at = datetime.fromisoformat(stamp)
            if created_at.tzinfo is None:
                raise ValueError("naive timestamp")
            return created_at.astimezone(UTC), int(pk)
        except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "Invalid cursor; use a `next` link as given."
                    ]
                }
            ) from None

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from a previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page (default {self.default_limit}, "
                f"at most {MAX_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
