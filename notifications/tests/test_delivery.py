"""Real delivery: SMTP and HTTP servers on loopback, retries, exactly once."""

import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone
from werkzeug import Response

from notifications import providers, services
from notifications.models import NotificationLog
from notifications.tests.conftest import DEAL_CONTEXT
from timeline.models import EventLog

SECRET = "whsec-test-secret"


def send(**overrides):
    arguments = {
        "template_key": "deal_status_update",
        "recipient": "investor@example.com",
        "context": DEAL_CONTEXT,
    }
    return services.send_notification(**{**arguments, **overrides})


def due_now(log: NotificationLog) -> None:
    NotificationLog.objects.filter(pk=log.pk).update(next_attempt_at=timezone.now())


@pytest.fixture
def sms_webhook(db, httpserver, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_SECRET", SECRET)
    services.create_channel(
        key="sms",
        name="SMS gateway",
        provider="webhook",
        config={"url": httpserver.url_for("/sms")},
    )
    return httpserver


# --- Email over SMTP --------------------------------------------------------------------


def test_email_is_delivered_over_smtp(deal_template, smtp_server, delivered):
    with delivered():
        log = send()

    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 1)
    assert log.sent_at is not None
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["investor@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "Deal 123 Status Update"
    assert message["Message-ID"] == f"<notification-{log.pk}@valhalla.local>"
    assert "Deal 123 is now under contract." in message.get_payload()


def test_smtp_server_down_is_transient_then_failed(deal_template, settings, delivered):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2

    with delivered():
        log = send()
    log.refresh_from_db()
    assert (log.status, log.attempts, log.error_code) == (
        "queued",
        1,
        "delivery_failed",
    )
    assert "ConnectionRefusedError" in log.error_message
    assert log.next_attempt_at > timezone.now()

    due_now(log)
    services.deliver_notification(log_id=log.pk)
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("failed", 2)


# --- Webhook ------------------------------------------------------------------------------


def test_webhook_posts_signed_json(deal_template, sms_webhook, delivered):
    sms_webhook.expect_oneshot_request("/sms", method="POST").respond_with_data("ok")

    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")

    log.refresh_from_db()
    assert log.status == "sent"
    [(request, _)] = sms_webhook.log
    assert request.json["id"] == log.pk
    assert request.json["recipient"] == "+15551234567"
    assert request.json["body"] == log.body
    assert request.headers["Idempotency-Key"] == f"notification-{log.pk}"
    signature = request.headers[providers.SIGNATURE_HEADER]
    assert providers.verify(SECRET, signature, request.get_data())
    assert not providers.verify("another-secret", signature, request.get_data())
    assert not providers.verify(SECRET, signature, request.get_data() + b" ")


def test_webhook_retries_until_the_receiver_recovers(
    deal_template, sms_webhook, delivered
):
    sms_webhook.expect_ordered_request("/sms").respond_with_data("busy", status=503)
    sms_webhook.expect_ordered_request("/sms").respond_with_data("busy", status=502)
    sms_webhook.expect_ordered_request("/sms").respond_with_data("ok", status=202)

    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")
    for _ in range(2):
        log.refresh_from_db()
        assert log.status == "queued"
        assert "HTTP 50" in log.error_message
        due_now(log)
        services.deliver_notification(log_id=log.pk)

    log.refresh_from_db()
    assert (log.status, log.attempts, log.error_message) == ("sent", 3, "")
    assert len(sms_webhook.log) == 3
    sms_webhook.check_assertions()


def test_a_4xx_from_the_webhook_fails_at_once(deal_template, sms_webhook, delivered):
    sms_webhook.expect_request("/sms").respond_with_data("bad number", status=422)

    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")

    log.refresh_from_db()
    assert (log.status, log.attempts) == ("failed", 1)
    assert "HTTP 422" in log.error_message
    assert len(sms_webhook.log) == 1


def test_a_hanging_webhook_times_out(deal_template, sms_webhook, settings, delivered):
    settings.NOTIFICATIONS_READ_TIMEOUT = 1
    release = threading.Event()

    def hang(request):
        release.wait(5)
        return Response("late")

    sms_webhook.expect_request("/sms").respond_with_handler(hang)
    started = timezone.now()
    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")
    release.set()

    log.refresh_from_db()
    assert timezone.now() - started < timedelta(seconds=4)
    assert (log.status, log.attempts) == ("queued", 1)
    assert "Timeout" in log.error_message


def test_missing_webhook_secret_fails_permanently(
    deal_template, sms_webhook, monkeypatch, delivered
):
    monkeypatch.delenv("NOTIFICATIONS_WEBHOOK_SECRET")

    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")

    log.refresh_from_db()
    assert log.status == "failed"
    assert "NOTIFICATIONS_WEBHOOK_SECRET" in log.error_message
    assert len(sms_webhook.log) == 0


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 60

    for attempt, base in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = {services.backoff_seconds(attempt) for _ in range(50)}
        assert all(0.5 * base <= delay <= 1.5 * base for delay in delays)
        assert len(delays) > 1


# --- In-app and console ------------------------------------------------------------------


def test_in_app_notifications_are_stored_as_the_inbox(api, db, delivered):
    services.create_channel(key="in_app", name="In app")
    services.create_template(key="ping", channel_key="in_app", body="Hello {{name}}")

    with delivered():
        log = services.send_notification(
            template_key="ping", recipient="user:42", context={"name": "Ada"}
        )

    inbox = api.get("/notifications/logs/by-recipient?recipient=user:42").json()
    assert [(m["id"], m["body"], m["status"]) for m in inbox] == [
        (log.pk, "Hello Ada", "sent")
    ]


# --- Exactly once and the sweep --------------------------------------------------------------


def test_delivering_twice_sends_once(deal_template, smtp_server, delivered):
    with delivered():
        log = send()

    assert services.deliver_notification(log_id=log.pk) is None
    assert len(smtp_server.messages) == 1


def test_every_final_outcome_is_on_the_timeline(deal_template, sms_webhook, delivered):
    sms_webhook.expect_request("/sms").respond_with_data("no", status=400)
    with delivered():
        sent = send()
        failed = send(channel_key="sms", recipient="+15551234567")

    events = {
        e.entity_id: e for e in EventLog.objects.filter(entity_type="notification")
    }
    assert events[str(sent.pk)].event_type == "sent"
    assert events[str(failed.pk)].event_type == "failed"
    assert "HTTP 400" in events[str(failed.pk)].description
    assert events[str(sent.pk)].payload["template_key"] == "deal_status_update"


def test_sweep_delivers_what_the_broker_lost(deal_template, smtp_server, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 60
    log = send()  # enqueued on commit, which never comes: as if the message were lost
    assert services.dispatch_queued() == 0

    NotificationLog.objects.filter(pk=log.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.dispatch_queued() == 1

    log.refresh_from_db()
    assert log.status == "sent"
    assert len(smtp_server.messages) == 1
    assert services.dispatch_queued() == 0


def test_retry_requeues_a_failed_delivery(api, deal_template, sms_webhook, delivered):
    sms_webhook.expect_ordered_request("/sms").respond_with_data("no", status=400)
    sms_webhook.expect_ordered_request("/sms").respond_with_data("ok")
    with delivered():
        log = send(channel_key="sms", recipient="+15551234567")

    with delivered():
        response = api.post(f"/notifications/logs/{log.pk}/retry")

    assert response.status_code == 200
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 1)
    assert api.post(f"/notifications/logs/{log.pk}/retry").status_code == 409


def test_a_refused_send_cannot_be_retried(api, db):
    with pytest.raises(services.SendRefused) as refused:
        send(template_key="nope")

    response = api.post(f"/notifications/logs/{refused.value.log.pk}/retry")

    assert response.status_code == 409
    assert "send it again" in response.json()["detail"]
