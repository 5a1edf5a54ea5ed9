"""The redis.asyncio implementation of :class:`~tron_staking.cache.ports.Cache`.

Values are JSON text under their key with a TTL; wake-ups are published on
:data:`~tron_staking.cache.keys.WAKE_CHANNEL`. Built by
:func:`~tron_staking.cache.factory.create_cache` when REDIS_URL is set.

Redis is an accelerator, so an outage is never the caller's problem: each failing call is
logged (at most one warning per ``warn_interval_s``), then a read returns a miss and a write
or publish does nothing. Sockets time out after the settings' short ``timeout_s``, the driver
does not retry, and after a failure the cache answers from memory (miss / no-op) for
``cooldown_s`` instead of trying the dead server again on every call. A wake subscription
reconnects on its own with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import anyio
import redis.asyncio
import redis.exceptions
import structlog
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from tron_staking.cache import codec
from tron_staking.cache.keys import WAKE_CHANNEL
from tron_staking.settings import RedisSettings

_log = structlog.stdlib.get_logger(__name__)

# What the driver raises when the server is away: its own errors, and socket errors that
# surface unwrapped on some paths.
_OUTAGE = (redis.exceptions.RedisError, OSError)


class _WarningLimiter:
    """Log a warning at most once per ``interval_s``, counting what it held back."""

    def __init__(self, interval_s: float, monotonic: Callable[[], float]) -> None:
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._last: float | None = None
        self._suppressed = 0

    def warn(self, event: str, **fields: Any) -> None:
        now = self._monotonic()
        if self._last is not None and now - self._last < self._interval_s:
            self._suppressed += 1
            return
        _log.warning(event, suppressed=self._suppressed, **fields)
        self._last = now
        self._suppressed = 0


class RedisWakeSubscription:
    """Wake-ups from Redis pub/sub; see :class:`~tron_staking.cache.ports.WakeSubscription`."""

    _POLL_S = 1.0
    _BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)

    def __init__(self, cache: RedisCache) -> None:
        self._cache = cache
        self._pubsub: PubSub | None = None
        self._failures = 0
        self._closed = False

    async def __aenter__(self) -> Self:
        await self._connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while not self._closed:
            if self._pubsub is None and not await self._connect():
                delay_s = self._BACKOFF_S[min(self._failures, len(self._BACKOFF_S)) - 1]
                await anyio.sleep(delay_s)
                continue
            assert self._pubsub is not None
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=self._POLL_S
                )
            except _OUTAGE as exc:
                self._cache._warn("cache.wake_subscription_lost", exc)
                await self._drop()
                continue
            if message is not None and message.get("type") == "message":
                data = message["data"]
                return data.decode() if isinstance(data, bytes) else str(data)
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._closed = True
        await self._drop()

    async def _connect(self) -> bool:
        pubsub = self._cache._client.pubsub()
        try:
            await pubsub.subscribe(WAKE_CHANNEL)
        except _OUTAGE as exc:
            self._failures += 1
            self._cache._warn("cache.wake_subscribe_failed", exc)
            await self._close_quietly(pubsub)
            return False
        self._pubsub = pubsub
        self._failures = 0
        return True

    async def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await self._close_quietly(pubsub)

    @staticmethod
    async def _close_quietly(pubsub: PubSub) -> None:
        try:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
        except _OUTAGE:
            return


class RedisCache:
    """The :class:`~tron_staking.cache.ports.Cache` over one ``redis.asyncio.Redis`` client."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        cooldown_s: float = 1.0,
        warn_interval_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._cooldown_s = cooldown_s
        self._monotonic = monotonic
        self._down_until = 0.0
        self._warnings = _WarningLimiter(warn_interval_s, monotonic)

    @classmethod
    def from_settings(
        cls,
        settings: RedisSettings,
        *,
        cooldown_s: float = 1.0,
        warn_interval_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> RedisCache:
        """A cache on ``settings.url`` (which must be set); connects on first use."""
        if settings.url is None:
            raise ValueError("RedisCache needs REDIS_URL; use NullCache without it")
        client = redis.asyncio.Redis.from_url(
            settings.url,
            socket_timeout=settings.timeout_s,
            socket_connect_timeout=settings.timeout_s,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        return cls(
            client, cooldown_s=cooldown_s, warn_interval_s=warn_interval_s, monotonic=monotonic
        )

    @property
    def enabled(self) -> bool:
        return True

    def _available(self) -> bool:
        return self._monotonic() >= self._down_until

    def _warn(self, event: str, exc: BaseException) -> None:
        self._warnings.warn(event, error=f"{type(exc).__name__}: {exc}")

    def _failed(self, event: str, exc: BaseException) -> None:
        self._down_until = self._monotonic() + self._cooldown_s
        self._warn(event, exc)

    async def get(self, key: str) -> Any | None:
        if not self._available():
            return None
        try:
            raw = await self._client.get(key)
        except _OUTAGE as exc:
            self._failed("cache.get_failed", exc)
            return None
        if raw is None:
            return None
        try:
            return codec.decode(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            self._warn("cache.value_not_json", exc)
            return None

    async def set(self, key: str, value: Any, ttl_s: float) -> None:
        codec.check_ttl(ttl_s)
        text = codec.encode(value)
        if not self._available():
            return
        try:
            await self._client.set(key, text, px=max(1, round(ttl_s * 1000)))
        except _OUTAGE as exc:
            self._failed("cache.set_failed", exc)

    async def delete(self, *keys: str) -> None:
        if not keys or not self._available():
            return
        try:
            await self._client.delete(*keys)
        except _OUTAGE as exc:
            self._failed("cache.delete_failed", exc)

    async def publish_wake(self, owner: str) -> None:
        if not self._available():
            return
        try:
            await self._client.publish(WAKE_CHANNEL, owner)
        except _OUTAGE as exc:
            self._failed("cache.publish_failed", exc)

    def subscribe_wake(self) -> RedisWakeSubscription:
        return RedisWakeSubscription(self)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except _OUTAGE as exc:
            self._failed("cache.ping_failed", exc)
            return False

    async def aclose(self) -> None:
        try:
            await self._client.aclose()
        except _OUTAGE as exc:
            self._warn("cache.close_failed", exc)
