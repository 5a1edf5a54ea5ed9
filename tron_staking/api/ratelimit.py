"""Per-owner write and per-subject read rate limits (``limits``), 429 with ``Retry-After``.

The buckets live in Redis when ``REDIS_URL`` is set (shared by every replica) and in process
memory otherwise. Redis is an accelerator: when it cannot be reached the limiter lets the
request through rather than failing it.
"""

from __future__ import annotations

import math
import time

import limits
import limits.aio.storage
import limits.aio.strategies
import limits.errors
import structlog

from tron_staking.api import problems
from tron_staking.settings import ApiSettings, RateLimit, RedisSettings

_log = structlog.stdlib.get_logger(__name__)
_PREFIX = "tron_staking_rate"


def _item(limit: RateLimit) -> limits.RateLimitItem:
    return limits.RateLimitItemPerSecond(limit.requests, limit.period_s)


class Limiter:
    """Moving-window limits for reads (by subject) and writes (by owner address)."""

    def __init__(self, api: ApiSettings, redis: RedisSettings) -> None:
        storage: limits.aio.storage.Storage
        if redis.url is None:
            storage = limits.aio.storage.MemoryStorage()
        else:
            storage = limits.aio.storage.RedisStorage(
                "async+" + redis.url,
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=_PREFIX,
                socket_timeout=redis.timeout_s,
                socket_connect_timeout=redis.timeout_s,
            )
        self._storage = storage
        self._strategy = limits.aio.strategies.MovingWindowRateLimiter(storage)
        self._read = _item(api.rate_limit_read)
        self._write = _item(api.rate_limit_write)

    async def aclose(self) -> None:
        """Close the Redis connections of the buckets (nothing to do in memory)."""
        if isinstance(self._storage, limits.aio.storage.RedisStorage):
            client = getattr(self._storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()

    async def read(self, subject: str) -> None:
        """Count one read by ``subject``; a 429 Problem when over the limit."""
        await self._hit(self._read, "read", subject)

    async def write(self, owner: str) -> None:
        """Count one write for ``owner``; a 429 Problem when over the limit."""
        await self._hit(self._write, "write", owner)

    async def _hit(self, item: limits.RateLimitItem, kind: str, key: str) -> None:
        try:
            if await self._strategy.hit(item, kind, key):
                return
            stats = await self._strategy.get_window_stats(item, kind, key)
        except limits.errors.StorageError:
            _log.warning("rate limit storage unavailable; request allowed", kind=kind)
            return
        wait_s = max(1.0, math.ceil(stats.reset_time - time.time()))
        raise problems.Problem(
            429, f"too many {kind} requests; retry later", headers=problems.retry_after(wait_s)
        )
