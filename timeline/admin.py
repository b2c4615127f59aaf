import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from timeline.models import EventLog


@admin.register(EventLog)
class EventLogAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "entity_type",
        "entity_id",
        "event_type",
        "source",
        "title",
    ]
    list_display_links = ["id", "created_at"]
    list_filter = ["entity_type", "event_type", "source"]
    date_hierarchy = "created_at"
    search_fields = ["entity_id"]
    search_help_text = "Exact entity id, e.g. deal_456"
    show_full_result_count = False
    fields = [
        "id",
        "created_at",
        "entity_type",
        "entity_id",
        "event_type",
        "source",
        "title",
        "description",
        "pretty_payload",
        "idempotency_key",
    ]
    readonly_fields = fields

    @admin.display(description="payload")
    def pretty_payload(self, event: EventLog) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True)
        )

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # An exact match uses the entity index; admin's default is LIKE '%…%'.
        search_term = search_term.strip()
        if not search_term:
            return queryset, False
        return queryset.filter(entity_id=search_term), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
