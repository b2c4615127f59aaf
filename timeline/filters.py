import django_filters

from timeline.models import EventLog


class EventLogFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="Created at or after (ISO 8601)",
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)"
    )

    class Meta:
        model = EventLog
        fields = ["entity_type", "entity_id", "event_type", "source"]
