import csv
import io

import pytest

from scenarios import services
from scenarios.models import Scenario, ScenarioRun
from scenarios.tests.conftest import SEED_INPUT
from timeline.models import EventLog


def post(client, path, body=None, **extra):
    return client.post(path, body, format="json", **extra)


def patch(client, path, body):
    return client.patch(path, body, format="json")


# --- The seed's PACK AI test list -----------------------------------------------------


def test_create_scenario(api, db):
    response = post(
        api,
        "/scenarios/",
        {
            "key": "brrrr_scale_doors",
            "name": "BRRRR Scaling: Door Count Analysis",
            "description": "Simulate BRRRR ROI at different door counts",
            "created_by": "heimdall",
        },
    )

    assert response.status_code == 201
    assert response.json()["has_simulator"] is True
    assert Scenario.objects.get().created_by == "heimdall"


def test_list_scenarios_newest_first(api, what_if, brrrr):
    assert [s["key"] for s in api.get("/scenarios/").json()] == [brrrr.key, what_if.key]


def test_get_scenario_by_key(api, what_if):
    response = api.get("/scenarios/by-key/wholesale_analysis")

    assert response.status_code == 200
    assert response.json()["id"] == what_if.pk
    assert api.get(f"/scenarios/{what_if.pk}").json() == response.json()


def test_get_unknown_scenario_is_a_404(api, db):
    assert api.get("/scenarios/by-key/nope").status_code == 404
    assert api.get("/scenarios/999").status_code == 404


def test_create_run_is_pending(api, what_if):
    response = post(
        api,
        "/scenarios/runs",
        {"scenario_id": what_if.pk, "input_payload": {"doors": 50}},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["scenario_id"], body["input_payload"]) == (
        "pending",
        what_if.pk,
        {"doors": 50},
    )
    assert body["result_payload"] is None


def test_update_run_with_results(api, what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={"doors": 50})
    result = {
        "total_investment": 5250000,
        "feasibility": "green",
        "notes": "Strong returns",
    }

    response = patch(
        api,
        f"/scenarios/runs/{run.pk}",
        {"status": "completed", "result_payload": result},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["result_payload"]) == ("completed", result)
    assert body["completed_at"] is not None


def test_update_run_with_an_error(api, what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={})

    response = patch(
        api,
        f"/scenarios/runs/{run.pk}",
        {"status": "failed", "error_message": "No data"},
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error_message"]) == (
        "failed",
        "No data",
    )
    assert response.json()["completed_at"] is not None


def test_list_runs_for_a_scenario_newest_first(
    api, what_if, brrrr, django_capture_on_commit_callbacks
):
    runs = [
        services.create_run(scenario_id=what_if.pk, input_payload={"n": i})
        for i in range(3)
    ]
    services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)

    response = api.get(f"/scenarios/runs/by-scenario/{what_if.pk}")

    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [r.pk for r in reversed(runs)]
    assert len(api.get(f"/scenarios/runs/by-scenario/{what_if.pk}?limit=2").json()) == 2
    assert api.get("/scenarios/runs/by-scenario/9999").status_code == 404


def test_status_transitions_pending_running_completed(api, what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={})

    running = patch(api, f"/scenarios/runs/{run.pk}", {"status": "running"}).json()
    done = patch(
        api,
        f"/scenarios/runs/{run.pk}",
        {"status": "completed", "result_payload": {"ok": True}},
    ).json()

    assert running["status"] == "running"
    assert running["started_at"] is not None
    assert running["completed_at"] is None
    assert done["status"] == "completed"
    assert done["completed_at"] >= done["started_at"]
    titles = list(
        EventLog.objects.filter(entity_type="scenario_run", entity_id=str(run.pk))
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert titles == [
        f"Run {run.pk}: pending → running",
        f"Run {run.pk}: running → completed",
    ]


def test_complex_nested_json_is_stored_exactly(api, what_if):
    payload = {
        **SEED_INPUT,
        "markets": [
            {"city": "Austin", "weights": [0.5, 0.25, 1e-9]},
            {"city": "Tulsa", "tags": []},
        ],
        "flags": {
            "deep": {"deeper": {"deepest": [None, True, False, "ü", 12345678901234]}}
        },
    }

    body = post(
        api, "/scenarios/runs", {"scenario_id": what_if.pk, "input_payload": payload}
    ).json()
    result = {"matrix": [[1, 2], [3, 4]], "summary": {"irr": 0.22, "notes": None}}
    patch(
        api,
        f"/scenarios/runs/{body['id']}",
        {"status": "completed", "result_payload": result},
    )

    stored = ScenarioRun.objects.get(pk=body["id"])
    assert stored.input_payload == payload
    assert stored.result_payload == result
    assert api.get(f"/scenarios/runs/{body['id']}").json()["input_payload"] == payload


def test_update_unknown_run_is_a_404(api, db):
    assert patch(api, "/scenarios/runs/99999", {"status": "running"}).status_code == 404


def test_scenarios_and_their_runs_are_isolated(api, db):
    a = services.create_scenario(key="a", name="A")
    b = services.create_scenario(key="b", name="B")
    run_a = services.create_run(scenario_id=a.pk, input_payload={"x": 1})
    run_b = services.create_run(scenario_id=b.pk, input_payload={"x": 2})
    patch(api, f"/scenarios/runs/{run_a.pk}", {"status": "cancelled"})

    assert [r["id"] for r in api.get(f"/scenarios/runs/by-scenario/{a.pk}").json()] == [
        run_a.pk
    ]
    assert [r["id"] for r in api.get(f"/scenarios/runs/by-scenario/{b.pk}").json()] == [
        run_b.pk
    ]
    assert ScenarioRun.objects.get(pk=run_b.pk).status == "pending"


# --- Validation and the state machine ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "name": "x"}, "key"),
        ({"key": "k", "name": ""}, "name"),
        (
            {"key": "k", "name": "x", "input_schema": {"type": "nonsense"}},
            "input_schema",
        ),
        ({"key": "k", "name": "x", "input_schema": [1]}, "input_schema"),
    ],
)
def test_invalid_scenario_is_a_400_naming_the_field(api, db, body, field):
    response = post(api, "/scenarios/", body)

    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_scenario_key_is_a_400(api, what_if):
    assert (
        "key" in post(api, "/scenarios/", {"key": what_if.key, "name": "again"}).json()
    )


def test_input_schema_refuses_runs_naming_path_and_rule(api, db):
    schema = {
        "type": "object",
        "required": ["doors"],
        "properties": {
            "doors": {"type": "integer", "minimum": 1},
            "financing": {
                "type": "object",
                "properties": {"rate": {"type": "number", "maximum": 1}},
            },
        },
    }
    scenario = services.create_scenario(key="s", name="S", input_schema=schema)

    bad = post(
        api,
        "/scenarios/runs",
        {
            "scenario_id": scenario.pk,
            "input_payload": {"doors": 0, "financing": {"rate": 4.5}},
        },
    )
    missing = post(
        api, "/scenarios/runs", {"scenario_id": scenario.pk, "input_payload": {}}
    )

    assert bad.status_code == 400
    messages = bad.json()["input_payload"]
    assert any("input_payload.doors" in m and "(minimum)" in m for m in messages)
    assert any(
        "input_payload.financing.rate" in m and "(maximum)" in m for m in messages
    )
    assert (
        "'doors' is a required property (required)"
        in missing.json()["input_payload"][0]
    )
    assert not ScenarioRun.objects.exists()


def test_builtin_simulator_schema_applies_without_a_scenario_schema(api, brrrr):
    response = post(
        api,
        "/scenarios/runs",
        {"scenario_id": brrrr.pk, "input_payload": {**SEED_INPUT, "doors": -1}},
    )

    assert response.status_code == 400
    assert "input_payload.doors" in response.json()["input_payload"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scenario_id": 999, "input_payload": {}}, "scenario_id"),
        ({"scenario_id": "x", "input_payload": {}}, "scenario_id"),
        ({"input_payload": {}}, "scenario_id"),
        ({"scenario_id": 1}, "input_payload"),
        ({"scenario_id": 1, "input_payload": {"a": "\x00"}}, "input_payload"),
    ],
)
def test_invalid_run_is_a_400_naming_the_field(api, what_if, body, field):
    body = {**body, "scenario_id": what_if.pk} if body.get("scenario_id") == 1 else body

    response = post(api, "/scenarios/runs", body)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("path", "to"),
    [
        (["completed"], "running"),
        (["completed"], "pending"),
        (["failed"], "completed"),
        (["cancelled"], "running"),
        (["running"], "running"),
        ([], "pending"),
    ],
)
def test_illegal_transitions_are_a_409_naming_from_and_to(api, what_if, path, to):
    run = services.create_run(scenario_id=what_if.pk, input_payload={})
    for status in path:
        assert (
            patch(api, f"/scenarios/runs/{run.pk}", {"status": status}).status_code
            == 200
        )
    before = ScenarioRun.objects.get(pk=run.pk).status

    response = patch(api, f"/scenarios/runs/{run.pk}", {"status": to})

    assert response.status_code == 409
    assert f"from {before} to {to}" in response.json()["detail"]
    assert ScenarioRun.objects.get(pk=run.pk).status == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "failed", "result_payload": {"x": 1}}, "result_payload"),
        ({"status": "completed", "error_message": "boom"}, "error_message"),
        ({"status": "running", "input_payload": {"doors": 1}}, "input_payload"),
        ({"input_payload": {"doors": 1}}, "input_payload"),
        ({"result_payload": {"x": 1}}, "status"),
        ({"status": "exploded"}, "status"),
        ({"status": "completed", "surprise": 1}, "surprise"),
    ],
)
def test_bad_updates_are_a_400_naming_the_field(api, what_if, body, field):
    run = services.create_run(scenario_id=what_if.pk, input_payload={"doors": 50})

    response = patch(api, f"/scenarios/runs/{run.pk}", body)

    assert response.status_code == 400
    assert field in response.json()
    stored = ScenarioRun.objects.get(pk=run.pk)
    assert (stored.status, stored.input_payload) == ("pending", {"doors": 50})


def test_idempotency_key_on_run_creation(api, what_if):
    body = {"scenario_id": what_if.pk, "input_payload": {"doors": 1}}

    first = post(api, "/scenarios/runs", body, HTTP_IDEMPOTENCY_KEY="run-1")
    again = post(api, "/scenarios/runs", body, HTTP_IDEMPOTENCY_KEY="run-1")
    other = post(
        api,
        "/scenarios/runs",
        {**body, "input_payload": {"doors": 2}},
        HTTP_IDEMPOTENCY_KEY="run-1",
    )

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 409
    assert ScenarioRun.objects.count() == 1


def test_run_list_filters_and_pages(api, what_if, brrrr):
    for i in range(5):
        services.create_run(scenario_id=what_if.pk, input_payload={"i": i})
    services.create_run(scenario_id=brrrr.pk, input_payload=SEED_INPUT)

    page = api.get(f"/scenarios/runs/?scenario={what_if.pk}&limit=3").json()
    rest = api.get(page["next"]).json()

    assert len(page["results"]) == 3
    assert len(rest["results"]) == 2
    assert rest["next"] is None
    assert len(api.get("/scenarios/runs/?status=pending").json()["results"]) == 6
    assert api.get("/scenarios/runs/?status=bogus").status_code == 400


# --- External workers -------------------------------------------------------------------


def test_claim_takes_the_oldest_pending_run_then_204(api, what_if):
    first = services.create_run(scenario_id=what_if.pk, input_payload={"n": 1})
    services.create_run(scenario_id=what_if.pk, input_payload={"n": 2})

    claimed = post(
        api,
        "/scenarios/runs/claim",
        {"worker": "w1", "scenario_key": "wholesale_analysis", "lease_seconds": 60},
    )
    post(api, "/scenarios/runs/claim", {"worker": "w2"})
    none_left = post(api, "/scenarios/runs/claim", {"worker": "w3"})

    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["id"], body["status"], body["worker"], body["attempts"]) == (
        first.pk,
        "running",
        "w1",
        1,
    )
    assert body["lease_expires_at"] is not None
    assert none_left.status_code == 204


def test_claim_needs_a_worker_name(api, what_if):
    assert "worker" in post(api, "/scenarios/runs/claim", {}).json()


def test_heartbeat_extends_the_lease_of_its_own_worker_only(api, what_if):
    services.create_run(scenario_id=what_if.pk, input_payload={})
    run = post(
        api, "/scenarios/runs/claim", {"worker": "w1", "lease_seconds": 10}
    ).json()

    extended = post(
        api,
        f"/scenarios/runs/{run['id']}/heartbeat",
        {"worker": "w1", "lease_seconds": 600},
    ).json()
    stolen = post(api, f"/scenarios/runs/{run['id']}/heartbeat", {"worker": "w2"})

    assert extended["lease_expires_at"] > run["lease_expires_at"]
    assert stolen.status_code == 409


def test_cancel(api, what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={})

    response = post(api, f"/scenarios/runs/{run.pk}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["completed_at"] is not None
    assert post(api, f"/scenarios/runs/{run.pk}/cancel").status_code == 409
    assert post(api, f"/scenarios/runs/{run.pk}/heartbeat", {}).status_code == 409


# --- Sweeps and comparison -------------------------------------------------------------


def test_sweep_creates_one_run_per_combination(api, what_if):
    body = {
        "base_input": SEED_INPUT,
        "vary": {"doors": [10, 25, 50, 100], "financing.interest_rate": [0.04, 0.06]},
    }

    response = post(api, f"/scenarios/{what_if.pk}/sweep", body)

    assert response.status_code == 201
    runs = response.json()
    assert len(runs) == 8
    combos = {
        (r["input_payload"]["doors"], r["input_payload"]["financing"]["interest_rate"])
        for r in runs
    }
    assert combos == {(d, r) for d in (10, 25, 50, 100) for r in (0.04, 0.06)}
    assert all(r["input_payload"]["financing"]["term_years"] == 30 for r in runs)


def test_sweep_is_capped_and_all_or_nothing(api, what_if, brrrr):
    too_many = post(
        api,
        f"/scenarios/{what_if.pk}/sweep",
        {"vary": {"a": list(range(100)), "b": list(range(11))}},
    )
    invalid = post(
        api,
        f"/scenarios/{brrrr.pk}/sweep",
        {"base_input": SEED_INPUT, "vary": {"doors": [10, -5]}},
    )

    assert too_many.status_code == 400
    assert "at most 1000" in too_many.json()["vary"][0]
    assert invalid.status_code == 400
    assert "1" in invalid.json()["combinations"]
    assert not ScenarioRun.objects.exists()


def test_compare_as_json_and_csv(api, what_if):
    runs = services.create_sweep(
        scenario=what_if, base_input={"rate": 0.05}, vary={"doors": [10, 20]}
    )
    services.transition_run(
        runs[0], status="completed", result_payload={"irr": 0.1, "ok": True}
    )

    table = api.get(
        f"/scenarios/{what_if.pk}/compare?runs={runs[0].pk},{runs[1].pk}"
    ).json()
    text = api.get(f"/scenarios/{what_if.pk}/compare", HTTP_ACCEPT="text/csv")

    assert table["columns"] == [
        "run_id",
        "status",
        "input.doors",
        "input.rate",
        "result.irr",
        "result.ok",
    ]
    assert table["rows"] == [
        [runs[0].pk, "completed", 10, 0.05, 0.1, True],
        [runs[1].pk, "pending", 20, 0.05, None, None],
    ]
    assert text["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text.content.decode())))
    assert rows[0] == table["columns"]
    assert rows[1][:3] == [str(runs[0].pk), "completed", "10"]
    assert api.get(f"/scenarios/{what_if.pk}/compare?runs=a,b").status_code == 400


@pytest.mark.parametrize("value", ["-6.8e+191", "1.5", "99999999999999999999999", "x"])
def test_bad_scenario_filter_is_a_400(api, db, value):
    response = api.get("/scenarios/runs/", {"scenario": value})

    assert response.status_code == 400
    assert "scenario" in response.json()
