import pytest

from scenarios import services
from scenarios.models import Scenario, ScenarioRun


@pytest.fixture
def staff(client, make_user):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def test_scenarios_are_editable_through_the_service(staff, db):
    bad = staff.post(
        "/admin/scenarios/scenario/add/",
        {"key": "s", "name": "S", "input_schema": '{"type": "nonsense"}'},
    )
    good = staff.post(
        "/admin/scenarios/scenario/add/",
        {"key": "s", "name": "S", "input_schema": '{"type": "object"}'},
    )

    assert bad.status_code == 200
    assert good.status_code == 302, good.content
    assert Scenario.objects.get().input_schema == {"type": "object"}


def test_runs_are_read_only_filtered_and_pretty(staff, what_if):
    run = services.create_run(
        scenario_id=what_if.pk, input_payload={"note": "<i>x</i>", "n": 1}
    )

    changelist = staff.get(
        "/admin/scenarios/scenariorun/", {"status__exact": "pending"}
    )
    detail = staff.get(
        f"/admin/scenarios/scenariorun/{run.pk}/change/"
    ).content.decode()

    assert list(changelist.context["cl"].result_list) == [run]
    assert "&quot;note&quot;: &quot;&lt;i&gt;x&lt;/i&gt;&quot;" in detail
    assert 'name="input_payload"' not in detail
    assert staff.get("/admin/scenarios/scenariorun/add/").status_code == 403


def test_cancel_and_requeue_actions(staff, what_if):
    run = services.create_run(scenario_id=what_if.pk, input_payload={"n": 1})

    staff.post(
        "/admin/scenarios/scenariorun/",
        {"action": "cancel", "_selected_action": [run.pk]},
    )
    staff.post(
        "/admin/scenarios/scenariorun/",
        {"action": "requeue", "_selected_action": [run.pk]},
    )

    assert ScenarioRun.objects.get(pk=run.pk).status == "cancelled"
    assert ScenarioRun.objects.exclude(pk=run.pk).get().input_payload == {"n": 1}


def test_compare_table_is_viewable(staff, what_if):
    runs = services.create_sweep(
        scenario=what_if, base_input={}, vary={"doors": [10, 20]}
    )
    services.transition_run(runs[0], status="completed", result_payload={"irr": 0.12})

    page = staff.get(f"/admin/scenarios/scenario/{what_if.pk}/compare/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "input.doors" in html
    assert "result.irr" in html
    assert "0.12" in html
