from rest_framework import serializers

from timeline.models import EventLog
from timeline.services import MAX_BULK
from valhalla.rendering import iso8601
from valhalla.validators import slug_validator


class EventLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventLog
        fields = [
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
        ]
        read_only_fields = ["id", "created_at"]
        # Uniqueness is the service's business: a repeat is idempotent, not invalid.
        extra_kwargs = {"idempotency_key": {"validators": []}}

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
