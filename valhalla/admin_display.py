"""Admin pieces shared by the apps' back-office pages."""

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html


def pretty_json(value: object) -> str:
    """JSON indented in a ``<pre>``; every character HTML-escaped."""
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class ReadOnlyWithActionsAdmin(admin.ModelAdmin):
    """Rows are written only by services: no add, change or delete pages.

    The change list keeps "change" permission so its actions (which call
    services) can run; every field of a row stays read-only.
    """

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields or [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
