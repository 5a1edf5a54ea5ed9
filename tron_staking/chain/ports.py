"""The chain's ports: the controller's only view of TRON, and what the adapter needs in.

* :class:`ChainClient` — observe an owner, build, sign, broadcast and look transactions up.
  :class:`~tron_staking.chain.client.TronChainClient` implements it over tronpy; a contract
  test suite (tests/integration/chain/test_contract.py) runs against it on the devnet.
* :class:`ReadCache` — where observed JSON is cached per owner and block; the composition
  root passes :class:`~tron_staking.cache.chain_reads.ChainReadCache` (Redis) or nothing.
* :class:`TransactionSigner` — what :meth:`ChainClient.sign` asks for a signature; the
  keystore's ``Signer`` satisfies it. The adapter never sees a key.

Errors (``tron_staking.errors``), for every method that talks to the node: ``RateLimitedError``
(the budget or a 429; ``retry_after_s`` says when), ``ChainUnavailableError`` (no connection,
503, an unusable answer), ``ChainAmbiguousError`` (the answer was lost). Reads have already
been retried when they raise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Protocol

from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.transactions import (
    BlockRef,
    Json,
    SignedTransaction,
    TxKind,
    UnsignedTransaction,
)
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import TxId
from tron_staking.domain.snapshot import AccountSnapshot


@dataclasses.dataclass(frozen=True)
class Inclusion:
    """Proof that a transaction is in a block: ``gettransactioninfobyid`` with a block number.
    ``fee_sun`` is what it burned (0 when bandwidth covered it); ``receipt`` is the node's
    whole answer (amount fields such as ``withdraw_amount`` included)."""

    txid: TxId
    block_number: int
    block_time_ms: int
    fee_sun: int
    receipt: dict[str, Json]


@dataclasses.dataclass(frozen=True)
class Witness:
    """One entry of ``listwitnesses``: a super representative candidate."""

    address: Address
    vote_count: int
    url: str


class TransactionSigner(Protocol):
    async def sign(self, owner: Address, txid: TxId) -> str:
        """The 65-byte ``r||s||v`` signature of ``txid`` by ``owner``'s key, in hex."""
        ...


class ReadCache(Protocol):
    """JSON bodies the node answered, by ``(scope, owner, block id)``; never raises."""

    async def get(self, scope: str, owner: str, block_id: str) -> dict[str, Json] | None: ...

    async def put(self, scope: str, owner: str, block_id: str, value: dict[str, Json]) -> None: ...


class ChainClient(Protocol):
    """The controller's view of the chain (see the module docstring for errors)."""

    async def observe(self, owner: Address, receivers: Collection[Address]) -> AccountSnapshot:
        """The owner's state at the head, with its delegations to ``receivers`` and their
        activation; cached per head block."""
        ...

    async def observe_solid(
        self, owner: Address, receivers: Collection[Address]
    ) -> AccountSnapshot:
        """The owner's state at the solid block (``walletsolidity``): account, votes,
        unfreezes and delegations to ``receivers``; head fields are the solid block's and
        resource fields (tron power, bandwidth, can-delegate) are not observed. Drift
        evidence only."""
        ...

    async def head(self) -> BlockRef: ...

    async def solid_head(self) -> BlockRef: ...

    async def list_witnesses(self) -> tuple[Witness, ...]: ...

    async def build(
        self,
        owner: Address,
        kind: StakingOperationType | TxKind,
        params: Mapping[str, Json],
        head: BlockRef,
        *,
        reference: BlockRef | None = None,
    ) -> UnsignedTransaction:
        """A transaction of ``kind`` with ``params`` (contract fields, base58 addresses),
        expiring at ``head.timestamp_ms`` + the configured window, TaPoS on ``reference``
        (default ``head``); txid computed and checked against the node's.

        Raises ChainRejectedError (``CONTRACT_VALIDATE_ERROR``, java-tron's message) when the
        node refuses to build it against its pending state; ValidationError on bad params.
        """
        ...

    def attach_signature(
        self, unsigned: UnsignedTransaction, signature_hex: str
    ) -> SignedTransaction:
        """Raises SigningKeyError unless the signature is the owner's over the txid."""
        ...

    async def sign(
        self, unsigned: UnsignedTransaction, signer: TransactionSigner
    ) -> SignedTransaction:
        """``attach_signature`` with the signature ``signer`` makes."""
        ...

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        """Send once (never retried here) and classify the answer; never raises for the
        node's or the network's failures — they are outcomes."""
        ...

    async def transaction_info(self, txid: TxId) -> Inclusion | None:
        """The inclusion on the head chain, or None (unknown, pending, or dropped)."""
        ...

    async def solid_transaction_info(self, txid: TxId) -> Inclusion | None:
        """The inclusion as the solid node sees it: non-None means final."""
        ...

    async def aclose(self) -> None: ...
