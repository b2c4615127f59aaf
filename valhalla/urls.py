"""The one router: every app's API, the admin, the OpenAPI docs and /healthz.

Routes take an optional trailing slash (``/events`` and ``/events/`` alike).
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.routers import SimpleRouter

from notifications.views import ChannelViewSet, LogViewSet, SendViewSet, TemplateViewSet
from scenarios.views import RunViewSet, ScenarioViewSet
from timeline.views import EventLogViewSet
from valhalla.views import healthz


class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("events", EventLogViewSet, basename="event")
router.register(
    "notifications/channels", ChannelViewSet, basename="notification-channel"
)
router.register(
    "notifications/templates", TemplateViewSet, basename="notification-template"
)
router.register("notifications/logs", LogViewSet, basename="notification-log")
router.register("notifications/send", SendViewSet, basename="notification-send")
router.register("scenarios/runs", RunViewSet, basename="scenario-run")
router.register("scenarios", ScenarioViewSet, basename="scenario")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include(router.urls)),
]
