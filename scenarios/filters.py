import django_filters

from scenarios.models import ScenarioRun


class RunFilter(django_filters.FilterSet):
    scenario = django_filters.NumberFilter(field_name="scenario_id")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ScenarioRun
        fields = ["status"]
