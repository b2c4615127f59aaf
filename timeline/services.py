"""Writes to the timeline: the one path for the API, admin, commands and apps.

from timeline.services import record_event

record_event(
    entity_type="governance_decision",
    entity_id=str(decision.id),
    event_type="decision_rendered",
    source="heimdall",
    title=f"Decision: {decision.verdict}",
)
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError as InvalidItems

from timeline.models import EventLog
from valhalla.exceptions import Conflict
from valhalla.idempotency import insert_once

MAX_BULK = 1000
CONTENT_FIELDS = (
    "entity_type",
    "entity_id",
    "event_type",
    "source",
    "title",
    "description",
    "payload",
)


def record_event(
    *,
    entity_type: str,
    entity_id: str,
    event_type: str,
    source: str = "system",
    title: str = "",
    description: str = "",
    payload: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> tuple[EventLog, bool]:
    """Append one event; return it and whether it was created.

    With an ``idempotency_key`` already stored, the stored event is returned
    when its content is the same, and ``Conflict`` is raised when it is not.
    """
    event = _build(
        entity_type=entity_type,
        entity_id=entity_id,
        event_type=event_type,
        source=source,
        title=title,
        description=description,
        payload=payload,
        idempotency_key=idempotency_key,
    )
    event.clean_fields()
    if idempotency_key is None:
        event.save(force_insert=True)
        return event, True
    existing = EventLog.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        stored = insert_once(
            event, lambda: EventLog.objects.get(idempotency_key=idempotency_key)
        )
        if stored is event:
            return event, True
        existing = stored  # stored by a concurrent request
    _check_same_content(existing, event)
    return existing, False


def record_events(events: Sequence[Mapping[str, Any]]) -> list[EventLog]:
    """Append many events in one INSERT, all or nothing, in the given order.

    Each item takes ``record_event``'s arguments. Invalid items raise one
    error mapping each invalid item's index to its errors.
    Items whose ``idempotency_key`` is already stored with the same content
    come back as stored instead of being inserted again.
    """
    if len(events) > MAX_BULK:
        raise InvalidItems(
            f"At most {MAX_BULK} events per request (got {len(events)})."
        )
    built = [_build(**item) for item in events]
    _validate_all(built)
    keys = [event.idempotency_key for event in built if event.idempotency_key]
    existing = {}
    if keys:
        existing = EventLog.objects.in_bulk(keys, field_name="idempotency_key")
    for event in built:
        if event.idempotency_key in existing:
            _check_same_content(existing[event.idempotency_key], event)
    new = [event for event in built if event.idempotency_key not in existing]
    try:
        with transaction.atomic():
            EventLog.objects.bulk_create(new)
    except IntegrityError:
        raise Conflict(
            "An idempotency_key in this batch was stored by a concurrent request; "
            "retry the batch."
        ) from None
    return [existing.get(event.idempotency_key, event) for event in built]


def _build(*, payload: Mapping[str, Any] | None = None, **fields: Any) -> EventLog:
    return EventLog(payload=dict(payload) if payload is not None else {}, **fields)


def _validate_all(events: list[EventLog]) -> None:
    errors: dict[int, dict[str, list[str]]] = {}
    seen: set[str] = set()
    for index, event in enumerate(events):
        item_errors: dict[str, list[str]] = {}
        try:
            event.clean_fields()
        except ValidationError as exc:
            item_errors = exc.message_dict
        key = event.idempotency_key
        if key and key in seen:
            item_errors.setdefault("idempotency_key", []).append(
                "Repeats an idempotency_key used earlier in this batch."
            )
        if key:
            seen.add(key)
        if item_errors:
            errors[index] = item_errors
    if errors:
        raise InvalidItems(errors)


def _check_same_content(stored: EventLog, requested: EventLog) -> None:
    differing = [
        name
        for name in CONTENT_FIELDS
        if getattr(stored, name) != getattr(requested, name)
    ]
    if differing:
        raise Conflict(
            f"idempotency_key {stored.idempotency_key!r} was already used for "
            f"event {stored.pk} with different {', '.join(differing)}."
        )
