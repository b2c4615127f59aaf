"""Idempotent event recording under concurrent identical requests (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from timeline.models import EventLog

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = {
    "entity_type": "deal",
    "entity_id": "deal_456",
    "event_type": "status_changed",
    "idempotency_key": "evt-race",
}


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        try:
            return work(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_identical_concurrent_records_make_one_row(api, postgresql):
    responses = in_threads(12, lambda _: api.post("/events/", EVENT, format="json"))

    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert EventLog.objects.filter(idempotency_key="evt-race").count() == 1


def test_a_reused_key_with_other_content_is_a_409_under_concurrency(api, postgresql):
    def record(index: int) -> int:
        body = {**EVENT, "title": f"variant {index % 2}"}
        return api.post("/events/", body, format="json").status_code

    codes = in_threads(10, record)

    assert codes.count(201) == 1
    assert set(codes) <= {200, 201, 409}
    assert 409 in codes
    assert EventLog.objects.filter(idempotency_key="evt-race").count() == 1
