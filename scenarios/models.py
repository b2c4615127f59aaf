"""What-if scenarios and their runs."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from valhalla.models import newest_first_index
from valhalla.validators import JSONValidator, no_control_characters, slug_validator

MAX_PAYLOAD_BYTES = 256 * 1024


class Scenario(models.Model):
    key = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=255, validators=[no_control_characters])
    description = models.TextField(blank=True, default="")
    created_by = models.CharField(
        max_length=255, blank=True, default="", validators=[no_control_characters]
    )
    input_schema = models.JSONField(
        null=True,
        blank=True,
        validators=[JSONValidator(max_bytes=64 * 1024)],
        help_text="A JSON Schema that every run's input_payload must match.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "scenarios"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class ScenarioRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, related_name="runs"
    )
    input_payload = models.JSONField(
        blank=True,
        validators=[JSONValidator(max_bytes=MAX_PAYLOAD_BYTES, require_object=False)],
    )
    result_payload = models.JSONField(
        null=True,
        blank=True,
        validators=[JSONValidator(max_bytes=MAX_PAYLOAD_BYTES, require_object=False)],
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=255, null=True, blank=True, unique=True
    )
    request_hash = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        db_table = "scenario_runs"
        ordering = ["-created_at", "-id"]
        indexes = [
            newest_first_index("scenario", name="scenario_runs_by_scenario"),
            newest_first_index(name="scenario_runs_recent"),
            newest_first_index("status", name="scenario_runs_status"),
            models.Index(
                "created_at",
                "id",
                name="scenario_runs_pending",
                condition=Q(status="pending"),
            ),
            models.Index(
                "lease_expires_at",
                name="scenario_runs_leases",
                condition=Q(status="running"),
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.scenario_id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


TERMINAL = frozenset(
    {
        ScenarioRun.Status.COMPLETED,
        ScenarioRun.Status.FAILED,
        ScenarioRun.Status.CANCELLED,
    }
)
