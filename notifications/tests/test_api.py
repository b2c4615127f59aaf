import pytest

from notifications import services
from notifications.models import (
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)
from notifications.tests.conftest import DEAL_CONTEXT
from timeline.models import EventLog

SEND = {
    "template_key": "deal_status_update",
    "recipient": "investor@example.com",
    "context": DEAL_CONTEXT,
}


def post(client, path, body, **headers):
    return client.post(path, body, format="json", **headers)


# --- The seed's PACK AG test list ------------------------------------------------


def test_create_channel(api):
    response = post(
        api,
        "/notifications/channels",
        {"key": "email", "name": "Email", "description": "Email notifications"},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["name"], body["is_active"]) == ("email", "Email", True)
    assert body["provider"] == "email"
    assert (
        NotificationChannel.objects.get(key="email").description
        == "Email notifications"
    )


def test_list_channels_newest_first_and_active_only(api):
    for key in ("email", "sms", "push"):
        services.create_channel(key=key, name=key.upper())
    services.update_channel(NotificationChannel.objects.get(key="sms"), is_active=False)

    everything = api.get("/notifications/channels").json()
    active = api.get("/notifications/channels?active_only=true").json()

    assert [c["key"] for c in everything] == ["push", "sms", "email"]
    assert [c["key"] for c in active] == ["push", "email"]
    assert api.get("/notifications/channels?active_only=maybe").status_code == 400


def test_update_channel(api, email_channel):
    response = api.patch(
        f"/notifications/channels/{email_channel.pk}",
        {"name": "E-mail", "is_active": False},
        format="json",
    )

    assert response.status_code == 200
    email_channel.refresh_from_db()
    assert (email_channel.name, email_channel.is_active) == ("E-mail", False)


def test_create_template(api, email_channel):
    response = post(
        api,
        "/notifications/templates",
        {
            "key": "deal_status_update",
            "channel_key": "email",
            "subject": "Deal {{deal_id}} Status Update",
            "body": "Deal {{deal_id}} is now {{status}}.\nAction: {{action}}",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["placeholders"] == ["deal_id", "status", "action"]
    assert (
        NotificationTemplate.objects.get(key="deal_status_update").channel_id == "email"
    )


def test_get_template_by_key_or_id(api, deal_template):
    by_key = api.get("/notifications/templates/deal_status_update")
    by_id = api.get(f"/notifications/templates/{deal_template.pk}")

    assert by_key.status_code == by_id.status_code == 200
    assert by_key.json() == by_id.json()
    assert by_key.json()["subject"] == "Deal {{deal_id}} Status Update"


def test_get_unknown_template_is_a_404(api, db):
    assert api.get("/notifications/templates/no_such_template").status_code == 404
    assert api.get("/notifications/templates/424242").status_code == 404


def test_send_renders_the_template(api, deal_template, delivered):
    with delivered():
        response = post(api, "/notifications/send", SEND)

    assert response.status_code == 201, response.content
    log = response.json()
    assert log["subject"] == "Deal 123 Status Update"
    assert log["body"] == "Deal 123 is now under contract.\nAction: Review by Friday"
    assert (log["channel_key"], log["template_key"], log["template_version"]) == (
        "email",
        "deal_status_update",
        1,
    )
    stored = NotificationLog.objects.get(pk=log["id"])
    assert stored.status == "sent"
    assert stored.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_response_already_says_sent(api, deal_template):
    response = post(api, "/notifications/send", SEND)

    assert response.status_code == 201
    assert response.json()["status"] == "sent"
    assert response.json()["attempts"] == 1
    assert response.json()["sent_at"] is not None


def test_send_with_unknown_template_logs_the_failure(api, db):
    response = post(api, "/notifications/send", {**SEND, "template_key": "nope"})

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_template"
    assert "nope" in body["detail"]
    log = NotificationLog.objects.get(pk=body["log_id"])
    assert (log.status, log.template_key, log.recipient) == (
        "failed",
        "nope",
        SEND["recipient"],
    )
    assert "No template with key 'nope'" in log.error_message


def test_list_logs_for_a_recipient(api, deal_template, delivered):
    with delivered():
        for _ in range(3):
            post(api, "/notifications/send", SEND)
        post(api, "/notifications/send", {**SEND, "recipient": "other@example.com"})

    response = api.get(
        "/notifications/logs/by-recipient", {"recipient": SEND["recipient"]}
    )

    assert response.status_code == 200
    logs = response.json()
    assert len(logs) == 3
    assert {log["recipient"] for log in logs} == {SEND["recipient"]}
    assert [log["id"] for log in logs] == sorted(
        (log["id"] for log in logs), reverse=True
    )
    assert (
        len(
            api.get(
                f"/notifications/logs/by-recipient?recipient={SEND['recipient']}&limit=2"
            ).json()
        )
        == 2
    )


def test_multiple_placeholders_nested_paths(api, email_channel, delivered):
    services.create_template(
        key="welcome",
        channel_key="email",
        subject="Welcome {{ user.name }}",
        body="{{user.name}}, your deals: {{ deals.0.id }} and {{ deals.1.id }} in {{city}}",
    )
    context = {
        "user": {"name": "Ada"},
        "deals": [{"id": 1}, {"id": 2}],
        "city": "Austin",
    }

    with delivered():
        log = post(
            api,
            "/notifications/send",
            {**SEND, "template_key": "welcome", "context": context},
        ).json()

    assert log["subject"] == "Welcome Ada"
    assert log["body"] == "Ada, your deals: 1 and 2 in Austin"


def test_channel_override(api, deal_template, delivered):
    services.create_channel(key="sms", name="SMS")

    with delivered():
        response = post(
            api,
            "/notifications/send",
            {**SEND, "recipient": "+15551234567", "channel_key": "sms"},
        )

    assert response.status_code == 201, response.content
    assert response.json()["channel_key"] == "sms"
    assert NotificationLog.objects.get().status == "sent"


# --- Channels and templates, beyond the seed ----------------------------------------


def test_channel_by_key_and_unknown(api, email_channel):
    assert api.get("/notifications/channels/email").json()["id"] == email_channel.pk
    assert api.get("/notifications/channels/fax").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Email!", "name": "x"}, "key"),
        ({"key": "email", "name": ""}, "name"),
        ({"key": "hook", "name": "Hook", "provider": "webhook"}, "config"),
        (
            {
                "key": "hook",
                "name": "Hook",
                "provider": "webhook",
                "config": {"url": "ftp://x"},
            },
            "config",
        ),
        ({"key": "x", "name": "X", "provider": "carrier_pigeon"}, "provider"),
        ({"key": "x", "name": "X", "config": [1]}, "config"),
    ],
)
def test_invalid_channel_is_a_400_naming_the_field(api, db, body, field):
    response = post(api, "/notifications/channels", body)

    assert response.status_code == 400
    assert field in response.json()
    assert not NotificationChannel.objects.exists()


def test_duplicate_channel_key_is_a_400(api, email_channel):
    response = post(api, "/notifications/channels", {"key": "email", "name": "Again"})

    assert response.status_code == 400
    assert "key" in response.json()


def test_channel_key_cannot_change(api, email_channel):
    api.patch(
        f"/notifications/channels/{email_channel.pk}", {"key": "mail"}, format="json"
    )

    assert NotificationChannel.objects.get(pk=email_channel.pk).key == "email"


def test_default_providers_by_key(db):
    providers = {
        key: services.create_channel(key=key, name=key).provider
        for key in ("email", "in_app", "sms", "push")
    }

    assert providers == {
        "email": "email",
        "in_app": "in_app",
        "sms": "console",
        "push": "console",
    }


def test_template_edit_raises_version_only_when_something_changes(api, deal_template):
    url = f"/notifications/templates/{deal_template.pk}"

    first = api.patch(
        url, {"body": "Deal {{deal_id}}: {{status}}"}, format="json"
    ).json()
    same = api.patch(
        url, {"body": "Deal {{deal_id}}: {{status}}"}, format="json"
    ).json()
    second = api.patch(url, {"is_active": False}, format="json").json()

    assert (first["version"], same["version"], second["version"]) == (2, 2, 3)
    assert first["placeholders"] == ["deal_id", "status"]


@pytest.mark.parametrize(
    ("field", "text", "position"),
    [
        ("body", "Deal {{ deal_id }", 5),
        ("body", "{{}}", 0),
        ("subject", "Hi {{ a b }}", 3),
    ],
)
def test_malformed_template_is_refused_with_the_position(
    api, email_channel, field, text, position
):
    body = {"key": "t1", "channel_key": "email", "body": "ok", field: text}

    response = post(api, "/notifications/templates", body)

    assert response.status_code == 400
    assert f"position {position}" in response.json()[field][0]
    assert not NotificationTemplate.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "1st", "channel_key": "email", "body": "x"}, "key"),
        ({"key": "t", "channel_key": "fax", "body": "x"}, "channel_key"),
        ({"key": "t", "channel_key": "email"}, "body"),
    ],
)
def test_invalid_template_is_a_400_naming_the_field(api, email_channel, body, field):
    response = post(api, "/notifications/templates", body)

    assert response.status_code == 400
    assert field in response.json()


def test_template_list(api, deal_template):
    assert [t["key"] for t in api.get("/notifications/templates").json()] == [
        "deal_status_update"
    ]


def test_preview_renders_without_writing(api, deal_template):
    response = post(
        api,
        "/notifications/templates/deal_status_update/preview",
        {"context": DEAL_CONTEXT},
    )

    assert response.status_code == 200
    assert response.json() == {
        "subject": "Deal 123 Status Update",
        "body": "Deal 123 is now under contract.\nAction: Review by Friday",
    }
    assert not NotificationLog.objects.exists()


def test_preview_lists_every_missing_placeholder(api, deal_template):
    response = post(
        api,
        f"/notifications/templates/{deal_template.pk}/preview",
        {"context": {"deal_id": 1}},
    )

    assert response.status_code == 400
    assert response.json()["missing"] == ["status", "action"]


# --- Send refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "body", "status", "code"),
    [
        ("template_inactive", {}, 409, "inactive_template"),
        ("channel_inactive", {}, 409, "inactive_channel"),
        (None, {"channel_key": "fax"}, 404, "unknown_channel"),
        (None, {"context": {"deal_id": 1}}, 400, "missing_values"),
        (None, {"recipient": "not-an-address"}, 400, "invalid_recipient"),
    ],
)
def test_refused_sends_answer_4xx_and_log_the_failure(
    api, deal_template, change, body, status, code
):
    if change == "template_inactive":
        services.update_template(deal_template, is_active=False)
    if change == "channel_inactive":
        services.update_channel(deal_template.channel, is_active=False)

    response = post(api, "/notifications/send", {**SEND, **body})

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    log = NotificationLog.objects.get(pk=response.json()["log_id"])
    assert (log.status, log.error_code, log.attempts) == ("failed", code, 0)
    assert log.error_message == response.json()["detail"]
    event = EventLog.objects.get(entity_type="notification", entity_id=str(log.pk))
    assert event.event_type == "failed"


def test_missing_values_are_all_named(api, deal_template):
    response = post(api, "/notifications/send", {**SEND, "context": {}})

    assert "deal_id, status, action" in response.json()["detail"]


@pytest.mark.parametrize("recipient", ["5551234567", "+0123", "+1 555 123", "hello"])
def test_sms_needs_an_e164_number(api, deal_template, recipient):
    services.create_channel(key="sms", name="SMS")

    response = post(
        api,
        "/notifications/send",
        {**SEND, "channel_key": "sms", "recipient": recipient},
    )

    assert response.status_code == 400
    assert "E.164" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": ""}, "recipient"),
        ({"recipient": "a\nb@example.com"}, "recipient"),
        ({"context": [1]}, "context"),
        ({"context": {"a": "\x00"}}, "context"),
        ({"template_key": None}, "template_key"),
    ],
)
def test_invalid_send_body_is_a_400_naming_the_field(api, deal_template, body, field):
    response = post(api, "/notifications/send", {**SEND, **body})

    assert response.status_code == 400
    assert field in response.json()
    assert not NotificationLog.objects.exists()


# --- Idempotency ---------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(api, deal_template, delivered):
    with delivered() as callbacks:
        first = post(api, "/notifications/send", SEND, HTTP_IDEMPOTENCY_KEY="send-1")
        second = post(api, "/notifications/send", SEND, HTTP_IDEMPOTENCY_KEY="send-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert NotificationLog.objects.count() == 1
    assert len(callbacks) == 1


def test_idempotency_key_with_another_body_is_a_409(api, deal_template):
    post(api, "/notifications/send", SEND, HTTP_IDEMPOTENCY_KEY="send-1")

    response = post(
        api,
        "/notifications/send",
        {**SEND, "recipient": "x@example.com"},
        HTTP_IDEMPOTENCY_KEY="send-1",
    )

    assert response.status_code == 409
    assert NotificationLog.objects.count() == 1


def test_idempotency_key_replays_a_refusal(api, db):
    first = post(
        api,
        "/notifications/send",
        {**SEND, "template_key": "nope"},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    second = post(
        api,
        "/notifications/send",
        {**SEND, "template_key": "nope"},
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert first.status_code == second.status_code == 404
    assert first.json() == second.json()
    assert NotificationLog.objects.count() == 1


def test_bad_idempotency_key_is_a_400(api, deal_template):
    response = post(api, "/notifications/send", SEND, HTTP_IDEMPOTENCY_KEY="x" * 300)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


# --- Logs -----------------------------------------------------------------------------


def test_logs_filter_and_page(api, deal_template, delivered):
    with delivered():
        for i in range(5):
            post(api, "/notifications/send", {**SEND, "recipient": f"r{i}@example.com"})
    post(api, "/notifications/send", {**SEND, "template_key": "nope"})

    def ids(query):
        response = api.get("/notifications/logs/", query)
        assert response.status_code == 200, response.content
        return [log["id"] for log in response.json()["results"]]

    assert len(ids({"status": "sent"})) == 5
    assert len(ids({"status": "failed"})) == 1
    assert len(ids({"template": "nope"})) == 1
    assert len(ids({"channel": "email"})) == 5
    assert len(ids({"recipient": "r3@example.com"})) == 1
    assert (
        len(ids({"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}))
        == 6
    )
    page = api.get("/notifications/logs/?limit=4").json()
    rest = api.get(page["next"]).json()
    assert len(page["results"]) == 4
    assert len(rest["results"]) == 2
    assert rest["next"] is None
    assert api.get("/notifications/logs/?status=lost").status_code == 400


def test_log_detail(api, deal_template, delivered):
    with delivered():
        log_id = post(api, "/notifications/send", SEND).json()["id"]

    assert api.get(f"/notifications/logs/{log_id}").json()["status"] == "sent"
    assert api.get("/notifications/logs/999999").status_code == 404


def test_logs_are_read_only_through_the_api(api, deal_template, delivered):
    with delivered():
        log_id = post(api, "/notifications/send", SEND).json()["id"]

    for method in ("put", "patch", "delete"):
        assert (
            getattr(api, method)(
                f"/notifications/logs/{log_id}", {}, format="json"
            ).status_code
            == 405
        )
    assert post(api, "/notifications/logs/", {}).status_code == 405


@pytest.mark.parametrize("segment", ["²", "٣", "1²"])
def test_non_ascii_digits_are_keys_not_ids(api, db, segment):
    assert api.get(f"/notifications/templates/{segment}").status_code == 404
    assert api.get(f"/notifications/channels/{segment}").status_code == 404
