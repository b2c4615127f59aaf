"""The timeline's reads walk an index in order; they never sort the table."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from timeline.models import EventLog
from valhalla.pagination import before, newest_first

ROWS = 20_000


@pytest.fixture
def many_events(db):
    start = timezone.now() - timedelta(days=1)
    EventLog.objects.bulk_create(
        (
            EventLog(
                entity_type=("deal", "property", "audit", "governance")[i % 4],
                entity_id=f"id_{i % 8}",
                event_type=("created", "status_changed", "closed")[i % 3],
                created_at=start + timedelta(seconds=i),
            )
            for i in range(ROWS)
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE event_logs")
    return EventLog.objects.all()


def plan(queryset) -> str:
    return queryset.explain()


READS = {
    "entity timeline": lambda qs: qs.filter(entity_type="deal", entity_id="id_4"),
    "entity type": lambda qs: qs.filter(entity_type="deal"),
    "event type": lambda qs: qs.filter(event_type="closed"),
    "recent": lambda qs: qs,
}


@pytest.mark.parametrize("read", READS)
def test_reads_are_index_scans_without_a_sort(many_events, read):
    first_page = newest_first(READS[read](many_events))[:100]
    last = EventLog.objects.order_by("created_at")[ROWS // 2]
    deep_page = newest_first(
        READS[read](many_events).filter(before(last.created_at, last.pk))
    )[:100]

    for queryset in (first_page, deep_page):
        text = plan(queryset)
        if connection.vendor == "postgresql":
            assert "Index Scan" in text or "Index Only Scan" in text, text
            assert "Sort" not in text, text
            assert "Seq Scan" not in text, text
        else:
            assert "USING INDEX event_logs_" in text, text
            assert "TEMP B-TREE" not in text, text
