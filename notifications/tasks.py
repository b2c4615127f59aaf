from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver")
def deliver(log_id: int) -> None:
    services.deliver_notification(log_id=log_id)


@shared_task(name="notifications.dispatch_queued")
def dispatch_queued() -> int:
    return services.dispatch_queued()
