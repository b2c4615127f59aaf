"""Queue a run of a scenario and print its id (and, with --wait, its outcome).

manage.py create_run brrrr_scale_doors --input '{"doors": 50, ...}' --wait
"""

import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import APIException

from scenarios import services
from scenarios.models import Scenario, ScenarioRun


class Command(BaseCommand):
    help = "Queue a run of a scenario; --wait prints its result when it finishes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", help="scenario key")
        parser.add_argument("--input", required=True, help="the input payload, JSON")
        parser.add_argument("--wait", action="store_true", help="wait for the outcome")
        parser.add_argument(
            "--timeout", type=float, default=300, help="seconds to --wait"
        )

    def handle(self, **options) -> None:
        try:
            payload = json.loads(options["input"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--input is not valid JSON: {exc}") from None
        scenario = Scenario.objects.filter(key=options["scenario"]).first()
        if scenario is None:
            raise CommandError(f"No scenario with key {options['scenario']!r}.")
        try:
            run = services.create_run(scenario_id=scenario.pk, input_payload=payload)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except APIException as exc:
            raise CommandError(str(exc.detail)) from None
        if not options["wait"]:
            self.stdout.write(f"{run.pk} {run.status}")
            return
        deadline = time.monotonic() + options["timeout"]
        run.refresh_from_db()
        while not run.is_terminal:
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Run {run.pk} is still {run.status} after --timeout."
                )
            time.sleep(0.5)
            run.refresh_from_db()
        self.stdout.write(f"{run.pk} {run.status}")
        if run.status == ScenarioRun.Status.COMPLETED:
            self.stdout.write(json.dumps(run.result_payload, indent=2, sort_keys=True))
        elif run.error_message:
            self.stdout.write(run.error_message)
