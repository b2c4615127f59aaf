"""Many workers, real commits on PostgreSQL: every run executed exactly once."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from scenarios import services
from scenarios.models import ScenarioRun
from timeline.models import EventLog

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_workers_claim_two_hundred_runs_each_exactly_once(postgresql):
    scenario = services.create_scenario(key="external", name="External")
    runs = services.create_sweep(
        scenario=scenario, base_input={}, vary={"n": list(range(200))}
    )
    barrier = threading.Barrier(8)

    def work(index: int) -> list[int]:
        name = f"worker-{index}"
        done = []
        barrier.wait()
        try:
            while (
                run := services.claim_run(worker=name, lease_seconds=60)
            ) is not None:
                services.transition_run(
                    run, status="completed", result_payload={"by": name}
                )
                done.append(run.pk)
        finally:
            connections.close_all()
        return done

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))

    executed = Counter(pk for done in results for pk in done)
    assert sorted(executed) == sorted(run.pk for run in runs)
    assert set(executed.values()) == {1}
    assert sum(1 for done in results if done) > 1  # the work was shared
    assert set(ScenarioRun.objects.values_list("status", flat=True)) == {"completed"}
    assert (
        EventLog.objects.filter(
            entity_type="scenario_run", event_type="status_changed"
        ).count()
        == 400
    )


def test_concurrent_identical_creates_with_one_key_make_one_run(api, postgresql):
    scenario = services.create_scenario(key="external", name="External")
    barrier = threading.Barrier(10)
    body = {"scenario_id": scenario.pk, "input_payload": {"doors": 1}}

    def create(_):
        barrier.wait()
        try:
            return api.post(
                "/scenarios/runs", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(create, range(10)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert ScenarioRun.objects.count() == 1
