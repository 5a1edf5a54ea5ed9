"""Fixtures for tests that need a devnet: an in-process devnet on a free port, tronpy clients.

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py.

* ``devnet`` (function scope) / ``devnet_module`` (module scope): a running devnet with
  ``block_interval_ms=0`` (blocks only when a test mines). Override ``devnet_options`` (a dict
  of ``tron_devnet.server.start`` keyword arguments) in a test module to change it.
* ``tron``: a ``tronpy.AsyncTron`` on the function-scoped devnet, closed at teardown.

The ``Devnet`` handle exposes ``url``, ``accounts`` / ``witnesses`` (base58 address and hex
private key), raw HTTP helpers (``post``, ``get``, ``mine``, ``advance_time``, ``fund``,
``faults``) and ``send``: build with tronpy, sign and broadcast. tronpy computes a
transaction's expiration from the local wall clock; ``send`` (by default) moves it to
``max(wall clock, head block time) + 60 s`` so it stays valid after a test mined many blocks
or advanced the chain clock.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransactionBuilder, AsyncTransactionRet
from tronpy.keys import PrivateKey
from tronpy.providers.async_http import AsyncHTTPProvider

from tron_devnet import crypto
from tron_devnet.server import DevnetServer, start

HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class DevnetAccount:
    """A funded genesis account (or witness): base58 address and hex private key."""

    address: str
    private_key: str

    @property
    def key(self) -> PrivateKey:
        return PrivateKey(bytes.fromhex(self.private_key))

    @property
    def hex_address(self) -> str:
        return crypto.parse_address(self.address).hex()

    @property
    def raw_address(self) -> bytes:
        return crypto.parse_address(self.address)


@dataclass
class Devnet:
    """A running in-process devnet and helpers to drive it over HTTP."""

    server: DevnetServer
    accounts: list[DevnetAccount]
    witnesses: list[DevnetAccount]
    timeout: float = HTTP_TIMEOUT
    _clients: list[AsyncTron] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    # ---- raw HTTP ----

    async def post(self, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(f"{self.url}/{path.lstrip('/')}", json=body or {})
            response.raise_for_status()
            return response.json()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.get(f"{self.url}/{path.lstrip('/')}", params=params)
            response.raise_for_status()
            return response.json()

    async def mine(self, blocks: int = 1) -> dict[str, Any]:
        result: dict[str, Any] = await self.post("devnet/mine", {"blocks": blocks})
        return result

    async def advance_time(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = await self.post("devnet/time/advance", {"seconds": seconds})
        return result

    async def fund(self, address: str, amount_sun: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.post(
            "devnet/fund", {"address": address, "amount_sun": amount_sun}
        )
        return result

    async def faults(self, *rules: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"rules": list(rules)}
        if seed is not None:
            body["seed"] = seed
        result: dict[str, Any] = await self.post("devnet/faults", body)
        return result

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.get("devnet/state")
        return result

    async def head_time_ms(self) -> int:
        block = await self.post("wallet/getnowblock")
        return int(block["block_header"]["raw_data"].get("timestamp", 0))

    # ---- tronpy ----

    def client(self, timeout: float = HTTP_TIMEOUT) -> AsyncTron:
        """A new tronpy client on this devnet (closed with the fixture)."""
        tron = AsyncTron(AsyncHTTPProvider(self.url, timeout=timeout))
        self._clients.append(tron)
        return tron

    async def send(
        self,
        builder: AsyncTransactionBuilder,
        signer: DevnetAccount,
        *,
        expiration_from_head: bool = True,
    ) -> AsyncTransactionRet:
        """Build (via ``getsignweight``), sign with ``signer`` and broadcast."""
        if expiration_from_head:
            now_ms = max(int(time.time() * 1000), await self.head_time_ms())
            builder._raw_data["expiration"] = now_ms + 60_000
        tx = await builder.build()
        tx.sign(signer.key)
        return await tx.broadcast()

    async def send_and_mine(
        self, builder: AsyncTransactionBuilder, signer: DevnetAccount
    ) -> dict[str, Any]:
        """``send``, mine one block, and return the transaction info."""
        ret = await self.send(builder, signer)
        await self.mine(1)
        info: dict[str, Any] = await ret.wait(timeout=10, interval=0.2)
        return info

    async def aclose(self) -> None:
        for tron in self._clients:
            await tron.close()
        self._clients.clear()


def _accounts(server: DevnetServer) -> tuple[list[DevnetAccount], list[DevnetAccount]]:
    genesis = server.chain.genesis
    witness_addresses = {witness.address for witness in genesis.witnesses}

    def entry(address: bytes, key: bytes | None) -> DevnetAccount:
        return DevnetAccount(crypto.address_to_base58(address), key.hex() if key else "")

    accounts = [
        entry(account.address, account.private_key)
        for account in genesis.accounts
        if account.address not in witness_addresses
    ]
    witnesses = [entry(witness.address, witness.private_key) for witness in genesis.witnesses]
    return accounts, witnesses


def _start(options: dict[str, Any]) -> Devnet:
    server = start(**{"block_interval_ms": 0, **options})
    accounts, witnesses = _accounts(server)
    return Devnet(server, accounts, witnesses)


@pytest.fixture
def devnet_options() -> dict[str, Any]:
    """Keyword arguments for ``tron_devnet.server.start`` (override per module)."""
    return {}


@pytest.fixture
def devnet(devnet_options: dict[str, Any]) -> Iterator[Devnet]:
    """A fresh devnet per test (no block production unless the test mines)."""
    net = _start(devnet_options)
    with net.server:
        yield net


@pytest.fixture(scope="module")
def devnet_module() -> Iterator[Devnet]:
    """One devnet shared by a module (for tests that only read or tolerate shared state)."""
    net = _start({})
    with net.server:
        yield net


@pytest.fixture
async def tron(devnet: Devnet) -> AsyncIterator[AsyncTron]:
    """A tronpy ``AsyncTron`` on ``devnet``; closed at teardown."""
    client = devnet.client()
    try:
        yield client
    finally:
        await devnet.aclose()
