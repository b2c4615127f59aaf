import pytest

from notifications.models import (
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)


@pytest.fixture
def staff(client, make_user):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def test_channel_is_created_through_the_service_with_a_default_provider(staff, db):
    response = staff.post(
        "/admin/notifications/notificationchannel/add/",
        {
            "key": "email",
            "name": "Email",
            "description": "",
            "is_active": "on",
            "provider": "",
            "config": "{}",
        },
    )

    assert response.status_code == 302, response.content
    assert NotificationChannel.objects.get(key="email").provider == "email"


def test_channel_config_is_checked_by_its_provider(staff, db):
    response = staff.post(
        "/admin/notifications/notificationchannel/add/",
        {
            "key": "sms",
            "name": "SMS",
            "is_active": "on",
            "provider": "webhook",
            "config": "{}",
        },
    )

    assert response.status_code == 200
    assert "needs a" in response.content.decode()
    assert not NotificationChannel.objects.exists()


def test_template_edit_raises_version_and_checks_syntax(staff, deal_template):
    url = f"/admin/notifications/notificationtemplate/{deal_template.pk}/change/"
    form = {
        "channel": "email",
        "subject": "Deal {{deal_id}}",
        "body": "Now {{status}}",
        "description": "",
        "is_active": "on",
        "sample_context": "{}",
    }

    bad = staff.post(url, {**form, "body": "Now {{status}"})
    good = staff.post(url, form)

    assert bad.status_code == 200
    assert "not closed" in bad.content.decode()
    assert good.status_code == 302
    assert NotificationTemplate.objects.get(pk=deal_template.pk).version == 2


def test_live_preview_renders_unsaved_text(staff, deal_template):
    page = staff.get(
        f"/admin/notifications/notificationtemplate/{deal_template.pk}/change/"
    )
    assert b"template-preview" in page.content
    assert b"notifications/template_preview.js" in page.content

    url = "/admin/notifications/notificationtemplate/preview/"
    ok = staff.post(
        url,
        {
            "subject": "Hi {{ name }}",
            "body": "B {{n.0}}",
            "context": {"name": "Ada", "n": [7]},
        },
        content_type="application/json",
    )
    missing = staff.post(
        url, {"body": "{{ a }} {{ b }}", "context": {}}, content_type="application/json"
    )

    assert ok.json() == {"subject": "Hi Ada", "body": "B 7"}
    assert missing.status_code == 400
    assert "a, b" in missing.json()["detail"]


def test_logs_are_read_only_with_filters_and_a_retry_action(staff, db, delivered):
    log = NotificationLog.objects.create(
        channel_key="nowhere",
        recipient="a@example.com",
        status="failed",
        error_code="delivery_failed",
        context={"x": "<b>"},
    )

    changelist = staff.get(
        "/admin/notifications/notificationlog/", {"q": "a@example.com"}
    )
    detail = staff.get(f"/admin/notifications/notificationlog/{log.pk}/change/")
    with delivered():
        staff.post(
            "/admin/notifications/notificationlog/",
            {"action": "retry", "_selected_action": [log.pk]},
        )

    assert {spec.title for spec in changelist.context["cl"].filter_specs} == {
        "status",
        "channel key",
        "template key",
    }
    assert list(changelist.context["cl"].result_list) == [log]
    assert b'name="recipient"' not in detail.content
    assert b"&quot;&lt;b&gt;&quot;" in detail.content
    log.refresh_from_db()
    assert log.attempts == 1
    assert "no longer exists" in log.error_message
    assert staff.get("/admin/notifications/notificationlog/add/").status_code == 403
