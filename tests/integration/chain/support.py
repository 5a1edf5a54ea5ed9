"""Helpers of the chain adapter's integration tests: a test-only signer over coincurve, a
client factory on the devnet, and a request log kept on the devnet side.

``DevnetSigner`` holds the devnet's funded keys (test data, never a real secret) and signs
txids exactly as a keystore does: secp256k1 over the 32-byte txid, ``r||s||v`` with ``v`` 0/1.
``RequestLog`` wraps the in-process devnet's ASGI app to record the path and arrival time of
every request it serves, so tests count requests where the node sees them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import coincurve

from tests.support.devnet import Devnet, DevnetAccount
from tron_staking.chain.client import ReadRetry, TronChainClient
from tron_staking.chain.outcomes import Accepted, BroadcastOutcome
from tron_staking.chain.ports import Inclusion, ReadCache
from tron_staking.chain.transactions import Json, SignedTransaction, TxKind
from tron_staking.chain.transport import NodeTransport, RequestCounter
from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import TxId
from tron_staking.errors import SigningKeyError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

FAST_RETRY = ReadRetry(attempts=4, timeout_s=20.0, wait_initial_s=0.05, wait_max_s=0.5)


class DevnetSigner:
    """A ``TransactionSigner`` over the devnet's keys (tests only)."""

    def __init__(self, *accounts: DevnetAccount) -> None:
        self._keys = {
            Address(account.address): coincurve.PrivateKey(bytes.fromhex(account.private_key))
            for account in accounts
        }
        self.signed: list[TxId] = []

    async def sign(self, owner: Address, txid: TxId) -> str:
        key = self._keys.get(owner)
        if key is None:
            raise SigningKeyError(f"no key for {owner}")
        self.signed.append(txid)
        signature: bytes = key.sign_recoverable(bytes.fromhex(txid), hasher=None)
        return signature.hex()


def make_client(
    devnet: Devnet,
    *,
    qps: float = 1000.0,
    timeout_s: float = 10.0,
    window_s: float = 60.0,
    cache: ReadCache | None = None,
    api_key: str | None = None,
    retry: ReadRetry = FAST_RETRY,
) -> TronChainClient:
    transport = NodeTransport(
        devnet.url, qps=qps, timeout_s=timeout_s, api_key=api_key, counter=RequestCounter()
    )
    return TronChainClient(transport, expiration_window_s=window_s, cache=cache, read_retry=retry)


class RequestLog:
    """Every TRON request the devnet receives, faulted ones included: ``(monotonic arrival
    time, path, headers)``. It wraps the devnet's outermost ASGI layer (its fault
    middleware) and leaves admin requests out."""

    def __init__(self, devnet: Devnet) -> None:
        self.entries: list[tuple[float, str, dict[str, str]]] = []
        app = devnet.server.app
        app.middleware = _Recording(app.middleware, self.entries)  # type: ignore[assignment]

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.entries]

    def clear(self) -> None:
        self.entries.clear()


class _Recording:
    """An ASGI wrapper that records requests and delegates everything else to ``inner``."""

    def __init__(self, inner: Any, entries: list[tuple[float, str, dict[str, str]]]) -> None:
        self._inner = inner
        self._entries = entries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/devnet/"):
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self._entries.append((time.monotonic(), scope["path"].lstrip("/"), headers))
        await self._inner(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def send(
    client: TronChainClient,
    signer: DevnetSigner,
    owner: str,
    kind: TxKind,
    params: dict[str, Json],
) -> tuple[SignedTransaction, BroadcastOutcome]:
    """Build at the current head, sign and broadcast once."""
    head = await client.head()
    unsigned = await client.build(Address(owner), kind, params, head)
    signed = await client.sign(unsigned, signer)
    return signed, await client.broadcast(signed)


async def send_and_mine(
    devnet: Devnet,
    client: TronChainClient,
    signer: DevnetSigner,
    owner: str,
    kind: TxKind,
    params: dict[str, Json],
) -> Inclusion:
    """``send``; the answer must be Accepted; mine one block and return the inclusion."""
    signed, outcome = await send(client, signer, owner, kind, params)
    assert outcome == Accepted(signed.txid), outcome
    await devnet.mine(1)
    found = await client.transaction_info(signed.txid)
    assert found is not None
    return found
