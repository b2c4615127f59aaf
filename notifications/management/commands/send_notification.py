"""Send a notification from the command line and print its log id and status.

    manage.py send_notification deal_status_update investor@example.com \
        --context '{"deal_id": 123, "status": "under contract"}' [--channel sms]
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import APIException

from notifications import services


class Command(BaseCommand):
    help = "Render a template for a recipient and deliver it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("template", help="template key")
        parser.add_argument("recipient")
        parser.add_argument("--context", default="{}", help="a JSON object")
        parser.add_argument(
            "--channel", default=None, help="override the template's channel"
        )
        parser.add_argument("--idempotency-key", default=None)

    def handle(self, **options) -> None:
        try:
            context = json.loads(options["context"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--context is not valid JSON: {exc}") from None
        if not isinstance(context, dict):
            raise CommandError("--context must be a JSON object.")
        try:
            log = services.send_notification(
                template_key=options["template"],
                recipient=options["recipient"],
                context=context,
                channel_key=options["channel"],
                idempotency_key=options["idempotency_key"],
            )
        except services.SendRefused as refused:
            raise CommandError(
                f"{refused} (log {refused.log.pk}, {refused.code})"
            ) from None
        except (ValidationError, APIException) as exc:
            raise CommandError(str(exc)) from None
        log.refresh_from_db()
        self.stdout.write(f"{log.pk} {log.status}")
