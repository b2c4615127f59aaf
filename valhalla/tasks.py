"""Enqueueing helpers shared by every app, and the project's own tasks."""

from celery import Task, shared_task
from django.db import transaction


def enqueue(task: Task, *args: object) -> None:
    """Publish ``task(*args)`` once the current transaction commits.

    The database row is the source of truth; the broker only carries the
    wake-up. ``robust`` keeps a broker outage from failing the request: the
    periodic sweeps pick up whatever was not published.
    """
    in_process = task.app.conf.task_always_eager

    def run_or_publish() -> None:
        if in_process:
            # Call the task's body directly, without the tracing, signals and
            # producer checkout of Celery's eager ``apply``.
            task(*args)
        else:
            task.delay(*args)

    # A named function, not a partial: Django names it when it logs a failure.
    run_or_publish.__qualname__ = f"enqueue({task.name})"
    transaction.on_commit(run_or_publish, robust=True)


@shared_task(name="valhalla.ping")
def ping() -> str:
    """Answer "pong": proves a worker consumes from the broker."""
    return "pong"
