"""Filters shared by the apps' FilterSets."""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime, converted to UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 that Python accepts; a value whose
    UTC form falls outside the calendar is refused here as a 400.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Date out of range.", code="invalid") from None


class SinceFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Created at or after (ISO 8601)")
        super().__init__(field_name="created_at", lookup_expr="gte", **kwargs)


class UntilFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Created before (ISO 8601)")
        super().__init__(field_name="created_at", lookup_expr="lt", **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A primary key: a whole number the database can hold, else 400."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)
