import django_filters

from notifications.models import NotificationLog


class LogFilter(django_filters.FilterSet):
    channel = django_filters.CharFilter(field_name="channel_key")
    template = django_filters.CharFilter(field_name="template_key")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = NotificationLog
        fields = ["status", "recipient"]
