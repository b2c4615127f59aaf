"""The baseline: the same database work as Valhalla's timeline, with nothing in between.

A minimal WSGI app (no framework, no auth, no validation) that parses the same
JSON and runs the same INSERT and SELECT through psycopg2, served by the same
gunicorn settings. ``gunicorn bench.rawwsgi:application``.
"""

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

import psycopg2
from psycopg2.extras import Json

_connection = None

INSERT = (
    "INSERT INTO event_logs (entity_type, entity_id, event_type, source, title,"
    " description, payload, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING id, created_at"
)
SELECT = (
    "SELECT id, entity_type, entity_id, event_type, source, title, description,"
    " payload, idempotency_key, created_at FROM event_logs"
    " WHERE entity_type = %s AND entity_id = %s"
    " ORDER BY created_at DESC, id DESC LIMIT %s"
)
COLUMNS = [
    "id",
    "entity_type",
    "entity_id",
    "event_type",
    "source",
    "title",
    "description",
    "payload",
    "idempotency_key",
    "created_at",
]


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(os.environ["BENCH_DSN"])
        _connection.autocommit = True
    return _connection


def respond(start_response, status, body):
    data = json.dumps(body, default=str).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    with connection().cursor() as cursor:
        if environ["REQUEST_METHOD"] == "POST" and path.rstrip("/") == "/events":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            event = json.loads(environ["wsgi.input"].read(length))
            values = (
                event["entity_type"],
                event["entity_id"],
                event["event_type"],
                event.get("source", "system"),
                event.get("title", ""),
                event.get("description", ""),
                Json(event.get("payload", {})),
                datetime.now(UTC),
            )
            cursor.execute(INSERT, values)
            pk, created_at = cursor.fetchone()
            return respond(
                start_response,
                "201 Created",
                {**event, "id": pk, "created_at": created_at},
            )
        if path.rstrip("/") == "/events/entity":
            query = {
                k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()
            }
            cursor.execute(
                SELECT,
                (
                    query["entity_type"],
                    query["entity_id"],
                    int(query.get("limit", 100)),
                ),
            )
            rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
            return respond(start_response, "200 OK", rows)
    return respond(start_response, "404 Not Found", {"detail": "Not found."})
