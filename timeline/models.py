"""The event timeline: one append-only log of everything significant."""

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from valhalla.models import newest_first_index
from valhalla.validators import JSONValidator, no_control_characters, slug_validator

MAX_DETAIL_SIZE = 64 * 1024


class ImmutableEventError(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class EventLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableEventError("Events are immutable; record a new event instead.")

    def delete(self):
        raise ImmutableEventError("Events are immutable and cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableEventError("Events are immutable; record a new event instead.")


class EventLog(models.Model):
    entity_type = models.CharField(max_length=64, validators=[slug_validator])
    entity_id = models.CharField(max_length=255, validators=[no_control_characters])
    event_type = models.CharField(max_length=64, validators=[slug_validator])
    source = models.CharField(
        max_length=64, default="system", validators=[slug_validator]
    )
    title = models.CharField(
        max_length=255, blank=True, default="", validators=[no_control_characters]
    )
    description = models.TextField(
        max_length=MAX_DETAIL_SIZE,
        blank=True,
        default="",
        validators=[ProhibitNullCharactersValidator()],
    )
    payload = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        validators=[JSONValidator(max_bytes=MAX_DETAIL_SIZE)],
    )
    idempotency_key = models.CharField(
        max_length=255, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = EventLogQuerySet.as_manager()

    class Meta:
        db_table = "event_logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            newest_first_index(
                "entity_type", "entity_id", name="event_logs_entity_timeline"
            ),
            newest_first_index("entity_type", name="event_logs_type_timeline"),
            newest_first_index("event_type", name="event_logs_event_type_recent"),
            newest_first_index(name="event_logs_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id} {self.event_type}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableEventError(
                "Events are immutable; record a new event instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("Events are immutable and cannot be deleted.")
