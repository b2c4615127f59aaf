import socket

import pytest
from aiosmtpd.controller import Controller

from notifications import services


@pytest.fixture
def email_channel(db):
    return services.create_channel(key="email", name="Email", description="Email")


@pytest.fixture
def deal_template(email_channel):
    return services.create_template(
        key="deal_status_update",
        channel_key="email",
        subject="Deal {{deal_id}} Status Update",
        body="Deal {{deal_id}} is now {{status}}.\nAction: {{action}}",
    )


DEAL_CONTEXT = {
    "deal_id": 123,
    "status": "under contract",
    "action": "Review by Friday",
}


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what was enqueued on commit, as the embedded (no broker) mode does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
