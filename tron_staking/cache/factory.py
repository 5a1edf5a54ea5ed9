"""Choose the cache implementation from the settings; called by the composition root."""

from __future__ import annotations

from tron_staking.cache.null import NullCache
from tron_staking.cache.ports import Cache
from tron_staking.cache.redis_cache import RedisCache
from tron_staking.settings import RedisSettings


def create_cache(settings: RedisSettings) -> Cache:
    """A :class:`RedisCache` when REDIS_URL is set, else a :class:`NullCache`.

    Nothing connects yet; close the result with ``aclose()``.
    """
    if settings.url is None:
        return NullCache()
    return RedisCache.from_settings(settings)
