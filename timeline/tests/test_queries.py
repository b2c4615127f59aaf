"""Query counts per request stay constant as the table grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

PATHS = [
    "/events/",
    "/events/?entity_type=deal&since=2000-01-01T00:00:00Z",
    "/events/entity?entity_type=deal&entity_id=deal_1",
    "/events/entity?entity_type=deal",
    "/events/recent",
    "/events/{pk}",
]


def count_queries(client, path: str) -> int:
    client.get(path)  # the token is looked up once, then cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("path", PATHS)
def test_query_count_does_not_grow_with_rows(api, make_events, path):
    first = make_events(3)[0]
    small = count_queries(api, path.format(pk=first.pk))
    make_events(300)

    large = count_queries(api, path.format(pk=first.pk))

    # One query for the rows: the token is cached after the first request.
    assert small == large == 1


def test_list_query_count_is_constant_on_a_later_page(api, make_events):
    make_events(300)
    next_link = api.get("/events/?limit=100").json()["next"]

    assert count_queries(api, next_link) == 1
