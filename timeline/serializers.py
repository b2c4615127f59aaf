from rest_framework import serializers

from timeline.models import MAX_DETAIL_SIZE, EventLog
from timeline.services import MAX_BULK
from valhalla.rendering import iso8601
from valhalla.validators import JSONValidator, no_control_characters, slug_validator

FIELDS = (
    "id",
    "entity_type",
    "entity_id",
    "event_type",
    "source",
    "title",
    "description",
    "payload",
    "idempotency_key",
    "created_at",
)


def event_json(values: dict) -> dict:
    """An event's API shape from its field values (a model's or a ``.values()`` row).

    The hot read paths build it directly, in the shape DRF's fields would give.
    """
    return {**values, "created_at": iso8601(values["created_at"])}


class EventLogSerializer(serializers.Serializer):
    """An event in and out; declared field by field (the ingest hot path).

    The rules mirror the model's, which the service checks again.
    """

    id = serializers.IntegerField(read_only=True)
    entity_type = serializers.CharField(max_length=64, validators=[slug_validator])
    entity_id = serializers.CharField(
        max_length=255, validators=[no_control_characters]
    )
    event_type = serializers.CharField(max_length=64, validators=[slug_validator])
    source = serializers.CharField(
        max_length=64, validators=[slug_validator], default="system"
    )
    title = serializers.CharField(
        max_length=255,
        allow_blank=True,
        default="",
        validators=[no_control_characters],
    )
    description = serializers.CharField(
        max_length=MAX_DETAIL_SIZE, allow_blank=True, default="", trim_whitespace=False
    )
    payload = serializers.JSONField(
        default=dict, validators=[JSONValidator(max_bytes=MAX_DETAIL_SIZE)]
    )
    idempotency_key = serializers.CharField(
        max_length=255, allow_null=True, required=False, default=None
    )
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, event: EventLog) -> dict:
        return event_json({name: getattr(event, name) for name in FIELDS})


class EventLogBulkSerializer(serializers.ListSerializer):
    child = EventLogSerializer()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_BULK)
        kwargs.setdefault("allow_empty", False)
        super().__init__(*args, **kwargs)


class EntityTimelineQuerySerializer(serializers.Serializer):
    entity_type = serializers.CharField(max_length=64, validators=[slug_validator])
    entity_id = serializers.CharField(max_length=255, required=False)
