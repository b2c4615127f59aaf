from rest_framework import serializers

from notifications import rendering
from notifications.models import (
    MAX_CONTEXT_BYTES,
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)
from notifications.providers import provider_names
from valhalla.validators import JSONValidator, no_control_characters


class ChannelSerializer(serializers.ModelSerializer):
    provider = serializers.ChoiceField(
        choices=[],
        required=False,
        help_text="Adapter that delivers this channel. Default by key: email → email, "
        "in_app → in_app, anything else → console.",
    )
    config = serializers.JSONField(
        required=False,
        validators=[JSONValidator(max_bytes=16 * 1024)],
        help_text="Non-secret provider settings, e.g. a webhook's url.",
    )

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "key",
            "name",
            "description",
            "is_active",
            "provider",
            "config",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"key": {"validators": []}}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_names()


class ChannelUpdateSerializer(ChannelSerializer):
    class Meta(ChannelSerializer.Meta):
        read_only_fields = ["id", "key", "created_at", "updated_at"]


def _check_syntax(text: str | None) -> str | None:
    try:
        rendering.parse(text or "")
    except rendering.TemplateSyntaxError as exc:
        raise serializers.ValidationError(str(exc)) from None
    return text


class ChannelKeyField(serializers.SlugRelatedField):
    """A channel by key; read straight from the foreign key column, no query."""

    def use_pk_only_optimization(self) -> bool:
        return True

    def to_representation(self, value) -> str:
        return value.pk


class TemplateSerializer(serializers.ModelSerializer):
    channel_key = ChannelKeyField(
        source="channel", slug_field="key", queryset=NotificationChannel.objects.all()
    )
    placeholders = serializers.SerializerMethodField()

    class Meta:
        model = NotificationTemplate
        fields = [
            "id",
            "key",
            "channel_key",
            "subject",
            "body",
            "description",
            "is_active",
            "version",
            "placeholders",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        extra_kwargs = {"key": {"validators": []}}

    def get_placeholders(self, template: NotificationTemplate) -> list[str]:
        try:
            return rendering.placeholders(template.subject, template.body)
        except rendering.TemplateSyntaxError:
            return []

    def validate_subject(self, value: str | None) -> str | None:
        return _check_syntax(value)

    def validate_body(self, value: str) -> str:
        return _check_syntax(value)


class TemplateUpdateSerializer(TemplateSerializer):
    class Meta(TemplateSerializer.Meta):
        read_only_fields = ["id", "key", "version", "created_at", "updated_at"]


class ContextField(serializers.JSONField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("validators", [JSONValidator(max_bytes=MAX_CONTEXT_BYTES)])
        kwargs.setdefault("help_text", "Values for the template's placeholders.")
        super().__init__(**kwargs)


class PreviewSerializer(serializers.Serializer):
    context = ContextField(default=dict)


class PreviewResultSerializer(serializers.Serializer):
    subject = serializers.CharField(allow_null=True)
    body = serializers.CharField()


class SendSerializer(serializers.Serializer):
    template_key = serializers.CharField(max_length=100)
    recipient = serializers.CharField(
        max_length=255, validators=[no_control_characters]
    )
    context = ContextField(default=dict)
    channel_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Deliver through this channel instead of the template's.",
    )


class LogSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationLog
        fields = [
            "id",
            "channel_key",
            "template_key",
            "template_version",
            "recipient",
            "subject",
            "body",
            "context",
            "status",
            "error_code",
            "error_message",
            "attempts",
            "next_attempt_at",
            "created_at",
            "sent_at",
            "idempotency_key",
        ]
        read_only_fields = fields


class SendRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    log_id = serializers.IntegerField()


class MissingValuesSerializer(serializers.Serializer):
    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField())


class RecipientQuerySerializer(serializers.Serializer):
    recipient = serializers.CharField(max_length=255)
