"""End to end through Redis and a real ``celery worker`` process."""

from conftest import wait_until
from scenarios import services
from scenarios.models import ScenarioRun
from scenarios.tests.conftest import SEED_INPUT


def test_a_brrrr_run_is_completed_by_a_celery_worker(api, celery_worker):
    scenario = services.create_scenario(key="brrrr_scale_doors", name="BRRRR")

    response = api.post(
        "/scenarios/runs",
        {"scenario_id": scenario.pk, "input_payload": SEED_INPUT},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    run_id = response.json()["id"]
    assert wait_until(
        lambda: ScenarioRun.objects.get(pk=run_id).status == "completed"
    ), celery_worker.read_text()
    run = ScenarioRun.objects.get(pk=run_id)
    assert run.result_payload["total_investment"] == 5_250_000
    assert run.result_payload["total_debt"] == 3_937_500
    assert run.worker.startswith("worker@")  # the Celery worker's name
