"""The chain adapter's read-through cache: node answers per owner and block, in Redis.

The composition root wraps the process's :class:`~tron_staking.cache.ports.Cache` in a
:class:`ChainReadCache` and hands it to the chain client, which reads and writes the JSON
bodies it got from the node for one owner (or ``*``, the whole fleet) at one block id. A block
id never changes meaning, so entries are never stale; the TTL only bounds memory (a minute
covers the twenty blocks a controller may still ask about). With the null cache every read
misses: no Redis means no cache, never an error.
"""

from __future__ import annotations

from typing import Any

from tron_staking.cache.keys import chain_read_key
from tron_staking.cache.ports import Cache

DEFAULT_TTL_S = 60.0


class ChainReadCache:
    """Implements the chain's ``ReadCache`` port over a :class:`Cache`."""

    def __init__(self, cache: Cache, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        self._cache = cache
        self._ttl_s = ttl_s

    async def get(self, scope: str, owner: str, block_id: str) -> dict[str, Any] | None:
        """The cached object, or None on a miss, an outage or a value that is not an object."""
        value = await self._cache.get(chain_read_key(scope, owner, block_id))
        return value if isinstance(value, dict) else None

    async def put(self, scope: str, owner: str, block_id: str, value: dict[str, Any]) -> None:
        await self._cache.set(chain_read_key(scope, owner, block_id), value, self._ttl_s)
