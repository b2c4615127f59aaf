"""Record one event on the timeline and print its id.

    manage.py record_event --entity-type deal --entity-id deal_456 \
        --event-type status_changed --source heimdall --title "Under contract"
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import APIException

from timeline.services import record_event


class Command(BaseCommand):
    help = "Record an event on the timeline and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity-type", required=True)
        parser.add_argument("--entity-id", required=True)
        parser.add_argument("--event-type", required=True)
        parser.add_argument("--source", default="system")
        parser.add_argument("--title", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--payload", default=None, help="a JSON object")
        parser.add_argument("--idempotency-key", default=None)

    def handle(self, **options) -> None:
        try:
            payload = json.loads(options["payload"]) if options["payload"] else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--payload is not valid JSON: {exc}") from None
        if payload is not None and not isinstance(payload, dict):
            raise CommandError("--payload must be a JSON object.")
        try:
            event, created = record_event(
                entity_type=options["entity_type"],
                entity_id=options["entity_id"],
                event_type=options["event_type"],
                source=options["source"],
                title=options["title"],
                description=options["description"],
                payload=payload,
                idempotency_key=options["idempotency_key"],
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        except APIException as exc:
            raise CommandError(str(exc.detail)) from None
        self.stdout.write(str(event.pk))
        if not created:
            self.stderr.write(f"already recorded as event {event.pk}")


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"--{field.replace('_', '-')}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
