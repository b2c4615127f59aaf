"""Claim and execute pending runs of built-in simulators, without Celery.

For cron or one-off use: it expires stale leases, then works until nothing
claimable is pending (or --max runs are done), and prints what it did.
"""

import socket

from django.core.management.base import BaseCommand, CommandParser

from scenarios import services, simulators


class Command(BaseCommand):
    help = "Execute pending runs of built-in simulators until none is left."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", help="only this scenario key")
        parser.add_argument(
            "--max", type=int, default=None, help="stop after this many"
        )
        parser.add_argument("--worker", default=f"run_worker@{socket.gethostname()}")

    def handle(self, **options) -> None:
        services.expire_leases()
        keys = [options["scenario"]] if options["scenario"] else simulators.keys()
        done = 0
        for key in keys:
            while options["max"] is None or done < options["max"]:
                run = services.claim_run(worker=options["worker"], scenario_key=key)
                if run is None:
                    break
                run = services.compute_claimed(run)
                done += 1
                self.stdout.write(f"run {run.pk} {run.status}")
        self.stdout.write(f"executed {done}")
