"""MongoDB persistence for tron-staking, through PyMongo's native async API.

The composition root (the CLI) builds one :class:`~tron_staking.store.client.MongoStore` from
the Mongo settings and a clock, calls ``ensure_indexes()`` at start-up, and passes the store's
repositories to the controller and the API. Callers depend on the Protocols in
:mod:`~tron_staking.store.ports`; only this package imports pymongo, and every driver error
leaves it translated into :mod:`tron_staking.errors`.

Modules: ``names`` (collection names), ``indexes`` (every index, ``ensure_indexes``),
``client`` (client factory and the store bundle), ``documents`` (versioned compare-and-set
repository with cursor pagination), ``transitions`` (append-only state history), ``leases``
(per-owner leases with fencing tokens), ``fencing`` (writes made under a lease, checked
against it in one transaction), ``idempotency`` (API idempotency keys),
``signing_keys`` (the signer's vault of encrypted keys), ``records`` (stored shapes), ``ports``
(Protocols), ``clock`` (the wall clock), ``translate`` (driver error translation).
"""
