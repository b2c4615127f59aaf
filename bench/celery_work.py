"""One timed batch of background work, printed as JSON on the last line.

    python bench/celery_work.py inprocess-sends|celery-sends|celery-runs|simulator COUNT

Called by bench/run.py; the Celery modes need CELERY_BROKER_URL and running workers.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valhalla.settings")

import django

django.setup()

from django.db.models import Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications import services as notifications  # noqa: E402
from notifications.models import NotificationLog  # noqa: E402
from notifications.tasks import deliver  # noqa: E402
from scenarios.models import Scenario, ScenarioRun  # noqa: E402
from scenarios.simulators import brrrr  # noqa: E402
from scenarios.simulators.brrrr import EXAMPLE_INPUT  # noqa: E402
from scenarios.tasks import execute_run  # noqa: E402


def queued_logs(count: int) -> list[int]:
    now = timezone.now()
    logs = NotificationLog.objects.bulk_create(
        NotificationLog(
            channel_key="push",
            template_key="bench",
            recipient=f"r{i}",
            body="b",
            next_attempt_at=now,
        )
        for i in range(count)
    )
    return [log.pk for log in logs]


def rate(queryset, field: str, count: int, timeout: float = 600) -> float:
    """Wait until ``count`` rows are done; items per second from first to last.

    Timing by the rows' own timestamps measures the workers alone, not how
    long they took to start or the messages took to publish.
    """
    deadline = time.monotonic() + timeout
    while queryset.count() < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {queryset.count()} of {count} done")
        time.sleep(0.1)
    span = queryset.aggregate(first=Min(field), last=Max(field))
    return (count - 1) / (span["last"] - span["first"]).total_seconds()


def main(mode: str, count: int) -> dict:
    if mode == "simulator":
        began = time.perf_counter()
        for _ in range(count):
            brrrr.simulate(EXAMPLE_INPUT)
        return {"ms_each": (time.perf_counter() - began) * 1000 / count}
    if mode == "inprocess-sends":
        ids = queued_logs(count)
        for log_id in ids:
            notifications.deliver_notification(log_id=log_id)
        return {
            "per_s": rate(NotificationLog.objects.filter(pk__in=ids), "sent_at", count)
        }
    if mode == "celery-sends":
        ids = queued_logs(count)
        for log_id in ids:
            deliver.delay(log_id)
        sent = NotificationLog.objects.filter(pk__in=ids, status="sent")
        return {"per_s": rate(sent, "sent_at", count)}
    if mode == "celery-runs":
        scenario, _ = Scenario.objects.get_or_create(
            key="brrrr_scale_doors", defaults={"name": "BRRRR"}
        )
        runs = ScenarioRun.objects.bulk_create(
            ScenarioRun(
                scenario=scenario, input_payload={**EXAMPLE_INPUT, "doors": 1 + i % 100}
            )
            for i in range(count)
        )
        ids = [run.pk for run in runs]
        for run_id in ids:
            execute_run.delay(run_id)
        done = ScenarioRun.objects.filter(pk__in=ids, status="completed")
        return {"per_s": rate(done, "completed_at", count)}
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
