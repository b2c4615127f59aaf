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


def test_a_run_created_while_the_broker_is_down_completes_once_it_is_back(
    api, celery_worker, redis_url, settings
):
    from conftest import reset_celery_connections
    from valhalla.celery import app

    scenario = services.create_scenario(key="brrrr_scale_doors", name="BRRRR")
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    reset_celery_connections(app)
    response = api.post(
        "/scenarios/runs",
        {"scenario_id": scenario.pk, "input_payload": SEED_INPUT},
        format="json",
    )
    assert response.status_code == 201
    run_id = response.json()["id"]
    assert ScenarioRun.objects.get(pk=run_id).status == "pending"

    app.conf.broker_url = redis_url  # the broker is back
    reset_celery_connections(app)
    settings.SCENARIOS_SWEEP_GRACE_SECONDS = 0
    assert services.sweep_runs() == 1

    assert wait_until(
        lambda: ScenarioRun.objects.get(pk=run_id).status == "completed"
    ), celery_worker.read_text()
    assert ScenarioRun.objects.get(pk=run_id).attempts == 1
