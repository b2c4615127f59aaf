from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import rendering, services
from notifications.filters import LogFilter
from notifications.models import (
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)
from notifications.serializers import (
    ChannelSerializer,
    ChannelUpdateSerializer,
    LogSerializer,
    MissingValuesSerializer,
    PreviewResultSerializer,
    PreviewSerializer,
    RecipientQuerySerializer,
    SendRefusedSerializer,
    SendSerializer,
    TemplateSerializer,
    TemplateUpdateSerializer,
)
from valhalla.idempotency import IDEMPOTENCY_KEY, idempotency_key_from
from valhalla.pagination import KeysetPagination, limit_from, newest_first
from valhalla.permissions import model_permission
from valhalla.schema import ERROR, VALIDATION_ERROR, errors

REFUSAL_STATUS = {
    "unknown_template": status.HTTP_404_NOT_FOUND,
    "unknown_channel": status.HTTP_404_NOT_FOUND,
    "inactive_template": status.HTTP_409_CONFLICT,
    "inactive_channel": status.HTTP_409_CONFLICT,
    "invalid_template": status.HTTP_409_CONFLICT,
    "missing_values": status.HTTP_400_BAD_REQUEST,
    "invalid_recipient": status.HTTP_400_BAD_REQUEST,
}
ACTIVE_ONLY = OpenApiParameter("active_only", bool, description="Only active channels.")


class IdOrKeyLookupMixin:
    """``/{id_or_key}``: a number is an id, anything else a key."""

    lookup_url_kwarg = "id_or_key"
    lookup_value_regex = r"[^/]+"

    def get_object(self) -> Model:
        value = self.kwargs[self.lookup_url_kwarg]
        is_id = value.isascii() and value.isdigit()  # not "²", which isdigit() too
        lookup = {"pk": int(value)} if is_id else {"key": value}
        obj = get_object_or_404(self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, obj)
        return obj


@extend_schema_view(
    list=extend_schema(summary="List channels", parameters=[ACTIVE_ONLY]),
    create=extend_schema(
        summary="Create a channel", responses={201: ChannelSerializer, **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One channel, by id or key",
        responses={200: ChannelSerializer, **errors(404)},
    ),
    partial_update=extend_schema(
        summary="Update a channel (its key cannot change)",
        request=ChannelUpdateSerializer,
        responses={200: ChannelSerializer, **errors(400, 404)},
    ),
)
class ChannelViewSet(
    IdOrKeyLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = NotificationChannel.objects.all()
    serializer_class = ChannelSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet:
        channels = super().get_queryset()
        if self.action == "list":
            active_only = self.request.query_params.get("active_only", "")
            if active_only.lower() in ("1", "true", "yes"):
                channels = channels.filter(is_active=True)
            elif active_only.lower() not in ("", "0", "false", "no"):
                raise ValidationError({"active_only": ["Must be true or false."]})
        return channels

    def create(self, request: Request) -> Response:
        serializer = ChannelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = services.create_channel(**serializer.validated_data)
        return Response(ChannelSerializer(channel).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, id_or_key: str) -> Response:
        channel = self.get_object()
        serializer = ChannelUpdateSerializer(channel, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        channel = services.update_channel(channel, **serializer.validated_data)
        return Response(ChannelSerializer(channel).data)


@extend_schema_view(
    list=extend_schema(summary="List templates"),
    create=extend_schema(
        summary="Create a template", responses={201: TemplateSerializer, **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One template, by key (or by numeric id)",
        responses={200: TemplateSerializer, **errors(404)},
    ),
    partial_update=extend_schema(
        summary="Update a template; its version goes up",
        request=TemplateUpdateSerializer,
        responses={200: TemplateSerializer, **errors(400, 404)},
    ),
)
class TemplateViewSet(
    IdOrKeyLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = NotificationTemplate.objects.all()
    serializer_class = TemplateSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: Request) -> Response:
        serializer = TemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = services.create_template(channel_key=data.pop("channel").key, **data)
        return Response(
            TemplateSerializer(template).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, id_or_key: str) -> Response:
        template = self.get_object()
        serializer = TemplateUpdateSerializer(template, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "channel" in changes:
            changes["channel_key"] = changes.pop("channel").key
        template = services.update_template(template, **changes)
        return Response(TemplateSerializer(template).data)

    @extend_schema(
        summary="Render a template without sending",
        request=PreviewSerializer,
        responses={
            200: PreviewResultSerializer,
            400: OpenApiResponse(
                MissingValuesSerializer, description="Placeholders without a value."
            ),
            **errors(404),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def preview(self, request: Request, id_or_key: str) -> Response:
        template = self.get_object()
        serializer = PreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subject, body = services.preview_template(
                template, serializer.validated_data["context"]
            )
        except rendering.MissingValuesError as exc:
            return Response(
                {"detail": str(exc), "missing": exc.missing},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"subject": subject, "body": body})


class SendViewSet(viewsets.GenericViewSet):
    queryset = NotificationLog.objects.all()
    serializer_class = SendSerializer

    @extend_schema(
        summary="Send a notification: render a template for a recipient and deliver it",
        description="Answers 201 with the log. With no broker configured, delivery "
        "happens before the response (status `sent` or `failed`); with workers, the "
        "log is `queued`. A send that cannot be rendered or addressed stores a failed "
        "log and answers 400, 404 or 409 with its `log_id`.",
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: LogSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR,
                description="Invalid fields, or a refused send: "
                "`{detail, code, log_id}` (missing_values, invalid_recipient).",
            ),
            404: OpenApiResponse(
                SendRefusedSerializer, description="Unknown template or channel."
            ),
            409: OpenApiResponse(
                ERROR,
                description="Inactive template or channel (with `code` and `log_id`), "
                "or an Idempotency-Key reused for another request.",
            ),
            **errors(413),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            log = services.send_notification(
                **serializer.validated_data,
                idempotency_key=idempotency_key_from(request),
            )
        except services.SendRefused as refused:
            return Response(
                {
                    "detail": str(refused),
                    "code": refused.code,
                    "log_id": refused.log.pk,
                },
                status=REFUSAL_STATUS.get(refused.code, status.HTTP_400_BAD_REQUEST),
            )
        log.refresh_from_db()
        return Response(LogSerializer(log).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Page through notification logs, newest first"),
    retrieve=extend_schema(
        summary="One notification log", responses={200: LogSerializer, **errors(404)}
    ),
)
class LogViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = NotificationLog.objects.all()
    serializer_class = LogSerializer
    filterset_class = LogFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary="Notifications sent to one recipient, newest first",
        parameters=[
            RecipientQuerySerializer,
            OpenApiParameter("limit", int, description="At most 1,000; default 100."),
        ],
        responses={200: LogSerializer(many=True), **errors(400)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="by-recipient",
        filter_backends=[],
        pagination_class=None,
    )
    def by_recipient(self, request: Request) -> Response:
        query = RecipientQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = limit_from(request, default=100)
        logs = newest_first(NotificationLog.objects.filter(**query.validated_data))[
            :limit
        ]
        return Response(LogSerializer(logs, many=True).data)

    @extend_schema(
        summary="Queue a failed notification for delivery again",
        request=None,
        responses={200: LogSerializer, **errors(404, 409)},
    )
    @action(
        detail=True, methods=["post"], permission_classes=[model_permission("change")]
    )
    def retry(self, request: Request, pk: str) -> Response:
        log = services.retry_notification(self.get_object())
        log.refresh_from_db()
        return Response(LogSerializer(log).data)
