from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import NotificationLog


def run(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().strip()


def test_send_notification_prints_id_and_status(deal_template, delivered):
    with delivered():
        printed = run(
            "send_notification",
            "deal_status_update",
            "a@example.com",
            "--context",
            '{"deal_id": 1, "status": "won", "action": "none"}',
        )

    log = NotificationLog.objects.get()
    assert printed == f"{log.pk} queued"
    log.refresh_from_db()
    assert log.status == "sent"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--context", "{oops"], "not valid JSON"),
        (["--context", "[]"], "must be a JSON object"),
        (["--context", "{}"], "No value for placeholder"),
        (["--channel", "fax"], "No channel with key 'fax'"),
    ],
)
def test_send_notification_errors_exit_non_zero(deal_template, args, message):
    with pytest.raises(CommandError, match=message):
        run("send_notification", "deal_status_update", "a@example.com", *args)


def test_dispatch_queued_delivers_stale_logs(deal_template, settings):
    NotificationLog.objects.create(
        channel_key="email", template_key="deal_status_update", recipient="a@example.com",
        body="b", next_attempt_at=timezone.now() - timezone.timedelta(hours=1),
    )  # fmt: skip

    assert run("dispatch_queued") == "dispatched 1"
    assert NotificationLog.objects.get().status == "sent"
    assert run("dispatch_queued") == "dispatched 0"
