"""The cache's port: the small Protocols the API and the controller depend on.

:class:`~tron_staking.cache.redis_cache.RedisCache` and :class:`~tron_staking.cache.null.
NullCache` implement them, and one contract test suite runs against both. No method raises
because the cache is unreachable: reads miss, writes and publishes do nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self


class WakeSubscription(Protocol):
    """An async iterator of owner addresses woken up; use it as an async context manager.

    ::

        async with cache.subscribe_wake() as wakes:
            async for owner in wakes:
                queue.add(owner)

    Subscribed once ``__aenter__`` returns; wake-ups published while the cache is unreachable
    are lost (the controller's periodic resync covers them).
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def __aiter__(self) -> Self: ...

    async def __anext__(self) -> str: ...

    async def aclose(self) -> None: ...


class Cache(Protocol):
    """JSON values with TTLs plus the wake-up channel; never raises for an outage."""

    @property
    def enabled(self) -> bool:
        """False for the stand-in used when no Redis is configured."""
        ...

    async def get(self, key: str) -> Any | None:
        """The JSON value at ``key``, or None on a miss (or when the cache is unreachable)."""
        ...

    async def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` (JSON-serialisable; TypeError otherwise) for ``ttl_s`` seconds."""
        ...

    async def delete(self, *keys: str) -> None: ...

    async def publish_wake(self, owner: str) -> None:
        """Ask every subscribed controller replica to reconcile ``owner`` soon."""
        ...

    def subscribe_wake(self) -> WakeSubscription: ...

    async def ping(self) -> bool:
        """Whether the cache answers now (for health checks)."""
        ...

    async def aclose(self) -> None: ...
