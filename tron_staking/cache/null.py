"""The cache used when REDIS_URL is empty: every read misses, every write does nothing, and
wake-ups are delivered to the subscribers of this process only (API and controller in one
process still wake each other; other replicas rely on their resync).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from tron_staking.cache import codec

_BUFFER = 1024  # wake-ups are hints: when a slow subscriber's buffer is full, drop


class NullWakeSubscription:
    """In-process wake-ups; see :class:`~tron_staking.cache.ports.WakeSubscription`."""

    def __init__(self, cache: NullCache) -> None:
        self._cache = cache
        send, receive = anyio.create_memory_object_stream[str](max_buffer_size=_BUFFER)
        self._send: MemoryObjectSendStream[str] = send
        self._receive: MemoryObjectReceiveStream[str] = receive
        cache._subscribers.add(send)

    async def __aenter__(self) -> Self:
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
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self._cache._subscribers.discard(self._send)
        self._send.close()
        self._receive.close()


class NullCache:
    """The :class:`~tron_staking.cache.ports.Cache` that caches nothing."""

    def __init__(self) -> None:
        self._subscribers: set[MemoryObjectSendStream[str]] = set()

    @property
    def enabled(self) -> bool:
        return False

    async def get(self, key: str) -> Any | None:
        return None

    async def set(self, key: str, value: Any, ttl_s: float) -> None:
        # Same argument checks as the real cache, so that a bug does not hide behind NullCache.
        codec.check_ttl(ttl_s)
        codec.encode(value)

    async def delete(self, *keys: str) -> None:
        return None

    async def publish_wake(self, owner: str) -> None:
        for send in list(self._subscribers):
            try:
                send.send_nowait(owner)
            except anyio.WouldBlock:
                continue
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.discard(send)

    def subscribe_wake(self) -> NullWakeSubscription:
        return NullWakeSubscription(self)

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        for send in list(self._subscribers):
            send.close()
        self._subscribers.clear()
