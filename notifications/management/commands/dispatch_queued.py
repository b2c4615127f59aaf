"""Re-enqueue notifications left queued past their due time (for cron).

Celery beat runs the same sweep every minute; this command is for deployments
without beat, or to drain the queue by hand.
"""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = "Deliver (or re-enqueue) notifications left queued past their due time."

    def handle(self, **options) -> None:
        count = services.dispatch_queued()
        self.stdout.write(f"dispatched {count}")
