"""Every write of the scenarios app: definitions, runs and their lifecycle.

    from scenarios.services import create_run

    run = create_run(scenario_id=scenario.id, input_payload={"doors": 50, ...})

Runs move through one state machine, ``transition_run``::

    pending → running | completed | failed | cancelled
    running → completed | failed | cancelled, or back to pending when its lease expires

Runs of a scenario with a built-in simulator are executed by Celery after
commit; the others wait for an external worker to ``claim_run`` them.
"""

import itertools
import logging
from collections.abc import Mapping
from copy import deepcopy
from datetime import timedelta
from typing import Any

import jsonschema
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as InvalidItems

from scenarios import simulators
from scenarios.models import Scenario, ScenarioRun
from timeline.services import record_event
from valhalla import idempotency
from valhalla.exceptions import Conflict

logger = logging.getLogger(__name__)

Status = ScenarioRun.Status
ALLOWED = {
    Status.PENDING: {Status.RUNNING, Status.COMPLETED, Status.FAILED, Status.CANCELLED},
    Status.RUNNING: {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.PENDING},
}
MAX_SWEEP = 1000


# --- Scenarios ----------------------------------------------------------------


def create_scenario(
    *,
    key: str,
    name: str,
    description: str = "",
    created_by: str = "",
    input_schema: Mapping[str, Any] | None = None,
) -> Scenario:
    scenario = Scenario(
        key=key,
        name=name,
        description=description,
        created_by=created_by,
        input_schema=dict(input_schema) if input_schema is not None else None,
    )
    return save_scenario(scenario)


def save_scenario(scenario: Scenario) -> Scenario:
    """Validate and store a new or edited scenario (the admin saves through here)."""
    scenario.full_clean(validate_unique=False)
    if scenario.input_schema is not None:
        check_schema(scenario.input_schema)
    try:
        with transaction.atomic():
            scenario.save()
    except IntegrityError:
        raise ValidationError(
            {"key": f"A scenario with key {scenario.key!r} exists."}
        ) from None
    return scenario


def check_schema(schema: Any) -> None:
    if not isinstance(schema, dict):
        raise ValidationError({"input_schema": "Must be a JSON Schema object."})
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError(
            {"input_schema": f"Not a valid JSON Schema: {exc.message}"}
        ) from None


def input_schema_for(scenario: Scenario) -> dict[str, Any] | None:
    """The scenario's own schema, else its built-in simulator's."""
    if scenario.input_schema is not None:
        return scenario.input_schema
    simulator = simulators.get(scenario.key)
    return simulator.input_schema if simulator else None


def validate_input(scenario: Scenario, payload: Any) -> None:
    """Raise ``ValidationError`` naming the path and rule the payload breaks."""
    schema = input_schema_for(scenario)
    if schema is None:
        return
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems = sorted(
        validator.iter_errors(payload), key=lambda e: list(e.absolute_path)
    )
    if problems:
        raise ValidationError(
            {"input_payload": [_describe(problem) for problem in problems[:20]]}
        )


def _describe(error: jsonschema.ValidationError) -> str:
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in error.absolute_path
    )
    return f"input_payload{path}: {error.message} ({error.validator})"


# --- Runs: creation -----------------------------------------------------------


def create_run(
    *,
    scenario_id: int,
    input_payload: Mapping[str, Any],
    idempotency_key: str | None = None,
) -> ScenarioRun:
    """Store a pending run; a built-in simulator executes it after commit.

    A repeat with the same ``idempotency_key`` and request returns the first
    run; the same key with another request raises ``Conflict``.
    """
    scenario = Scenario.objects.filter(pk=scenario_id).first()
    if scenario is None:
        raise ValidationError({"scenario_id": f"No scenario with id {scenario_id}."})
    request_hash = idempotency.request_hash(scenario_id, input_payload)
    if idempotency_key and (run := _replay(idempotency_key, request_hash)):
        return run
    validate_input(scenario, input_payload)
    run = ScenarioRun(
        scenario=scenario,
        input_payload=input_payload,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    run.full_clean(validate_unique=False, exclude=["scenario"])
    stored = idempotency.insert_once(
        run, lambda: _replay(idempotency_key, request_hash)
    )
    if stored is run:
        _enqueue_execution(run)
    return stored


def create_sweep(
    *, scenario: Scenario, base_input: Mapping[str, Any], vary: Mapping[str, list[Any]]
) -> list[ScenarioRun]:
    """One run per combination of ``vary``'s values over ``base_input``, at once.

    Keys of ``vary`` are dotted paths into the input (``financing.interest_rate``).
    """
    if not vary:
        raise ValidationError({"vary": "Name at least one input to vary."})
    for path, values in vary.items():
        if not isinstance(values, list) or not values:
            raise ValidationError(
                {"vary": f"{path!r} needs a non-empty list of values."}
            )
    count = 1
    for values in vary.values():
        count *= len(values)
    if count > MAX_SWEEP:
        raise ValidationError(
            {"vary": f"{count} combinations; a sweep makes at most {MAX_SWEEP} runs."}
        )
    payloads = []
    errors = {}
    for index, combination in enumerate(itertools.product(*vary.values())):
        payload = deepcopy(dict(base_input))
        for path, value in zip(vary, combination, strict=True):
            _check_path(payload, path)
            _assign(payload, path.split("."), value)
        try:
            validate_input(scenario, payload)
        except ValidationError as exc:
            errors[index] = exc.message_dict["input_payload"]
        payloads.append(payload)
    if errors:
        raise InvalidItems({"combinations": errors})
    with transaction.atomic():
        runs = ScenarioRun.objects.bulk_create(
            ScenarioRun(scenario=scenario, input_payload=payload)
            for payload in payloads
        )
        for run in runs:
            _enqueue_execution(run)
    return runs


def _check_path(payload: dict, path: str) -> None:
    if not path or any(not part for part in path.split(".")):
        raise ValidationError({"vary": f"{path!r} is not a dotted path like 'a.b'."})


def _assign(payload: dict, parts: list[str], value: Any) -> None:
    target = payload
    for part in parts[:-1]:
        child = target.get(part)
        if child is None:
            child = target[part] = {}
        if not isinstance(child, dict):
            raise ValidationError(
                {"vary": f"{'.'.join(parts)!r} goes through a non-object."}
            )
        target = child
    target[parts[-1]] = value


def _replay(idempotency_key: str, request_hash: str) -> ScenarioRun | None:
    run = ScenarioRun.objects.filter(idempotency_key=idempotency_key).first()
    if run is not None and run.request_hash != request_hash:
        raise Conflict(
            f"Idempotency-Key {idempotency_key!r} was already used for run {run.pk} "
            "with a different request."
        )
    return run


def _enqueue_execution(run: ScenarioRun, *, after_commit: bool = True) -> None:
    from scenarios.tasks import execute_run
    from valhalla.tasks import enqueue

    if simulators.get(run.scenario.key) is None:
        return
    if after_commit:
        enqueue(execute_run, run.pk)
    else:
        execute_run.delay(run.pk)


# --- Runs: the state machine --------------------------------------------------


def transition_run(
    run: ScenarioRun,
    *,
    status: str,
    result_payload: Any = None,
    error_message: str | None = None,
    worker: str | None = None,
    lease_seconds: int | None = None,
) -> ScenarioRun:
    """Move ``run`` to ``status``; the one place the lifecycle's rules live.

    Raises ``Conflict`` for a transition the state machine does not allow and
    ``ValidationError`` for a result without ``completed`` or an error message
    without ``failed``.
    """
    if result_payload is not None and status != Status.COMPLETED:
        raise ValidationError({"result_payload": "Only a completed run has a result."})
    if error_message and status != Status.FAILED:
        raise ValidationError(
            {"error_message": "Only a failed run has an error message."}
        )
    with transaction.atomic():
        run = (
            ScenarioRun.objects.select_for_update()
            .select_related("scenario")
            .get(pk=run.pk)
        )
        previous = run.status
        if status not in ALLOWED.get(previous, set()):
            raise Conflict(f"Run {run.pk} cannot go from {previous} to {status}.")
        now = timezone.now()
        run.status = status
        if status == Status.RUNNING:
            run.started_at = now
            run.attempts += 1
            run.worker = worker or ""
            run.lease_expires_at = now + timedelta(
                seconds=lease_seconds or settings.SCENARIOS_LEASE_SECONDS
            )
        elif status == Status.PENDING:
            run.worker = ""
            run.lease_expires_at = None
        else:
            run.completed_at = now
            run.lease_expires_at = None
            run.result_payload = result_payload
            run.error_message = error_message or ""
        run.full_clean(validate_unique=False, exclude=["scenario"])
        run.save()
        record_event(
            entity_type="scenario_run",
            entity_id=str(run.pk),
            event_type="status_changed",
            source="scenarios",
            title=f"Run {run.pk}: {previous} → {status}",
            description=run.error_message,
            payload={"scenario": run.scenario.key, "from": previous, "to": status},
        )
    return run


def claim_run(
    *, worker: str, scenario_key: str | None = None, lease_seconds: int | None = None
) -> ScenarioRun | None:
    """Atomically take the oldest pending run (of ``scenario_key``) and start it.

    Rows already locked by another claimer are skipped, so N workers never take
    the same run. None when nothing is pending.
    """
    with transaction.atomic():
        pending = ScenarioRun.objects.select_for_update(skip_locked=True, of=("self",))
        pending = pending.filter(status=Status.PENDING)
        if scenario_key is not None:
            pending = pending.filter(scenario__key=scenario_key)
        run = pending.order_by("created_at", "id").first()
        if run is None:
            return None
        return transition_run(
            run, status=Status.RUNNING, worker=worker, lease_seconds=lease_seconds
        )


def heartbeat(
    run: ScenarioRun, *, worker: str | None = None, lease_seconds: int | None = None
) -> ScenarioRun:
    """Extend a running run's lease; only its own worker may."""
    with transaction.atomic():
        run = ScenarioRun.objects.select_for_update().get(pk=run.pk)
        if run.status != Status.RUNNING:
            raise Conflict(f"Run {run.pk} is {run.status}, not running.")
        if worker and run.worker and worker != run.worker:
            raise Conflict(f"Run {run.pk} is held by {run.worker!r}, not {worker!r}.")
        run.lease_expires_at = timezone.now() + timedelta(
            seconds=lease_seconds or settings.SCENARIOS_LEASE_SECONDS
        )
        run.save(update_fields=["lease_expires_at"])
    return run


def cancel_run(run: ScenarioRun) -> ScenarioRun:
    return transition_run(run, status=Status.CANCELLED)


def requeue_run(run: ScenarioRun) -> ScenarioRun:
    """Run again: a pending run is enqueued anew; a failed or cancelled one is
    copied into a new pending run (terminal states are final)."""
    run = ScenarioRun.objects.select_related("scenario").get(pk=run.pk)
    if run.status == Status.PENDING:
        _enqueue_execution(run)
        return run
    if run.status not in (Status.FAILED, Status.CANCELLED):
        raise Conflict(
            f"Run {run.pk} is {run.status}; only pending, failed or cancelled "
            "runs re-queue."
        )
    return create_run(scenario_id=run.scenario_id, input_payload=run.input_payload)


def expire_leases() -> int:
    """Return runs whose lease ran out to pending, or fail them after too many tries."""
    expired = list(
        ScenarioRun.objects.filter(
            status=Status.RUNNING, lease_expires_at__lt=timezone.now()
        ).values_list("pk", flat=True)[:1000]
    )
    for run_id in expired:
        run = ScenarioRun(pk=run_id)
        try:
            current = ScenarioRun.objects.get(pk=run_id)
            if current.attempts >= settings.SCENARIOS_MAX_ATTEMPTS:
                transition_run(
                    run,
                    status=Status.FAILED,
                    error_message=f"Lease expired after {current.attempts} attempts; "
                    f"last worker {current.worker or 'unknown'}.",
                )
            else:
                run = transition_run(run, status=Status.PENDING)
                _enqueue_execution(run, after_commit=False)
        except Conflict:
            continue  # finished or heartbeated meanwhile
    return len(expired)


def sweep_runs() -> int:
    """Expire leases; re-enqueue built-in runs left pending past the grace period."""
    expired = expire_leases()
    cutoff = timezone.now() - timedelta(seconds=settings.SCENARIOS_SWEEP_GRACE_SECONDS)
    stale = ScenarioRun.objects.filter(
        status=Status.PENDING,
        created_at__lt=cutoff,
        scenario__key__in=simulators.keys(),
    ).select_related("scenario")[:1000]
    for run in stale:
        _enqueue_execution(run, after_commit=False)
    return expired + len(stale)


# --- Execution of built-in simulators --------------------------------------------


def execute_run(*, run_id: int, worker: str) -> ScenarioRun | None:
    """Claim one pending run of a built-in simulator, compute it, complete or fail it.

    None when the run is not pending (already taken, finished or cancelled).
    """
    with transaction.atomic():
        run = (
            ScenarioRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("scenario")
            .filter(pk=run_id, status=Status.PENDING)
            .first()
        )
        if run is None:
            return None
        run = transition_run(run, status=Status.RUNNING, worker=worker)
    return compute_claimed(run)


def compute_claimed(run: ScenarioRun) -> ScenarioRun:
    """Run the built-in simulator of a run this worker holds; complete or fail it."""
    simulator = simulators.get(run.scenario.key)
    try:
        if simulator is None:
            raise simulators.SimulationError(
                f"No built-in simulator for {run.scenario.key!r}."
            )
        result = simulator.run(run.input_payload)
    except simulators.SimulationError as exc:
        return _finish(run, status=Status.FAILED, error_message=str(exc))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        logger.exception("simulator %s failed on run %s", run.scenario.key, run.pk)
        return _finish(
            run,
            status=Status.FAILED,
            error_message="The simulator could not use this input: "
            f"{type(exc).__name__}: {exc}",
        )
    return _finish(run, status=Status.COMPLETED, result_payload=result)


def _finish(run: ScenarioRun, **outcome: Any) -> ScenarioRun:
    try:
        return transition_run(run, **outcome)
    except Conflict:
        # Cancelled (or expired and retaken) while computing: the result is dropped.
        logger.info("run %s changed while computing; result dropped", run.pk)
        run.refresh_from_db()
        return run


def compare_runs(
    scenario: Scenario, run_ids: list[int] | None = None
) -> dict[str, Any]:
    """Inputs and results of runs side by side: ``{"columns", "rows"}``."""
    runs = ScenarioRun.objects.filter(scenario=scenario)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    runs = list(runs.order_by("id")[:MAX_SWEEP])
    flat = [
        (
            run,
            _flatten(run.input_payload, "input"),
            _flatten(run.result_payload or {}, "result"),
        )
        for run in runs
    ]
    input_columns = sorted({name for _, inputs, _ in flat for name in inputs})
    result_columns = sorted({name for _, _, results in flat for name in results})
    columns = ["run_id", "status", *input_columns, *result_columns]
    rows = [
        [run.pk, run.status]
        + [inputs.get(name) for name in input_columns]
        + [results.get(name) for name in result_columns]
        for run, inputs, results in flat
    ]
    return {"columns": columns, "rows": rows}


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}"))
        return flat
    return {prefix: value}
