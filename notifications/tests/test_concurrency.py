"""Races, on PostgreSQL with real commits: one log per key, one delivery per log."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from werkzeug import Response

from notifications import services
from notifications.models import NotificationLog
from notifications.tests.conftest import DEAL_CONTEXT

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, work):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return work(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_many_identical_sends_with_one_key_make_one_log(api, deal_template, postgresql):
    body = {
        "template_key": "deal_status_update",
        "recipient": "a@example.com",
        "context": DEAL_CONTEXT,
    }

    responses = in_threads(
        12,
        lambda _: api.post(
            "/notifications/send", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        ),
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert NotificationLog.objects.count() == 1


def test_a_reused_key_with_another_body_is_a_409_under_concurrency(
    api, deal_template, postgresql
):
    def send(index):
        body = {
            "template_key": "deal_status_update",
            "recipient": f"r{index % 2}@example.com",
            "context": DEAL_CONTEXT,
        }
        return api.post(
            "/notifications/send", body, format="json", HTTP_IDEMPOTENCY_KEY="k"
        ).status_code

    codes = in_threads(10, send)

    assert set(codes) == {201, 409}
    assert NotificationLog.objects.count() == 1


def test_two_workers_on_one_log_deliver_it_once(
    deal_template, httpserver, monkeypatch, postgresql
):
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_SECRET", "s")
    services.create_channel(
        key="sms",
        name="SMS",
        provider="webhook",
        config={"url": httpserver.url_for("/sms")},
    )

    def slow(request):
        time.sleep(0.5)
        return Response("ok")

    httpserver.expect_request("/sms").respond_with_handler(slow)
    log = NotificationLog.objects.create(
        channel_key="sms",
        template_key="deal_status_update",
        recipient="+15551234567",
        body="hi",
    )

    results = in_threads(2, lambda _: services.deliver_notification(log_id=log.pk))

    assert sum(result is not None for result in results) == 1
    assert len(httpserver.log) == 1
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 1)
