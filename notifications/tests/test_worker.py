"""End to end through Redis and a real ``celery worker`` process."""

from conftest import wait_until
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
