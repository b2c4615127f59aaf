from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from scenarios import services
from scenarios.models import Scenario, ScenarioRun
from valhalla.admin_display import ReadOnlyWithActionsAdmin, pretty_json


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ["key", "name", "description", "created_by", "input_schema"]

    def clean_input_schema(self):
        schema = self.cleaned_data.get("input_schema")
        if schema is not None:
            try:
                services.check_schema(schema)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["input_schema"]) from None
        return schema


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    form = ScenarioForm
    list_display = ["key", "name", "created_by", "created_at", "compare_link"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Scenario, form, change) -> None:
        services.save_scenario(obj)

    @admin.display(description="runs")
    def compare_link(self, scenario: Scenario) -> str:
        url = reverse("admin:scenarios_scenario_compare", args=[scenario.pk])
        return format_html('<a href="{}">compare</a>', url)

    def get_urls(self):
        compare = self.admin_site.admin_view(self.compare_view)
        return [
            path("<int:pk>/compare/", compare, name="scenarios_scenario_compare"),
            *super().get_urls(),
        ]

    def compare_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        scenario = get_object_or_404(Scenario, pk=pk)
        if not self.has_view_permission(request, scenario):
            raise PermissionError
        table = services.compare_runs(scenario)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "scenario": scenario,
            "title": f"Compare runs of {scenario.key}",
            "table": table,
        }
        return TemplateResponse(request, "admin/scenarios/compare.html", context)


@admin.register(ScenarioRun)
class RunAdmin(ReadOnlyWithActionsAdmin):
    list_display = [
        "id",
        "scenario",
        "status",
        "attempts",
        "worker",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "scenario"]
    list_select_related = ["scenario"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["cancel", "requeue"]
    fields = [
        "id",
        "scenario",
        "status",
        "pretty_input",
        "pretty_result",
        "error_message",
        "attempts",
        "worker",
        "lease_expires_at",
        "created_at",
        "started_at",
        "completed_at",
        "idempotency_key",
    ]

    @admin.display(description="input payload")
    def pretty_input(self, run: ScenarioRun) -> str:
        return pretty_json(run.input_payload)

    @admin.display(description="result payload")
    def pretty_result(self, run: ScenarioRun) -> str:
        return pretty_json(run.result_payload)

    def _each(self, request: HttpRequest, queryset, service, done: str) -> None:
        count = 0
        for run in queryset:
            try:
                service(run)
                count += 1
            except APIException as exc:
                self.message_user(request, str(exc.detail), messages.WARNING)
        if count:
            self.message_user(request, f"{done} {count} run(s).")

    @admin.action(description="Cancel selected runs", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, services.cancel_run, "Cancelled")

    @admin.action(description="Re-queue selected runs", permissions=["change"])
    def requeue(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, services.requeue_run, "Re-queued")
