import socket

from celery import shared_task

from scenarios import services


@shared_task(name="scenarios.execute_run", bind=True)
def execute_run(self, run_id: int) -> None:
    worker = self.request.hostname or f"celery@{socket.gethostname()}"
    services.execute_run(run_id=run_id, worker=worker)


@shared_task(name="scenarios.sweep_runs")
def sweep_runs() -> int:
    return services.sweep_runs()
