"""A per-user (per-token) rate limit on writes; reads are not limited.

``VALHALLA_WRITE_RATE`` sets it (``"600/minute"``, ``"50/second"``; ``off``
disables). A client over it gets 429 with ``Retry-After``. Counts live in
Django's cache: per process by default, shared by every worker when
``VALHALLA_CACHE_URL`` points at Redis.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    scope = "writes"

    def get_rate(self) -> str | None:
        rate = settings.VALHALLA_WRITE_RATE
        return None if rate in ("", "off") else rate

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # Rates are read per request, so a changed setting applies at once.
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
