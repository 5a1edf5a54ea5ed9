"""The HTTP API of tron-staking (contract: ``contract/api.md``), a Starlette application.

:func:`tron_staking.api.app.create_app` builds it from :class:`~tron_staking.api.deps.
ApiDependencies`; the composition root (``tron-staking serve``) passes the store, the cache,
the chain client, the metrics registry and the clock it built. Modules: ``deps`` (what the app
needs, as ports), ``problems`` (RFC 9457 errors), ``auth`` (JWT bearer verification),
``bodies`` (reading JSON bodies), ``models`` (pydantic request and response shapes), ``views``
(stored documents to responses), ``commands`` (position writes), ``ratelimit``, ``events``
(server-sent events), ``openapi`` and ``routes/*`` (one module per resource).
"""
