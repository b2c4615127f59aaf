from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from timeline.models import EventLog

DEAL_EVENT = {
    "entity_type": "deal",
    "entity_id": "deal_456",
    "event_type": "status_changed",
    "source": "heimdall",
    "title": "Deal moved to under contract",
    "description": "Automatic status update from contract execution system",
}


def post(api, body, path="/events/"):
    return api.post(path, body, format="json")


# --- The seed's PACK AH test list ---------------------------------------------


def test_record_single_event(api):
    response = post(api, DEAL_EVENT)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in DEAL_EVENT} == DEAL_EVENT
    assert body["payload"] == {}
    assert EventLog.objects.get(pk=body["id"]).title == DEAL_EVENT["title"]


def test_list_events_for_one_entity(api, make_events):
    make_events(3, entity_id="deal_456")
    make_events(2, entity_id="deal_999")
    make_events(2, entity_type="property", entity_id="deal_456")

    response = api.get(
        "/events/entity", {"entity_type": "deal", "entity_id": "deal_456"}
    )

    assert response.status_code == 200
    assert len(response.json()) == 3
    assert {(e["entity_type"], e["entity_id"]) for e in response.json()} == {
        ("deal", "deal_456")
    }


def test_list_all_events_for_an_entity_type(api, make_events):
    make_events(3, entity_id="deal_1")
    make_events(2, entity_id="deal_2")
    make_events(4, entity_type="property", entity_id="p_1")

    response = api.get("/events/entity", {"entity_type": "deal"})

    assert response.status_code == 200
    assert len(response.json()) == 5
    assert {e["entity_id"] for e in response.json()} == {"deal_1", "deal_2"}


def test_list_recent_events_across_entities(api, make_events):
    make_events(2, entity_type="deal", entity_id="d")
    make_events(2, entity_type="property", entity_id="p")
    make_events(2, entity_type="audit", entity_id="a")

    response = api.get("/events/recent")

    assert response.status_code == 200
    assert {e["entity_type"] for e in response.json()} == {"deal", "property", "audit"}


def test_events_come_newest_first_ties_broken_by_id(api, make_events):
    older = make_events(3, step=timedelta(minutes=1))
    same_moment = timezone.now() + timedelta(hours=1)
    tied = EventLog.objects.bulk_create(
        EventLog(
            entity_type="deal",
            entity_id="deal_1",
            event_type="t",
            created_at=same_moment,
        )
        for _ in range(3)
    )
    expected = [e.pk for e in reversed(older + tied)]

    for path in ("/events/entity?entity_type=deal", "/events/recent"):
        assert [e["id"] for e in api.get(path).json()] == expected, path
    assert [e["id"] for e in api.get("/events/").json()["results"]] == expected


def test_event_with_minimal_fields_gets_defaults(api):
    response = post(
        api, {"entity_type": "deal", "entity_id": "1", "event_type": "created"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["source"] == "system"
    assert body["title"] == ""
    assert body["description"] == ""
    assert body["payload"] == {}
    assert body["idempotency_key"] is None


def test_limit_parameter_defaults_and_cap(api, make_events):
    make_events(1100)

    assert len(api.get("/events/entity?entity_type=deal").json()) == 100
    assert len(api.get("/events/recent").json()) == 50
    assert len(api.get("/events/recent?limit=7").json()) == 7
    assert len(api.get("/events/entity?entity_type=deal&limit=5000").json()) == 1000
    assert len(api.get("/events/?limit=5000").json()["results"]) == 1000


@pytest.mark.parametrize("limit", ["abc", "-1", "0", "1.5"])
@pytest.mark.parametrize(
    "path", ["/events/recent", "/events/entity?entity_type=deal&", "/events/"]
)
def test_bad_limit_is_a_400_naming_limit(api, path, limit):
    separator = "" if path.endswith("&") else "?"
    response = api.get(f"{path}{separator}limit={limit}")

    assert response.status_code == 400
    assert "limit" in response.json()


def test_events_from_different_sources(api):
    for source in ("system", "heimdall", "user", "va", "worker"):
        assert post(api, {**DEAL_EVENT, "source": source}).status_code == 201

    sources = [e["source"] for e in api.get("/events/recent").json()]
    assert sorted(sources) == ["heimdall", "system", "user", "va", "worker"]


def test_created_at_is_present_utc_iso8601(api):
    before = timezone.now()
    body = post(api, DEAL_EVENT).json()

    assert body["created_at"].endswith("Z")
    stamp = timezone.datetime.fromisoformat(body["created_at"])
    assert (
        before - timedelta(seconds=1) <= stamp <= timezone.now() + timedelta(seconds=1)
    )


# --- Validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entity_type", "Deal"),
        ("entity_type", "deal type"),
        ("entity_type", "x" * 65),
        ("entity_type", ""),
        ("event_type", "status changed"),
        ("event_type", None),
        ("source", "Heimdall!"),
        ("entity_id", "x" * 256),
        ("entity_id", ""),
        ("entity_id", "deal\n456"),
        ("title", "t" * 256),
        ("title", "line\nbreak"),
        ("description", "d" * (64 * 1024 + 1)),
        ("description", "nul\x00byte"),
        ("payload", [1, 2]),
        ("payload", "text"),
        ("payload", {"big": "x" * (64 * 1024)}),
        ("payload", {"nul": "a\x00b"}),
        (
            "payload",
            {
                "deep": [
                    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
                ]
            },
        ),
    ],
)
def test_invalid_field_is_a_400_naming_it(api, field, value):
    response = post(api, {**DEAL_EVENT, field: value})

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert EventLog.objects.count() == 0


@pytest.mark.parametrize("field", ["entity_type", "entity_id", "event_type"])
def test_required_fields(api, field):
    body = {k: v for k, v in DEAL_EVENT.items() if k != field}

    response = post(api, body)

    assert response.status_code == 400
    assert response.json()[field] == ["This field is required."]


def test_composite_entity_id_is_accepted(api):
    response = post(api, {**DEAL_EVENT, "entity_id": "deal_456:unit_3"})

    assert response.status_code == 201
    assert response.json()["entity_id"] == "deal_456:unit_3"


def test_payload_is_stored_as_sent(api):
    payload = {
        "from": "offer",
        "to": "under_contract",
        "amounts": [1, 2.5, None],
        "ok": True,
    }

    body = post(api, {**DEAL_EVENT, "payload": payload}).json()

    assert body["payload"] == payload
    assert EventLog.objects.get(pk=body["id"]).payload == payload


def test_malformed_json_is_a_400(api):
    response = api.post(
        "/events/", b'{"entity_type": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_wrong_content_type_is_a_415(api):
    response = api.post("/events/", "entity_type=deal", content_type="text/plain")

    assert response.status_code == 415


def test_body_over_the_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(api, {**DEAL_EVENT, "description": "d" * 2000})

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


# --- Idempotency --------------------------------------------------------------


def test_same_idempotency_key_and_content_returns_the_stored_event(api):
    body = {**DEAL_EVENT, "idempotency_key": "evt-1", "payload": {"a": 1}}

    first = post(api, body)
    second = post(api, body)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert EventLog.objects.count() == 1


def test_same_idempotency_key_with_different_content_is_a_409(api):
    post(api, {**DEAL_EVENT, "idempotency_key": "evt-1"})

    response = post(api, {**DEAL_EVENT, "idempotency_key": "evt-1", "title": "Other"})

    assert response.status_code == 409
    assert "title" in response.json()["detail"]
    assert EventLog.objects.get().title == DEAL_EVENT["title"]


# --- Bulk ---------------------------------------------------------------------


def test_bulk_records_all_in_one_insert_in_order(api):
    events = [{**DEAL_EVENT, "entity_id": f"deal_{i}"} for i in range(500)]

    with CaptureQueriesContext(connection) as queries:
        response = post(api, events, "/events/bulk")

    assert response.status_code == 201
    assert [e["entity_id"] for e in response.json()] == [
        f"deal_{i}" for i in range(500)
    ]
    assert all(isinstance(e["id"], int) for e in response.json())
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else len(inserts))
    assert EventLog.objects.count() == 500


def test_bulk_inserts_with_one_statement_on_postgresql(api, postgresql):
    events = [{**DEAL_EVENT, "entity_id": f"deal_{i}"} for i in range(1000)]

    with CaptureQueriesContext(connection) as queries:
        assert post(api, events, "/events/bulk").status_code == 201

    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1


def test_bulk_is_all_or_nothing(api):
    events = [DEAL_EVENT, {**DEAL_EVENT, "entity_type": "Bad Type"}, DEAL_EVENT]

    response = post(api, events, "/events/bulk")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["1"]
    assert "entity_type" in errors["1"]
    assert EventLog.objects.count() == 0


def test_bulk_over_1000_is_a_400(api):
    response = post(api, [DEAL_EVENT] * 1001, "/events/bulk")

    assert response.status_code == 400
    assert EventLog.objects.count() == 0


@pytest.mark.parametrize("body", [[], {"events": []}, "x"])
def test_bulk_needs_a_non_empty_list(api, body):
    assert post(api, body, "/events/bulk").status_code == 400


def test_bulk_honours_idempotency_keys(api):
    post(api, {**DEAL_EVENT, "idempotency_key": "k1"})
    batch = [
        {**DEAL_EVENT, "idempotency_key": "k1"},
        {**DEAL_EVENT, "idempotency_key": "k2"},
    ]

    response = post(api, batch, "/events/bulk")

    assert response.status_code == 201
    assert [e["idempotency_key"] for e in response.json()] == ["k1", "k2"]
    assert EventLog.objects.count() == 2


def test_bulk_with_a_conflicting_or_repeated_key_stores_nothing(api):
    post(api, {**DEAL_EVENT, "idempotency_key": "k1"})

    conflict = post(
        api, [{**DEAL_EVENT, "idempotency_key": "k1", "title": "other"}], "/events/bulk"
    )
    repeated = post(
        api,
        [
            {**DEAL_EVENT, "idempotency_key": "k9"},
            {**DEAL_EVENT, "idempotency_key": "k9"},
        ],
        "/events/bulk",
    )

    assert conflict.status_code == 409
    assert repeated.status_code == 400
    assert "idempotency_key" in repeated.json()["1"]
    assert EventLog.objects.count() == 1


# --- List, filters, keyset pages ----------------------------------------------


def test_keyset_pages_cover_thousands_of_equal_timestamps_exactly_once(api):
    moment = timezone.now()
    EventLog.objects.bulk_create(
        EventLog(
            entity_type="deal", entity_id=str(i), event_type="t", created_at=moment
        )
        for i in range(2500)
    )
    seen, url, pages = [], "/events/?limit=1000", 0
    while url:
        page = api.get(url).json()
        seen += [e["id"] for e in page["results"]]
        url, pages = page["next"], pages + 1

    assert pages == 3
    assert len(seen) == len(set(seen)) == 2500
    assert seen == sorted(seen, reverse=True)


def test_list_filters(api, make_events):
    old = make_events(3, step=timedelta(days=1), event_type="created", source="user")
    make_events(2, entity_type="property", entity_id="p_1", event_type="sold")
    cutoff = old[-1].created_at

    def ids(query):
        response = api.get("/events/", query)
        assert response.status_code == 200, response.content
        return {e["id"] for e in response.json()["results"]}

    assert len(ids({"entity_type": "property"})) == 2
    assert len(ids({"entity_type": "deal", "entity_id": "deal_1"})) == 3
    assert len(ids({"event_type": "sold"})) == 2
    assert ids({"source": "user"}) == {e.pk for e in old}
    assert ids({"until": cutoff.isoformat(), "source": "user"}) == {
        e.pk for e in old[:2]
    }
    assert old[-1].pk in ids({"since": cutoff.isoformat()})


@pytest.mark.parametrize(
    "query", ["since=yesterday", "until=2026-13-01", "cursor=garbage"]
)
def test_bad_list_parameters_are_a_400_naming_them(api, query):
    response = api.get(f"/events/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_nul_in_a_filter_is_a_400(api):
    assert api.get("/events/", {"entity_id": "a\x00b"}).status_code == 400
    assert (
        api.get(
            "/events/entity", {"entity_type": "deal", "entity_id": "a\x00"}
        ).status_code
        == 400
    )


def test_entity_timeline_needs_an_entity_type(api):
    response = api.get("/events/entity")

    assert response.status_code == 400
    assert "entity_type" in response.json()


def test_retrieve_one_event(api, make_events):
    event = make_events(1)[0]

    response = api.get(f"/events/{event.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == event.pk


@pytest.mark.parametrize("pk", ["999999", str(2**70), "abc"])
def test_unknown_event_is_a_404(api, pk):
    assert api.get(f"/events/{pk}").status_code == 404


def test_trailing_slash_is_optional(api, make_events):
    make_events(1)
    for path in ("/events", "/events/", "/events/recent", "/events/recent/"):
        assert api.get(path).status_code == 200, path
    assert post(api, DEAL_EVENT, "/events").status_code == 201


# --- Immutability through the API ---------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_events_cannot_be_changed_through_the_api(api, make_events, method):
    event = make_events(1, title="original")[0]

    response = getattr(api, method)(
        f"/events/{event.pk}", {"title": "changed"}, format="json"
    )

    assert response.status_code == 405
    assert EventLog.objects.get(pk=event.pk).title == "original"


@pytest.mark.parametrize(
    "value",
    [
        "0203-06-05T03:41:39+17:19",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
@pytest.mark.parametrize("name", ["since", "until"])
def test_odd_datetimes_never_reach_the_database_unconverted(api, name, value):
    response = api.get("/events/", {name: value})

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert name in response.json()
