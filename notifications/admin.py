import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from notifications import rendering, services
from notifications.models import (
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)
from notifications.providers import default_provider, get_provider, provider_names
from valhalla.admin_display import ReadOnlyWithActionsAdmin, pretty_json


class ServiceSavingAdmin(admin.ModelAdmin):
    """Saves through the app's service, so the admin writes as the API does."""

    save_service = None

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        self.save_service(obj)


class ChannelForm(forms.ModelForm):
    provider = forms.ChoiceField(choices=[], required=False)

    class Meta:
        model = NotificationChannel
        fields = ["key", "name", "description", "is_active", "provider", "config"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "default for the key")] + [
            (name, name) for name in provider_names()
        ]

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("key") or (self.instance.key if self.instance.pk else "")
        provider = cleaned.get("provider") or default_provider(key)
        cleaned["provider"] = provider
        try:
            get_provider(provider).validate_config(cleaned.get("config") or {})
        except ValidationError as exc:
            self.add_error("config", exc.messages)
        return cleaned


@admin.register(NotificationChannel)
class ChannelAdmin(ServiceSavingAdmin):
    form = ChannelForm
    list_display = ["key", "name", "provider", "is_active", "created_at"]
    list_filter = ["is_active", "provider"]
    search_fields = ["key", "name"]
    save_service = staticmethod(services.save_channel)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (
            ["key", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]
        )


class TemplateForm(forms.ModelForm):
    sample_context = forms.JSONField(
        required=False,
        initial=dict,
        help_text="A JSON object to preview the template with; it is not saved.",
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
    )

    class Meta:
        model = NotificationTemplate
        fields = ["key", "channel", "subject", "body", "description", "is_active"]

    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "body"):
            try:
                rendering.parse(cleaned.get(field) or "")
            except rendering.TemplateSyntaxError as exc:
                self.add_error(field, str(exc))
        return cleaned


@admin.register(NotificationTemplate)
class TemplateAdmin(ServiceSavingAdmin):
    form = TemplateForm
    list_display = ["key", "channel", "subject", "version", "is_active", "updated_at"]
    list_filter = ["is_active", "channel"]
    search_fields = ["key", "subject"]
    readonly_fields = [
        "version",
        "placeholders",
        "live_preview",
        "created_at",
        "updated_at",
    ]
    fields = [
        "key",
        "channel",
        "subject",
        "body",
        "description",
        "is_active",
        "version",
        "placeholders",
        "sample_context",
        "live_preview",
        "created_at",
        "updated_at",
    ]
    save_service = staticmethod(services.save_template)

    class Media:
        js = ["notifications/template_preview.js"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["key", *self.readonly_fields] if obj else self.readonly_fields

    @admin.display(description="placeholders")
    def placeholders(self, template: NotificationTemplate) -> str:
        try:
            return (
                ", ".join(rendering.placeholders(template.subject, template.body))
                or "—"
            )
        except rendering.TemplateSyntaxError as exc:
            return str(exc)

    @admin.display(description="preview")
    def live_preview(self, template: NotificationTemplate) -> str:
        return format_html(
            '<div id="template-preview" data-url="{}"><em>Type a sample context to '
            "preview.</em></div>",
            reverse("admin:notifications_template_preview"),
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="notifications_template_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """Render unsaved subject/body text against a sample context (POST)."""
        if request.method != "POST" or not self.has_view_permission(request):
            return JsonResponse({"detail": "POST with view permission."}, status=403)
        try:
            data = json.loads(request.body)
            context = data.get("context") or {}
            if not isinstance(context, dict):
                raise ValueError("The sample context must be a JSON object.")
            subject, body = rendering.render_many(
                [data.get("subject") or None, data.get("body") or ""], context
            )
        except (ValueError, AttributeError) as exc:
            return JsonResponse({"detail": str(exc)}, status=400)
        return JsonResponse({"subject": subject, "body": body})


@admin.register(NotificationLog)
class LogAdmin(ReadOnlyWithActionsAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "channel_key",
        "template_key",
        "recipient",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel_key", "template_key"]
    search_fields = ["recipient"]
    search_help_text = "Exact recipient"
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["retry"]
    fields = [
        "id",
        "status",
        "channel_key",
        "template_key",
        "template_version",
        "recipient",
        "subject",
        "body",
        "pretty_context",
        "error_code",
        "error_message",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "idempotency_key",
    ]

    @admin.display(description="context")
    def pretty_context(self, log: NotificationLog) -> str:
        return pretty_json(log.context)

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        search_term = search_term.strip()
        if not search_term:
            return queryset, False
        return queryset.filter(recipient=search_term), False

    @admin.action(
        description="Retry selected failed notifications", permissions=["change"]
    )
    def retry(self, request: HttpRequest, queryset) -> None:
        retried, refused = 0, []
        for log in queryset:
            try:
                services.retry_notification(log)
                retried += 1
            except APIException as exc:
                refused.append(str(exc.detail))
        if retried:
            self.message_user(request, f"Queued {retried} notification(s) again.")
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
