import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scenarios import services


@pytest.fixture
def run(what_if):
    return services.create_run(scenario_id=what_if.pk, input_payload={"n": 1})


READS = [
    "/scenarios/",
    "/scenarios/{scenario}",
    "/scenarios/by-key/wholesale_analysis",
    "/scenarios/runs/",
    "/scenarios/runs/{run}",
    "/scenarios/runs/by-scenario/{scenario}",
    "/scenarios/{scenario}/compare",
]


def fill(path, run):
    return path.format(scenario=run.scenario_id, run=run.pk)


@pytest.mark.parametrize("path", READS)
def test_reads_need_credentials_and_nothing_more(anonymous, reader, run, path):
    assert anonymous.get(fill(path, run)).status_code == 401
    assert reader.get(fill(path, run)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "perm"),
    [
        ("post", "/scenarios/", {"key": "k", "name": "K"}, "scenarios.add_scenario"),
        (
            "post",
            "/scenarios/runs",
            {"scenario_id": "{scenario}", "input_payload": {}},
            "scenarios.add_scenariorun",
        ),
        (
            "patch",
            "/scenarios/runs/{run}",
            {"status": "running"},
            "scenarios.change_scenariorun",
        ),
        (
            "post",
            "/scenarios/runs/claim",
            {"worker": "w"},
            "scenarios.change_scenariorun",
        ),
        ("post", "/scenarios/runs/{run}/cancel", {}, "scenarios.change_scenariorun"),
        (
            "post",
            "/scenarios/{scenario}/sweep",
            {"vary": {"n": [1]}},
            "scenarios.add_scenariorun",
        ),
    ],
)
def test_writes_need_their_model_permission(
    anonymous, reader, make_user, client_for, run, method, path, body, perm
):
    path = fill(path, run)
    body = {k: (run.scenario_id if v == "{scenario}" else v) for k, v in body.items()}

    assert getattr(anonymous, method)(path, body, format="json").status_code == 401
    assert getattr(reader, method)(path, body, format="json").status_code == 403
    allowed = client_for(make_user("writer", perms=[perm]))
    assert getattr(allowed, method)(path, body, format="json").status_code in (200, 201)


@pytest.mark.parametrize("path", READS)
def test_query_counts_do_not_grow_with_rows(api, run, path):
    def count():
        api.get(fill(path, run))  # the token is looked up once, then cached
        with CaptureQueriesContext(connection) as queries:
            assert api.get(fill(path, run)).status_code == 200
        return len(queries)

    small = count()
    scenario = run.scenario
    services.create_sweep(scenario=scenario, base_input={}, vary={"n": list(range(40))})
    for i in range(10):
        services.create_scenario(key=f"s{i}", name="S")

    assert count() == small <= 2
