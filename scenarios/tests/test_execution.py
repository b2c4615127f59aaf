"""Built-in simulators executed after commit, leases, sweeps and the commands."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scenarios import services
from scenarios.models import ScenarioRun
from scenarios.tests.conftest import SEED_INPUT
from timeline.models import EventLog


def test_a_builtin_run_is_executed_after_commit(
    brrrr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)
        assert ScenarioRun.objects.get(pk=run.pk).status == "pending"

    run.refresh_from_db()
    assert len(callbacks) == 1
    assert run.status == "completed"
    assert run.result_payload["total_investment"] == 5_250_000
    assert run.attempts == 1
    assert run.worker
    assert list(
        EventLog.objects.filter(entity_type="scenario_run", entity_id=str(run.pk))
        .order_by("id")
        .values_list("payload__to", flat=True)
    ) == ["running", "completed"]


def test_runs_without_a_simulator_wait_for_an_external_worker(
    what_if, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.create_run(scenario_id=what_if.pk, input_payload={})

    assert callbacks == []
    assert ScenarioRun.objects.get(pk=run.pk).status == "pending"


def test_a_simulation_error_fails_the_run_with_its_message(
    brrrr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.create_run(
            scenario_id=brrrr.pk, input_payload={**SEED_INPUT, "doors": 0}
        )

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_message == "doors is 0: there is nothing to simulate."
    assert run.completed_at is not None


def test_an_unexpected_input_fails_cleanly_without_a_traceback(
    db, django_capture_on_commit_callbacks
):
    scenario = services.create_scenario(
        key="brrrr_scale_doors", name="BRRRR", input_schema={"type": "object"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.create_run(scenario_id=scenario.pk, input_payload={"doors": 5})

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_message.startswith(
        "The simulator could not use this input: KeyError"
    )
    assert "Traceback" not in run.error_message


def test_executing_twice_computes_once(brrrr):
    run = services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)

    first = services.execute_run(run_id=run.pk, worker="a")
    second = services.execute_run(run_id=run.pk, worker="b")

    assert first.status == "completed"
    assert second is None
    assert ScenarioRun.objects.get(pk=run.pk).worker == "a"


def test_a_cancelled_run_is_not_executed(brrrr):
    run = services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)
    services.cancel_run(run)

    assert services.execute_run(run_id=run.pk, worker="a") is None
    assert ScenarioRun.objects.get(pk=run.pk).status == "cancelled"


def test_a_worker_that_stops_heartbeating_loses_its_run_to_another(what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={})
    taken = services.claim_run(worker="crashed", lease_seconds=1)
    assert taken.pk == run.pk

    assert services.expire_leases() == 0  # the lease still holds
    time.sleep(1.1)
    assert services.expire_leases() == 1
    assert ScenarioRun.objects.get(pk=run.pk).status == "pending"

    retaken = services.claim_run(worker="healthy")
    services.transition_run(retaken, status="completed", result_payload={"ok": True})
    run.refresh_from_db()
    assert (run.status, run.worker, run.attempts) == ("completed", "healthy", 2)
    with pytest.raises(services.Conflict):
        services.transition_run(run, status="running", worker="crashed")


def test_a_run_that_keeps_losing_its_lease_fails(what_if, settings):
    settings.SCENARIOS_MAX_ATTEMPTS = 2
    run = services.create_run(scenario_id=what_if.pk, input_payload={})
    for _ in range(2):
        services.claim_run(worker="flaky", lease_seconds=1)
        ScenarioRun.objects.filter(pk=run.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        services.expire_leases()

    run.refresh_from_db()
    assert run.status == "failed"
    assert "Lease expired after 2 attempts" in run.error_message


def test_the_sweep_reenqueues_stale_pending_builtin_runs(brrrr, settings):
    settings.SCENARIOS_SWEEP_GRACE_SECONDS = 60
    run = services.create_run(
        scenario_id=brrrr.pk, input_payload=SEED_INPUT
    )  # commit never comes
    assert services.sweep_runs() == 0

    ScenarioRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.sweep_runs() == 1

    assert ScenarioRun.objects.get(pk=run.pk).status == "completed"


def test_requeue(brrrr, django_capture_on_commit_callbacks):
    run = services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)
    services.cancel_run(run)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.requeue_run(run)

    assert again.pk != run.pk
    again.refresh_from_db()
    assert (again.status, again.input_payload) == ("completed", SEED_INPUT)
    with pytest.raises(services.Conflict):
        services.requeue_run(again)


@pytest.mark.django_db(transaction=True)
def test_create_run_command_waits_for_the_result(brrrr):
    out = StringIO()

    call_command(
        "create_run",
        "brrrr_scale_doors",
        "--timeout",
        "20",
        "--input",
        '{"doors": 2, "purchase_price_per_door": 1, "rehab_budget_per_door": 1, "target_roi_percent": 1, "financing": {"down_payment_percent": 0.2, "interest_rate": 0.05, "term_years": 30}}',
        "--wait",
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    run = ScenarioRun.objects.get()
    assert lines[0] == f"{run.pk} completed"
    assert '"total_investment": 4.0' in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--input", "{}"], "No scenario with key 'nope'"),
        (["brrrr_scale_doors", "--input", "{x"], "not valid JSON"),
        (["brrrr_scale_doors", "--input", "{}"], "required property"),
    ],
)
def test_create_run_command_errors(brrrr, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_run", *args, stdout=StringIO())


def test_run_worker_executes_pending_builtin_runs(brrrr, what_if):
    for doors in (10, 20):
        services.create_run(
            scenario_id=brrrr.pk, input_payload={**SEED_INPUT, "doors": doors}
        )
    waiting = services.create_run(scenario_id=what_if.pk, input_payload={})
    out = StringIO()

    call_command("run_worker", stdout=out)

    assert out.getvalue().splitlines()[-1] == "executed 2"
    assert set(
        ScenarioRun.objects.filter(scenario=brrrr).values_list("status", flat=True)
    ) == {"completed"}
    assert ScenarioRun.objects.get(pk=waiting.pk).status == "pending"
