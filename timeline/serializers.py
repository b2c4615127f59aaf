from rest_framework import serializers

from timeline.models import MAX_DETAIL_SIZE, EventLog
from timeline.services import MAX_BULK
from valhalla.rendering import iso8601
from valhalla.validators import JSONValidator, no_control_characters, slug_validator


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
        # The hot read path: built directly, in the same shape DRF's fields give.
        return {
            "id": event.id,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "event_type": event.event_type,
            "source": event.source,
            "title": event.title,
            "description": event.description,
            "payload": event.payload,
            "idempotency_key": event.idempotency_key,
            "created_at": iso8601(event.created_at),
        }


class EventLogBulkSerializer(serializers.ListSerializer):
    child = EventLogSerializer()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_BULK)
        kwargs.setdefault("allow_empty", False)
        super().__init__(*args, **kwargs)


class EntityTimelineQuerySerializer(serializers.Serializer):
    entity_type = serializers.CharField(max_length=64, validators=[slug_validator])
    entity_id = serializers.CharField(max_length=255, required=False)
