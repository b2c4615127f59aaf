"""Every write of the notifications app: channels, templates, sends, deliveries.

    from notifications.services import send_notification

    log = send_notification(
        template_key="deal_status_update",
        recipient=deal.investor_email,
        context={"deal_id": deal.id, "status": deal.status},
    )

A send is stored first (``queued``) and delivered after the transaction
commits, by a Celery worker or, with no broker configured, in-process. The
row is the source of truth: ``dispatch_queued`` re-enqueues whatever the
broker lost, and ``deliver_notification`` delivers a row at most once.
"""

import logging
import random
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import rendering
from notifications.models import (
    NotificationChannel,
    NotificationLog,
    NotificationTemplate,
)
from notifications.providers import (
    DeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
    default_provider,
    get_provider,
    provider_names,
)
from timeline.services import record_event
from valhalla import idempotency
from valhalla.exceptions import Conflict

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{1,14}\Z")
DELIVERY_FAILED = "delivery_failed"
# A retry's wake-up may arrive a little before its due time on another clock.
DUE_TOLERANCE = timedelta(seconds=2)
Status = NotificationLog.Status


class SendRefused(Exception):
    """A send that cannot be delivered; its failed log row is already stored.

    ``code`` says why: unknown_template, inactive_template, unknown_channel,
    inactive_channel, missing_values or invalid_recipient.
    """

    def __init__(self, log: NotificationLog) -> None:
        super().__init__(log.error_message)
        self.log = log
        self.code = log.error_code


class _Refusal(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


# --- Channels and templates ---------------------------------------------------------


def create_channel(
    *,
    key: str,
    name: str,
    description: str = "",
    is_active: bool = True,
    provider: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> NotificationChannel:
    channel = NotificationChannel(
        key=key,
        name=name,
        description=description,
        is_active=is_active,
        provider=provider or "",
        config=dict(config or {}),
    )
    return save_channel(channel)


def update_channel(channel: NotificationChannel, **changes: Any) -> NotificationChannel:
    for name, value in changes.items():
        setattr(channel, name, value)
    return save_channel(channel)


def save_channel(channel: NotificationChannel) -> NotificationChannel:
    """Validate and store a new or edited channel (the admin saves through here)."""
    if channel.pk is None:
        channel.provider = channel.provider or default_provider(channel.key)
    else:
        stored_key = NotificationChannel.objects.values_list("key", flat=True).get(
            pk=channel.pk
        )
        if channel.key != stored_key:
            raise ValidationError(
                {"key": "A channel's key cannot change; create a new one."}
            )
    if channel.provider not in provider_names():
        raise ValidationError(
            {
                "provider": f"Unknown provider {channel.provider!r}; use one of "
                f"{', '.join(provider_names())}."
            }
        )
    channel.full_clean(validate_unique=False)
    get_provider(channel.provider).validate_config(channel.config)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ValidationError(
            {"key": f"A channel with key {channel.key!r} exists."}
        ) from None
    return channel


TEMPLATE_FIELDS = ("key", "channel_id", "subject", "body", "description", "is_active")


def create_template(
    *,
    key: str,
    channel_key: str,
    body: str,
    subject: str | None = None,
    description: str = "",
    is_active: bool = True,
) -> NotificationTemplate:
    template = NotificationTemplate(
        key=key,
        channel_id=channel_key,
        subject=subject,
        body=body,
        description=description,
        is_active=is_active,
    )
    return save_template(template)


def update_template(
    template: NotificationTemplate, **changes: Any
) -> NotificationTemplate:
    if "channel_key" in changes:
        changes["channel_id"] = changes.pop("channel_key")
    for name, value in changes.items():
        setattr(template, name, value)
    return save_template(template)


def save_template(template: NotificationTemplate) -> NotificationTemplate:
    """Validate and store a new or edited template; an edit raises its version."""
    with transaction.atomic():
        if template.pk is not None:
            stored = NotificationTemplate.objects.select_for_update().get(
                pk=template.pk
            )
            if template.key != stored.key:
                raise ValidationError({"key": "A template's key cannot change."})
            if all(getattr(template, f) == getattr(stored, f) for f in TEMPLATE_FIELDS):
                return template
            template.version = stored.version + 1
        _validate_template(template)
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            raise ValidationError(
                {"key": f"A template with key {template.key!r} exists."}
            ) from None
    return template


def _validate_template(template: NotificationTemplate) -> None:
    template.full_clean(validate_unique=False, exclude=["channel"])
    if not NotificationChannel.objects.filter(key=template.channel_id).exists():
        raise ValidationError(
            {"channel_key": f"No channel with key {template.channel_id!r}."}
        )
    for field in ("subject", "body"):
        try:
            rendering.parse(getattr(template, field) or "")
        except rendering.TemplateSyntaxError as exc:
            raise ValidationError({field: str(exc)}) from None


def preview_template(
    template: NotificationTemplate, context: Mapping[str, Any]
) -> tuple[str | None, str]:
    """Render ``template`` without storing or sending anything."""
    subject, body = rendering.render_many([template.subject, template.body], context)
    return subject, body


# --- Sending --------------------------------------------------------------------------


def send_notification(
    *,
    template_key: str,
    recipient: str,
    context: Mapping[str, Any] | None = None,
    channel_key: str | None = None,
    idempotency_key: str | None = None,
) -> NotificationLog:
    """Render ``template_key`` for ``recipient`` and queue its delivery.

    Raises ``SendRefused`` (after storing a failed log) when the send cannot be
    rendered or addressed, and ``Conflict`` when ``idempotency_key`` was used
    for a different request. A repeat with the same key and request returns the
    first log (or raises the first refusal) and sends nothing.
    """
    context = dict(context or {})
    request_hash = idempotency.request_hash(
        template_key, recipient, context, channel_key
    )
    if idempotency_key and (log := _replay(idempotency_key, request_hash)):
        return log
    log = NotificationLog(
        channel_key=channel_key or "",
        template_key=template_key,
        recipient=recipient,
        context=context,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    try:
        _render_into(log)
    except _Refusal as refusal:
        log.status = Status.FAILED
        log.error_code = refusal.code
        log.error_message = str(refusal)
        stored = _store(log)
        if stored is not log:
            return stored
        _record_outcome(log)
        raise SendRefused(log) from None
    log.next_attempt_at = log.created_at
    stored = _store(log)
    if stored is log:
        _enqueue_delivery(log.pk)
    return stored


def _render_into(log: NotificationLog) -> None:
    template = (
        NotificationTemplate.objects.select_related("channel")
        .filter(key=log.template_key)
        .first()
    )
    if template is None:
        raise _Refusal(
            "unknown_template", f"No template with key {log.template_key!r}."
        )
    log.template_version = template.version
    log.channel_key = log.channel_key or template.channel_id
    if not template.is_active:
        raise _Refusal("inactive_template", f"Template {template.key!r} is inactive.")
    if log.channel_key == template.channel_id:
        channel = template.channel
    else:
        channel = NotificationChannel.objects.filter(key=log.channel_key).first()
    if channel is None:
        raise _Refusal("unknown_channel", f"No channel with key {log.channel_key!r}.")
    if not channel.is_active:
        raise _Refusal("inactive_channel", f"Channel {channel.key!r} is inactive.")
    _check_recipient(log.recipient, channel)
    try:
        log.subject, log.body = preview_template(template, log.context)
    except rendering.MissingValuesError as exc:
        raise _Refusal("missing_values", str(exc), missing=exc.missing) from None
    except rendering.TemplateSyntaxError as exc:  # stored before syntax checks existed
        raise _Refusal(
            "invalid_template", f"Template {template.key!r}: {exc}"
        ) from None


def recipient_format(channel: NotificationChannel) -> str:
    if "recipient_format" in channel.config:
        return channel.config["recipient_format"]
    if channel.key == "sms":
        return "e164"
    return get_provider(channel.provider).recipient_format


def _check_recipient(recipient: str, channel: NotificationChannel) -> None:
    expected = recipient_format(channel)
    if expected == "email":
        try:
            validate_email(recipient)
        except ValidationError:
            raise _Refusal(
                "invalid_recipient",
                f"Channel {channel.key!r} needs an email address, not {recipient!r}.",
            ) from None
    elif expected == "e164" and not E164.match(recipient):
        raise _Refusal(
            "invalid_recipient",
            f"Channel {channel.key!r} needs an E.164 phone number like +15551234567, "
            f"not {recipient!r}.",
        )


def _replay(idempotency_key: str, request_hash: str) -> NotificationLog | None:
    log = NotificationLog.objects.filter(idempotency_key=idempotency_key).first()
    if log is None:
        return None
    if log.request_hash != request_hash:
        raise Conflict(
            f"Idempotency-Key {idempotency_key!r} was already used for notification "
            f"{log.pk} with a different request."
        )
    if is_refusal(log):
        raise SendRefused(log)
    return log


def is_refusal(log: NotificationLog) -> bool:
    """Was ``log`` refused at send time (as opposed to failing delivery)?"""
    return log.status == Status.FAILED and log.error_code not in ("", DELIVERY_FAILED)


def _store(log: NotificationLog) -> NotificationLog:
    return idempotency.insert_once(
        log, lambda: _replay(log.idempotency_key, log.request_hash)
    )


def retry_notification(log: NotificationLog) -> NotificationLog:
    """Queue a failed delivery again, with a fresh count of attempts."""
    with transaction.atomic():
        log = NotificationLog.objects.select_for_update().get(pk=log.pk)
        if log.status != Status.FAILED:
            raise Conflict(
                f"Notification {log.pk} is {log.status}; only failed ones retry."
            )
        if is_refusal(log):
            raise Conflict(
                f"Notification {log.pk} was refused when sent ({log.error_code}); "
                "fix the cause and send it again."
            )
        log.status = Status.QUEUED
        log.attempts = 0
        log.next_attempt_at = timezone.now()
        log.save(update_fields=["status", "attempts", "next_attempt_at"])
        _enqueue_delivery(log.pk)
    return log


# --- Delivery -------------------------------------------------------------------


def _enqueue_delivery(log_id: int, *, countdown: float | None = None) -> None:
    from notifications.tasks import deliver
    from valhalla.tasks import enqueue

    if countdown is None:
        enqueue(deliver, log_id)
    elif not deliver.app.conf.task_always_eager:
        # In-process mode has no timer: the sweep picks the retry up when due.
        transaction.on_commit(
            lambda: deliver.apply_async((log_id,), countdown=countdown), robust=True
        )


def deliver_notification(*, log_id: int) -> NotificationLog | None:
    """Make one delivery attempt for a queued log; None if there is nothing to do.

    The row stays locked for the attempt, so two workers racing on one log
    deliver it once; a log no longer queued (or not yet due) is left alone.
    """
    retry_in = None
    with transaction.atomic():
        log = (
            NotificationLog.objects.select_for_update(skip_locked=True)
            .filter(pk=log_id, status=Status.QUEUED)
            .first()
        )
        due = log is not None and (
            log.next_attempt_at is None
            or log.next_attempt_at <= timezone.now() + DUE_TOLERANCE
        )
        if not due:
            return None
        log.attempts += 1
        try:
            _send(log)
        except DeliveryError as exc:
            log.error_code = DELIVERY_FAILED
            log.error_message = str(exc)
            if exc.transient and log.attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS:
                retry_in = backoff_seconds(log.attempts)
                log.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
            else:
                log.status = Status.FAILED
        else:
            log.status = Status.SENT
            log.sent_at = timezone.now()
            log.error_code = ""
            log.error_message = ""
        log.save()
        if log.status != Status.QUEUED:
            _record_outcome(log)
    if retry_in is not None:
        _enqueue_delivery(log.pk, countdown=retry_in)
    return log


def _send(log: NotificationLog) -> None:
    channel = NotificationChannel.objects.filter(key=log.channel_key).first()
    if channel is None:
        raise PermanentDeliveryError(f"Channel {log.channel_key!r} no longer exists.")
    message = Message(
        id=log.pk,
        channel=log.channel_key,
        template=log.template_key,
        recipient=log.recipient,
        subject=log.subject,
        body=log.body,
        created_at=log.created_at,
    )
    try:
        get_provider(channel.provider).send(message, channel.config)
    except DeliveryError:
        raise
    except Exception as exc:
        logger.exception(
            "provider %s failed on notification %s", channel.provider, log.pk
        )
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from None


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with ±50% jitter, so retries of many sends spread out."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    jitter = random.uniform(0.5, 1.5)  # noqa: S311 (spreading load, not secrecy)
    return min(base, settings.NOTIFICATIONS_RETRY_MAX_SECONDS) * jitter


def dispatch_queued(*, limit: int = 1000) -> int:
    """Re-enqueue queued logs past due by the grace period; return how many."""
    from notifications.tasks import deliver

    cutoff = timezone.now() - timedelta(
        seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS
    )
    due = list(
        NotificationLog.objects.filter(
            status=Status.QUEUED, next_attempt_at__lte=cutoff
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for log_id in due:
        deliver.delay(log_id)
    return len(due)


def _record_outcome(log: NotificationLog) -> None:
    outcome = "sent" if log.status == Status.SENT else "failed"
    record_event(
        entity_type="notification",
        entity_id=str(log.pk),
        event_type=outcome,
        source="notifications",
        title=f"Notification {log.pk} {outcome} via {log.channel_key or 'no channel'}",
        description=log.error_message,
        payload={
            "channel_key": log.channel_key,
            "template_key": log.template_key,
            "attempts": log.attempts,
            "error_code": log.error_code,
        },
    )
