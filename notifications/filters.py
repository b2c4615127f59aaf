import django_filters

from notifications.models import NotificationLog
from valhalla.filters import SinceFilter, UntilFilter


class LogFilter(django_filters.FilterSet):
    channel = django_filters.CharFilter(field_name="channel_key")
    template = django_filters.CharFilter(field_name="template_key")
    since = SinceFilter()
    until = UntilFilter()

    class Meta:
        model = NotificationLog
        fields = ["status", "recipient"]
