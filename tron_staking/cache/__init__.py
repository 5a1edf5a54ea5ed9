"""Redis as an optional accelerator: a JSON cache with TTLs and the controller's wake-ups.

The composition root calls :func:`~tron_staking.cache.factory.create_cache` with the Redis
settings and passes the resulting :class:`~tron_staking.cache.ports.Cache` to the API (which
publishes wake-ups and caches the seed's per-address reads through
:class:`~tron_staking.cache.views.AddressViews`), to the controller (which subscribes to
wake-ups) and, wrapped in :class:`~tron_staking.cache.chain_reads.ChainReadCache`, to the
chain client. Losing Redis costs speed, never correctness: every call then degrades to a miss
or a no-op and is never an exception to the caller. Only this package imports redis.

Modules: ``ports`` (the Cache Protocol), ``keys`` (key and channel names), ``views`` (the seed's
per-address keys with their TTLs), ``chain_reads`` (the chain adapter's node answers per owner
and block), ``redis_cache`` (the redis.asyncio adapter), ``null`` (the stand-in when REDIS_URL
is empty), ``factory`` (picks one from the settings).
"""
