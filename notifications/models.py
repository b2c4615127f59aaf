"""Channels, templates and the log of every notification."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from valhalla.models import newest_first_index
from valhalla.validators import JSONValidator, no_control_characters, slug_validator

MAX_CONTEXT_BYTES = 64 * 1024

template_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*\Z",
    "Use a lowercase slug that starts with a letter (e.g. 'deal_status_update').",
    code="invalid_slug",
)


class NotificationChannel(models.Model):
    key = models.CharField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=255, validators=[no_control_characters])
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    provider = models.CharField(max_length=64)
    config = models.JSONField(
        default=dict, blank=True, validators=[JSONValidator(max_bytes=16 * 1024)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_channels"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class NotificationTemplate(models.Model):
    key = models.CharField(
        max_length=100, unique=True, validators=[template_key_validator]
    )
    channel = models.ForeignKey(
        NotificationChannel,
        to_field="key",
        db_column="channel_key",
        on_delete=models.PROTECT,
        related_name="templates",
    )
    subject = models.CharField(max_length=998, null=True, blank=True)
    body = models.TextField(max_length=MAX_CONTEXT_BYTES)
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_templates"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class NotificationLog(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    channel_key = models.CharField(max_length=64)
    template_key = models.CharField(max_length=100, null=True, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    recipient = models.CharField(max_length=255)
    subject = models.TextField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=255, null=True, blank=True, unique=True
    )
    request_hash = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        db_table = "notification_logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            newest_first_index("recipient", name="notif_logs_recipient"),
            newest_first_index(name="notif_logs_recent"),
            newest_first_index("status", name="notif_logs_status"),
            models.Index(
                "next_attempt_at",
                name="notif_logs_queued_due",
                condition=Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel_key} → {self.recipient} ({self.status})"
