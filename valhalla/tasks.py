"""Enqueueing helpers shared by every app, and the project's own tasks."""

from functools import partial

from celery import Task, shared_task
from django.db import transaction


def enqueue(task: Task, *args: object) -> None:
    """Publish ``task(*args)`` once the current transaction commits.

    The database row is the source of truth; the broker only carries the
    wake-up. ``robust`` keeps a broker outage from failing the request: the
    periodic sweeps pick up whatever was not published.
    """
    if task.app.conf.task_always_eager:
        # In-process mode: call the task's body directly, without the tracing,
        # signals and producer checkout of Celery's eager ``apply``.
        transaction.on_commit(partial(task, *args), robust=True)
    else:
        transaction.on_commit(partial(task.delay, *args), robust=True)


@shared_task(name="valhalla.ping")
def ping() -> str:
    """Answer "pong": proves a worker consumes from the broker."""
    return "pong"
