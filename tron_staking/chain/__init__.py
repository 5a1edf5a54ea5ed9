"""The TRON adapter: the controller's only way to read the chain and send transactions.

The composition root builds a :class:`~tron_staking.chain.client.TronChainClient` with
``from_settings`` (node URL, API key, request budget, timeout; the expiration window from the
controller settings; optionally the Redis read cache of
:class:`~tron_staking.cache.chain_reads.ChainReadCache`) and hands it to the reconciler and
the executor as a :class:`~tron_staking.chain.ports.ChainClient`. Only this package imports
tronpy and httpx for the chain.

Modules, from the port down: ``ports`` (ChainClient, ReadCache, TransactionSigner, Inclusion,
Witness), ``client`` (the tronpy adapter; read retries), ``observation`` (which requests one
observation costs, and its cache), ``snapshot`` (java-tron JSON → AccountSnapshot),
``transactions`` (building on the node, re-anchoring on chain time, signatures), ``txcodec``
(protobuf bytes and txid), ``outcomes`` (broadcast answers → outcomes), ``transport``
(budget, timeout, API key, error mapping, request counting).
"""
