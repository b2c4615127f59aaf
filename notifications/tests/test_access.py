import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import NotificationChannel, NotificationLog
from notifications.tests.conftest import DEAL_CONTEXT

SEND = {
    "template_key": "deal_status_update",
    "recipient": "a@example.com",
    "context": DEAL_CONTEXT,
}
READS = [
    "/notifications/channels",
    "/notifications/channels/email",
    "/notifications/templates",
    "/notifications/templates/deal_status_update",
    "/notifications/logs/",
    "/notifications/logs/by-recipient?recipient=a@example.com",
]
WRITES = [
    (
        "post",
        "/notifications/channels",
        {"key": "push", "name": "Push"},
        "notifications.add_notificationchannel",
    ),
    (
        "patch",
        "/notifications/channels/email",
        {"name": "Mail"},
        "notifications.change_notificationchannel",
    ),
    (
        "post",
        "/notifications/templates",
        {"key": "t", "channel_key": "email", "body": "b"},
        "notifications.add_notificationtemplate",
    ),
    (
        "patch",
        "/notifications/templates/deal_status_update",
        {"body": "b"},
        "notifications.change_notificationtemplate",
    ),
    ("post", "/notifications/send", SEND, "notifications.add_notificationlog"),
]


@pytest.mark.parametrize("path", READS)
def test_reads_need_credentials_and_nothing_more(
    anonymous, reader, deal_template, path
):
    assert anonymous.get(path).status_code == 401
    assert reader.get(path).status_code == 200


@pytest.mark.parametrize(("method", "path", "body", "perm"), WRITES)
def test_writes_need_their_model_permission(
    anonymous, reader, make_user, client_for, deal_template, method, path, body, perm
):
    assert getattr(anonymous, method)(path, body, format="json").status_code == 401
    assert getattr(reader, method)(path, body, format="json").status_code == 403
    allowed = client_for(make_user("writer", perms=[perm]))
    assert getattr(allowed, method)(path, body, format="json").status_code in (200, 201)


def test_preview_needs_only_credentials(anonymous, reader, deal_template):
    path = "/notifications/templates/deal_status_update/preview"
    assert (
        anonymous.post(path, {"context": DEAL_CONTEXT}, format="json").status_code
        == 401
    )
    assert (
        reader.post(path, {"context": DEAL_CONTEXT}, format="json").status_code == 200
    )


def test_retry_needs_the_change_permission(
    anonymous, reader, make_user, client_for, db
):
    log = NotificationLog.objects.create(
        channel_key="x", recipient="r", status="failed", error_code="delivery_failed"
    )
    path = f"/notifications/logs/{log.pk}/retry"

    assert anonymous.post(path).status_code == 401
    assert reader.post(path).status_code == 403
    assert (
        client_for(make_user("ops", perms=["notifications.change_notificationlog"]))
        .post(path)
        .status_code
        == 200
    )


def count_queries(client, path):
    client.get(path)  # the token is looked up once, then cached
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path",
    [
        *READS,
        "/notifications/logs/{log}",
        "/notifications/logs/?status=sent&channel=email",
    ],
)
def test_query_counts_do_not_grow_with_rows(api, deal_template, path):
    def grow(count):
        for _ in range(count):
            key = f"c{NotificationChannel.objects.count()}"
            services.create_channel(key=key, name="c")
            services.create_template(key=key, channel_key=key, body="{{ x }}")
            NotificationLog.objects.create(
                channel_key="email", recipient="a@example.com", status="sent"
            )

    grow(2)
    log = NotificationLog.objects.first().pk
    small = count_queries(api, path.format(log=log))
    grow(40)

    assert count_queries(api, path.format(log=log)) == small == 1
