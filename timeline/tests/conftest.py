from datetime import timedelta

import pytest
from django.utils import timezone

from timeline.models import EventLog


@pytest.fixture
def make_events(db):
    """Insert events directly, ``step`` apart, oldest first; returns them."""

    def make(count: int, *, step: timedelta = timedelta(seconds=1), **fields):
        start = timezone.now() - step * count
        defaults = {
            "entity_type": "deal",
            "entity_id": "deal_1",
            "event_type": "created",
        }
        return EventLog.objects.bulk_create(
            EventLog(created_at=start + step * i, **{**defaults, **fields})
            for i in range(count)
        )

    return make
