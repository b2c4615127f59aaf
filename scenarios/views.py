import csv
import io

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from scenarios import services
from scenarios.filters import RunFilter
from scenarios.models import Scenario, ScenarioRun
from scenarios.serializers import (
    ClaimSerializer,
    CompareSerializer,
    HeartbeatSerializer,
    RunCreateSerializer,
    RunSerializer,
    RunUpdateSerializer,
    ScenarioSerializer,
    SweepSerializer,
)
from valhalla.idempotency import IDEMPOTENCY_KEY, idempotency_key_from
from valhalla.pagination import KeysetPagination, limit_from, newest_first
from valhalla.permissions import model_permission
from valhalla.rendering import JSONRenderer
from valhalla.schema import errors


class CSVRenderer(BaseRenderer):
    """Renders a ``{"columns": [...], "rows": [[...]]}`` table as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "columns" in data:
            writer.writerow(data["columns"])
            writer.writerows(data["rows"])
        else:  # an error
            writer.writerow(["detail"])
            writer.writerow(
                [data.get("detail", data) if isinstance(data, dict) else data]
            )
        return out.getvalue().encode()


@extend_schema_view(
    list=extend_schema(summary="List scenarios, newest first"),
    create=extend_schema(
        summary="Define a scenario", responses={201: ScenarioSerializer, **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One scenario", responses={200: ScenarioSerializer, **errors(404)}
    ),
)
class ScenarioViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Scenario.objects.all()
    serializer_class = ScenarioSerializer
    lookup_value_regex = r"[0-9]+"

    def create(self, request: Request) -> Response:
        serializer = ScenarioSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scenario = services.create_scenario(**serializer.validated_data)
        return Response(
            ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="One scenario by key",
        responses={200: ScenarioSerializer, **errors(404)},
    )
    @action(detail=False, methods=["get"], url_path=r"by-key/(?P<key>[^/]+)")
    def by_key(self, request: Request, key: str) -> Response:
        scenario = get_object_or_404(Scenario, key=key)
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(
        summary="Create one run per combination of the varied inputs",
        request=SweepSerializer,
        responses={201: RunSerializer(many=True), **errors(400, 404)},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[model_permission("add", ScenarioRun)],
    )
    def sweep(self, request: Request, pk: str) -> Response:
        scenario = self.get_object()
        serializer = SweepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runs = services.create_sweep(scenario=scenario, **serializer.validated_data)
        return Response(
            RunSerializer(runs, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Inputs and results of runs side by side",
        description="JSON, or CSV with `Accept: text/csv`.",
        parameters=[
            OpenApiParameter(
                "runs",
                str,
                description="Comma-separated run ids; default all (up to 1,000).",
            )
        ],
        responses={
            (200, "application/json"): CompareSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The same table as CSV."
            ),
            **errors(400, 404),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def compare(self, request: Request, pk: str) -> Response:
        scenario = self.get_object()
        run_ids = None
        if raw := request.query_params.get("runs"):
            try:
                run_ids = [int(part) for part in raw.split(",") if part.strip()]
            except ValueError:
                raise ValidationError(
                    {"runs": ["Comma-separated run ids, e.g. 1,2,3."]}
                ) from None
        return Response(services.compare_runs(scenario, run_ids))


@extend_schema_view(
    list=extend_schema(summary="Page through runs, newest first"),
    retrieve=extend_schema(
        summary="One run", responses={200: RunSerializer, **errors(404)}
    ),
)
class RunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = ScenarioRun.objects.all()
    serializer_class = RunSerializer
    filterset_class = RunFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(
        summary="Queue a run (status pending)",
        request=RunCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RunSerializer, **errors(400, 409, 413)},
    )
    def create(self, request: Request) -> Response:
        serializer = RunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.create_run(
            **serializer.validated_data, idempotency_key=idempotency_key_from(request)
        )
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Report a run's status, result or error (through the state machine)",
        request=RunUpdateSerializer,
        responses={200: RunSerializer, **errors(400, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        serializer = RunUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "status" not in data:
            raise ValidationError(
                {"status": ["Required to report a result or an error."]}
            )
        run = services.transition_run(run, **data)
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="Runs of one scenario, newest first",
        parameters=[
            OpenApiParameter("limit", int, description="At most 1,000; default 100.")
        ],
        responses={200: RunSerializer(many=True), **errors(400, 404)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"by-scenario/(?P<scenario_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def by_scenario(self, request: Request, scenario_id: str) -> Response:
        scenario = get_object_or_404(Scenario, pk=int(scenario_id))
        limit = limit_from(request, default=100)
        runs = newest_first(ScenarioRun.objects.filter(scenario=scenario))[:limit]
        return Response(RunSerializer(runs, many=True).data)

    @extend_schema(
        summary="Take the oldest pending run and start it (for external workers)",
        request=ClaimSerializer,
        responses={
            200: RunSerializer,
            204: OpenApiResponse(description="Nothing is pending."),
            **errors(400),
        },
    )
    @action(
        detail=False, methods=["post"], permission_classes=[model_permission("change")]
    )
    def claim(self, request: Request) -> Response:
        serializer = ClaimSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.claim_run(**serializer.validated_data)
        if run is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="Extend a running run's lease",
        request=HeartbeatSerializer,
        responses={200: RunSerializer, **errors(400, 404, 409)},
    )
    @action(
        detail=True, methods=["post"], permission_classes=[model_permission("change")]
    )
    def heartbeat(self, request: Request, pk: str) -> Response:
        serializer = HeartbeatSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.heartbeat(self.get_object(), **serializer.validated_data)
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="Cancel a pending or running run",
        request=None,
        responses={200: RunSerializer, **errors(404, 409)},
    )
    @action(
        detail=True, methods=["post"], permission_classes=[model_permission("change")]
    )
    def cancel(self, request: Request, pk: str) -> Response:
        return Response(RunSerializer(services.cancel_run(self.get_object())).data)
