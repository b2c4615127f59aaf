import django_filters

from scenarios.models import ScenarioRun
from valhalla.filters import IdFilter, SinceFilter, UntilFilter


class RunFilter(django_filters.FilterSet):
    scenario = IdFilter(field_name="scenario_id")
    since = SinceFilter()
    until = UntilFilter()

    class Meta:
        model = ScenarioRun
        fields = ["status"]
