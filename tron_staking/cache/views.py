"""The seed's per-address cache entries, each with its TTL from the settings.

The API reads ``staking_stats``, ``rewards`` and ``resource_info`` for an address through
:class:`AddressViews` before asking the chain, and invalidates an address when it changes it.
"""

from __future__ import annotations

from typing import Any

from tron_staking.cache.keys import AddressView, address_key
from tron_staking.cache.ports import Cache
from tron_staking.settings import RedisSettings


class AddressViews:
    """Typed access to the per-address keys of a :class:`~tron_staking.cache.ports.Cache`."""

    def __init__(self, cache: Cache, settings: RedisSettings) -> None:
        self._cache = cache
        self._ttl_s = {
            AddressView.STAKING_STATS: float(settings.ttl_staking_stats_s),
            AddressView.REWARDS: float(settings.ttl_rewards_s),
            AddressView.RESOURCE_INFO: float(settings.ttl_resource_info_s),
        }

    def ttl_s(self, view: AddressView) -> float:
        return self._ttl_s[view]

    async def get(self, view: AddressView, address: str) -> Any | None:
        return await self._cache.get(address_key(view, address))

    async def put(self, view: AddressView, address: str, value: Any) -> None:
        await self._cache.set(address_key(view, address), value, self._ttl_s[view])

    async def invalidate(self, address: str) -> None:
        """Forget every cached view of ``address``."""
        await self._cache.delete(*(address_key(view, address) for view in AddressView))
