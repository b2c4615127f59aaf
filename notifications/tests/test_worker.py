"""End to end through Redis and a real ``celery worker`` process."""

from conftest import reset_celery_connections, wait_until
from notifications.models import NotificationLog
from notifications.tests.conftest import DEAL_CONTEXT
from timeline.models import EventLog


def test_send_is_queued_then_sent_by_a_worker(
    api, deal_template, smtp_server, celery_worker, settings
):
    response = api.post(
        "/notifications/send",
        {
            "template_key": "deal_status_update",
            "recipient": "a@example.com",
            "context": DEAL_CONTEXT,
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    log_id = response.json()["id"]
    assert wait_until(
        lambda: NotificationLog.objects.get(pk=log_id).status == "sent"
    ), celery_worker.read_text()
    assert EventLog.objects.filter(
        entity_type="notification", entity_id=str(log_id), event_type="sent"
    ).exists()


def test_a_send_while_the_broker_is_down_is_delivered_once_it_is_back(
    api, deal_template, celery_worker, redis_url, settings
):
    from notifications import services
    from valhalla.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    reset_celery_connections(app)
    response = api.post(
        "/notifications/send",
        {
            "template_key": "deal_status_update",
            "recipient": "a@example.com",
            "context": DEAL_CONTEXT,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    log_id = response.json()["id"]

    app.conf.broker_url = redis_url  # the broker is back
    reset_celery_connections(app)
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    assert services.dispatch_queued() == 1

    assert wait_until(
        lambda: NotificationLog.objects.get(pk=log_id).status == "sent"
    ), celery_worker.read_text()
    assert NotificationLog.objects.get(pk=log_id).attempts == 1
    # The worker's email backend is the console: the message is in its log, once.
    assert celery_worker.read_text().count("Subject: Deal 123 Status Update") == 1
    assert services.dispatch_queued() == 0


def test_a_worker_killed_mid_delivery_is_finished_once_by_another(
    api, deal_template, celery_workers, httpserver, monkeypatch, settings
):
    import signal
    import threading

    from werkzeug import Response

    from notifications import services

    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_SECRET", "s3cret")
    services.create_channel(
        key="sms",
        name="SMS",
        provider="webhook",
        config={"url": httpserver.url_for("/sms")},
    )
    arrived, release = threading.Event(), threading.Event()

    def gateway(request):
        arrived.set()
        release.wait(10)  # the first delivery hangs until its worker is gone
        return Response("ok")

    httpserver.expect_request("/sms").respond_with_handler(gateway)
    first, _ = celery_workers("first")
    response = api.post(
        "/notifications/send",
        {
            "template_key": "deal_status_update",
            "recipient": "+15551234567",
            "context": DEAL_CONTEXT,
            "channel_key": "sms",
        },
        format="json",
    )
    log_id = response.json()["id"]
    assert arrived.wait(30)

    first.send_signal(signal.SIGKILL)  # mid-delivery, holding the row lock
    first.wait(timeout=30)
    release.set()
    assert NotificationLog.objects.get(pk=log_id).status == "queued"

    _, second_log = celery_workers("second")
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    assert services.dispatch_queued() == 1
    assert wait_until(
        lambda: NotificationLog.objects.get(pk=log_id).status == "sent"
    ), second_log.read_text()

    log = NotificationLog.objects.get(pk=log_id)
    assert log.attempts == 1  # the killed attempt rolled back with its transaction
    assert (
        EventLog.objects.filter(
            entity_type="notification", entity_id=str(log_id)
        ).count()
        == 1
    )
    # The gateway saw the message twice, with one Idempotency-Key to drop the repeat by.
    keys = {request.headers["Idempotency-Key"] for request, _ in httpserver.log}
    assert len(httpserver.log) == 2
    assert keys == {f"notification-{log_id}"}
