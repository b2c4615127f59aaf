import django_filters

from timeline.models import EventLog
from valhalla.filters import SinceFilter, UntilFilter


class EventLogFilter(django_filters.FilterSet):
    since = SinceFilter()
    until = UntilFilter()

    class Meta:
        model = EventLog
        fields = ["entity_type", "entity_id", "event_type", "source"]
