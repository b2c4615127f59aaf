from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from timeline.filters import EventLogFilter
from timeline.models import EventLog
from timeline.serializers import (
    FIELDS,
    EntityTimelineQuerySerializer,
    EventLogBulkSerializer,
    EventLogSerializer,
    event_json,
)
from timeline.services import record_event, record_events
from valhalla.pagination import KeysetPagination, limit_from, newest_first
from valhalla.schema import errors

LIMIT = OpenApiParameter(
    "limit", int, description="How many events, newest first (at most 1,000)."
)


@extend_schema_view(
    list=extend_schema(
        summary="Page through events, newest first",
        responses={200: EventLogSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One event", responses={200: EventLogSerializer, **errors(404)}
    ),
)
class EventLogViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The timeline: an append-only log of every significant event.

    Events are never changed or removed: PUT, PATCH and DELETE answer 405.
    """

    queryset = EventLog.objects.all()
    serializer_class = EventLogSerializer
    filterset_class = EventLogFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary="Record an event",
        description="With an `idempotency_key` already stored and the same content, "
        "answers 200 with the stored event; with different content, 409.",
        responses={
            201: EventLogSerializer,
            200: EventLogSerializer,
            **errors(400, 409, 413),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event, created = record_event(**serializer.validated_data)
        return Response(
            serializer.to_representation(event),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Record up to 1,000 events at once",
        description="All or nothing: if any event is invalid, none is stored and the "
        "400 body lists each event's errors at its index.",
        request=EventLogBulkSerializer,
        responses={201: EventLogSerializer(many=True), **errors(400, 409, 413)},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        serializer = EventLogBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = record_events(serializer.validated_data)
        return Response(
            EventLogSerializer(events, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Timeline of one entity, or of every entity of a type",
        parameters=[EntityTimelineQuerySerializer, LIMIT],
        responses={200: EventLogSerializer(many=True), **errors(400)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def entity(self, request: Request) -> Response:
        query = EntityTimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = limit_from(request, default=100)
        events = EventLog.objects.filter(**query.validated_data)
        return self._newest(events, limit)

    @extend_schema(
        summary="Most recent events across all entities",
        parameters=[LIMIT],
        responses={200: EventLogSerializer(many=True), **errors(400)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def recent(self, request: Request) -> Response:
        return self._newest(EventLog.objects.all(), limit_from(request, default=50))

    def _newest(self, events, limit: int) -> Response:
        rows = newest_first(events).values(*FIELDS)[:limit]
        return Response([event_json(row) for row in rows])
