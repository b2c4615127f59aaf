from rest_framework import serializers

from scenarios.models import MAX_PAYLOAD_BYTES, Scenario, ScenarioRun
from valhalla.validators import JSONValidator, no_control_characters


class ScenarioSerializer(serializers.ModelSerializer):
    has_simulator = serializers.SerializerMethodField(
        help_text="Whether a built-in simulator executes this scenario's runs."
    )

    class Meta:
        model = Scenario
        fields = [
            "id",
            "key",
            "name",
            "description",
            "created_by",
            "input_schema",
            "has_simulator",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"key": {"validators": []}}

    def get_has_simulator(self, scenario: Scenario) -> bool:
        from scenarios import simulators

        return simulators.get(scenario.key) is not None


class PayloadField(serializers.JSONField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "validators",
            [JSONValidator(max_bytes=MAX_PAYLOAD_BYTES, require_object=False)],
        )
        super().__init__(**kwargs)


class RunSerializer(serializers.ModelSerializer):
    scenario_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ScenarioRun
        fields = [
            "id",
            "scenario_id",
            "input_payload",
            "result_payload",
            "status",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
            "attempts",
            "worker",
            "lease_expires_at",
            "idempotency_key",
        ]
        read_only_fields = fields


class RunCreateSerializer(serializers.Serializer):
    scenario_id = serializers.IntegerField(min_value=1)
    input_payload = PayloadField(help_text="The run's inputs; stored exactly as sent.")


class RunUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ScenarioRun.Status.choices, required=False)
    result_payload = PayloadField(required=False, allow_null=True)
    error_message = serializers.CharField(
        required=False, allow_blank=True, max_length=64 * 1024
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and "input_payload" in data:
            raise serializers.ValidationError(
                {"input_payload": ["A run's input is immutable once created."]}
            )
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}
                )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Send status, result_payload or error_message."
            )
        return attrs


class ClaimSerializer(serializers.Serializer):
    worker = serializers.CharField(max_length=255, validators=[no_control_characters])
    scenario_key = serializers.CharField(max_length=100, required=False)
    lease_seconds = serializers.IntegerField(
        min_value=1, max_value=86_400, required=False
    )


class HeartbeatSerializer(serializers.Serializer):
    worker = serializers.CharField(
        max_length=255, required=False, validators=[no_control_characters]
    )
    lease_seconds = serializers.IntegerField(
        min_value=1, max_value=86_400, required=False
    )


class SweepSerializer(serializers.Serializer):
    base_input = PayloadField(default=dict)
    vary = serializers.DictField(
        child=serializers.ListField(allow_empty=False, max_length=1000),
        allow_empty=False,
        help_text='Dotted input paths and their values, e.g. {"doors": [10, 25, 50]}.',
    )

    def validate_base_input(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class CompareSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
