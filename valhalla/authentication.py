"""Token authentication with a short per-process cache of token → user.

Every API request authenticates; without a cache that is one query per
request, the largest fixed cost of a small write. A token deleted in the
admin or by ``drf_create_token -r`` is dropped from this process's cache at
once (signal) and from the other worker processes' within
``VALHALLA_TOKEN_CACHE_SECONDS``, the longest a revoked token can still be
used; ``0`` turns the cache off.
"""

import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

MAX_ENTRIES = 1024
_cache: dict[str, tuple[float, object, Token]] = {}


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        ttl = settings.VALHALLA_TOKEN_CACHE_SECONDS
        if ttl <= 0:
            return super().authenticate_credentials(key)
        now = time.monotonic()
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[key] = (now + ttl, user, token)
        return user, token


@receiver(post_delete, sender=Token)
@receiver(post_save, sender=Token)
def _forget_token(sender, instance: Token, **kwargs) -> None:
    _cache.pop(instance.key, None)


def clear_cache() -> None:
    _cache.clear()
