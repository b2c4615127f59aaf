"""Delivery adapters: one small class per way of reaching a recipient.

A channel names its provider; ``NOTIFICATION_PROVIDERS`` in settings maps
names to classes, so another adapter is one class and one settings line::

    class PagerProvider(Provider):
        def send(self, message, config): ...

A provider raises ``TransientDeliveryError`` for what may succeed later
(timeouts, 5xx, refused connections) and ``PermanentDeliveryError`` for what
never will (a rejected address, a 4xx).
"""

import hashlib
import hmac
import logging
import os
import smtplib
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import URLValidator
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Valhalla-Signature"
DEFAULT_SECRET_ENV = "NOTIFICATIONS_WEBHOOK_SECRET"  # noqa: S105 (a variable's name)


class DeliveryError(Exception):
    transient = True


class TransientDeliveryError(DeliveryError):
    transient = True


class PermanentDeliveryError(DeliveryError):
    transient = False


@dataclass(frozen=True)
class Message:
    id: int
    channel: str
    template: str | None
    recipient: str
    subject: str | None
    body: str
    created_at: datetime


class Provider:
    """Base adapter: validates its channel's config and sends one message."""

    #: what a recipient must look like on this provider: "email", "e164" or "any"
    recipient_format = "any"

    def validate_config(self, config: dict[str, Any]) -> None:
        """Raise ``ValidationError`` for a config this provider cannot use."""

    def send(self, message: Message, config: dict[str, Any]) -> None:
        raise NotImplementedError


class ConsoleProvider(Provider):
    """Writes the message to the log; the default until a channel is configured."""

    def send(self, message: Message, config: dict[str, Any]) -> None:
        logger.info(
            "notification %s via %s to %s: %s | %s",
            message.id,
            message.channel,
            message.recipient,
            message.subject or "",
            message.body,
        )


class InAppProvider(Provider):
    """Nothing leaves the building: the stored log is the recipient's inbox."""

    def send(self, message: Message, config: dict[str, Any]) -> None:
        return None


class EmailProvider(Provider):
    """Django's email framework: console by default, SMTP or an ESP by settings."""

    recipient_format = "email"

    def send(self, message: Message, config: dict[str, Any]) -> None:
        email = EmailMessage(
            subject=message.subject or "",
            body=message.body,
            from_email=config.get("from_email") or settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            # A stable Message-ID lets receivers drop a redelivered duplicate.
            headers={
                "Message-ID": f"<notification-{message.id}@{settings.EMAIL_DOMAIN}>"
            },
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"recipient refused: {exc.recipients}"
            if all(code >= 500 for code in codes):
                raise PermanentDeliveryError(error) from None
            raise TransientDeliveryError(error) from None
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if exc.smtp_code >= 500:
                raise PermanentDeliveryError(error) from None
            raise TransientDeliveryError(error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from None


class WebhookProvider(Provider):
    """POSTs the message as JSON to the channel's ``url``, signed with HMAC-SHA256.

    The secret comes from the environment variable named by the channel's
    ``secret_env`` (default ``NOTIFICATIONS_WEBHOOK_SECRET``). The header is
    ``X-Valhalla-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
    """

    def validate_config(self, config: dict[str, Any]) -> None:
        url = config.get("url")
        if not isinstance(url, str):
            raise ValidationError({"config": "A webhook channel needs a 'url'."})
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(
                {"config": f"'url' must be an http(s) URL, not {url!r}."}
            ) from None
        secret_env = config.get("secret_env", DEFAULT_SECRET_ENV)
        if not isinstance(secret_env, str) or not secret_env.isidentifier():
            raise ValidationError(
                {"config": "'secret_env' must name an environment variable."}
            )
        if "recipient_format" in config and config["recipient_format"] not in FORMATS:
            raise ValidationError(
                {"config": f"'recipient_format' must be one of {', '.join(FORMATS)}."}
            )

    def send(self, message: Message, config: dict[str, Any]) -> None:
        secret_env = config.get("secret_env", DEFAULT_SECRET_ENV)
        secret = os.environ.get(secret_env)
        if not secret:
            raise PermanentDeliveryError(
                f"environment variable {secret_env} (the webhook secret) is not set"
            )
        body = orjson.dumps(asdict(message))
        timestamp = str(int(time.time()))
        try:
            response = requests.post(
                config["url"],
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"notification-{message.id}",
                    SIGNATURE_HEADER: sign(secret, timestamp, body),
                },
                timeout=(
                    settings.NOTIFICATIONS_CONNECT_TIMEOUT,
                    settings.NOTIFICATIONS_READ_TIMEOUT,
                ),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code < 300:
            return
        error = f"HTTP {response.status_code} from webhook: {response.text[:200]}"
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise TransientDeliveryError(error)
        raise PermanentDeliveryError(error)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver runs: is ``header`` a fresh, valid signature of ``body``?"""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = fields.get("t", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


FORMATS = ("email", "e164", "any")


@cache
def get_provider(name: str) -> Provider:
    return import_string(settings.NOTIFICATION_PROVIDERS[name])()


def provider_names() -> list[str]:
    return list(settings.NOTIFICATION_PROVIDERS)


def default_provider(channel_key: str) -> str:
    return {"email": "email", "in_app": "in_app"}.get(channel_key, "console")
