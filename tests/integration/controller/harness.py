"""A controller on the devnet, a real MongoDB-protocol store and the real keystore, for tests.

``ControllerRig`` wires the production parts — ``TronChainClient`` over HTTP to the devnet,
``MongoStore`` repositories, the AES-GCM ``Keystore`` — into :class:`Reconciler`s (one per
replica id) and offers the loop the tests drive: reconcile, let operations sit across
reconciles, mine one block, repeat. Nothing is substituted; the only test-side control is
when blocks are mined and the store's manual clock (lease expiry).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from tests.support.clock import ManualClock
from tests.support.devnet import Devnet, DevnetAccount
from tron_staking import settings
from tron_staking.chain.client import ReadRetry, TronChainClient
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.ports import ChainClient, Inclusion, TransactionSigner, Witness
from tron_staking.chain.transactions import (
    BlockRef,
    Json,
    SignedTransaction,
    TxKind,
    UnsignedTransaction,
)
from tron_staking.chain.transport import NodeTransport
from tron_staking.controller import planner
from tron_staking.controller.reconciler import Reconciler, ReconcileResult, Stores
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    OperationState,
    StakingOperationType,
)
from tron_staking.domain.ids import PositionId, TxId
from tron_staking.domain.operation import Operation, RawOperation
from tron_staking.domain.position import Position, RawPosition
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.domain.spec import PositionSpec
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore

LEASE_TTL_S = 30.0
SOLID_LAG_BLOCKS = 19
"""The devnet's default (as on mainnet)."""
CHAIN_TIMEOUT_S = 1.0
"""Short, so that the devnet's ``timeout`` faults cost a second, not ten."""


def stores_of(store: MongoStore) -> Stores:
    return Stores(
        positions=store.positions,
        operations=store.operations,
        transitions=store.transitions,
        leases=store.leases,
        journal=store.journal,
        delegations=store.delegations,
        votes=store.votes,
        rewards=store.rewards,
    )


def chain_client(devnet: Devnet, *, expiration_window_s: float = 60) -> TronChainClient:
    chain_settings = settings.load(
        {
            "TRON_HTTP_ENDPOINT": devnet.url,
            "STAKING_CHAIN_QPS": "10000",
            "STAKING_CHAIN_TIMEOUT_S": str(CHAIN_TIMEOUT_S),
        }
    ).chain
    endpoint = str(chain_settings.http_endpoint)
    transport = NodeTransport(
        endpoint, qps=chain_settings.qps, timeout_s=chain_settings.timeout_s, api_key=None
    )
    retry = ReadRetry(attempts=8, timeout_s=20.0, wait_initial_s=0.01, wait_max_s=0.2)
    return TronChainClient(transport, expiration_window_s=expiration_window_s, read_retry=retry)


class ForwardingChain:
    """The ``ChainClient`` port forwarding every call to a real client; tests subclass it to
    hold, count or cut short one call (substituting at the project's own port)."""

    def __init__(self, inner: ChainClient) -> None:
        self._inner = inner

    async def observe(self, owner: Address, receivers: Collection[Address]) -> AccountSnapshot:
        return await self._inner.observe(owner, receivers)

    async def observe_solid(
        self, owner: Address, receivers: Collection[Address]
    ) -> AccountSnapshot:
        return await self._inner.observe_solid(owner, receivers)

    async def head(self) -> BlockRef:
        return await self._inner.head()

    async def solid_head(self) -> BlockRef:
        return await self._inner.solid_head()

    async def list_witnesses(self) -> tuple[Witness, ...]:
        return await self._inner.list_witnesses()

    async def build(
        self,
        owner: Address,
        kind: StakingOperationType | TxKind,
        params: Mapping[str, Json],
        head: BlockRef,
        *,
        reference: BlockRef | None = None,
    ) -> UnsignedTransaction:
        return await self._inner.build(owner, kind, params, head, reference=reference)

    def attach_signature(
        self, unsigned: UnsignedTransaction, signature_hex: str
    ) -> SignedTransaction:
        return self._inner.attach_signature(unsigned, signature_hex)

    async def sign(
        self, unsigned: UnsignedTransaction, signer: TransactionSigner
    ) -> SignedTransaction:
        return await self._inner.sign(unsigned, signer)

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        return await self._inner.broadcast(signed)

    async def transaction_info(self, txid: TxId) -> Inclusion | None:
        return await self._inner.transaction_info(txid)

    async def solid_transaction_info(self, txid: TxId) -> Inclusion | None:
        return await self._inner.solid_transaction_info(txid)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclasses.dataclass
class ControllerRig:
    devnet: Devnet
    store: MongoStore
    clock: ManualClock
    keystore: Keystore
    chain: TronChainClient
    policy: planner.PlannerPolicy = dataclasses.field(default_factory=planner.PlannerPolicy)
    results: list[ReconcileResult] = dataclasses.field(default_factory=list)

    def reconciler(self, holder: str = "replica-a") -> Reconciler:
        return Reconciler(
            stores_of(self.store),
            self.chain,
            self.keystore,
            self.clock,
            holder=holder,
            lease_ttl_s=LEASE_TTL_S,
            policy=self.policy,
        )

    async def import_key(self, account: DevnetAccount) -> None:
        await self.keystore.import_key(account.private_key, at=self.clock.now())

    async def declare(self, spec: PositionSpec, position_id: str) -> Position:
        at = dt.datetime.fromtimestamp(await self.devnet.head_time_ms() / 1000, tz=dt.UTC)
        position = Position.new(spec, created_by="test", at=at, position_id=PositionId(position_id))
        await self.store.positions.insert(dict(position.for_storage()))
        return await self.position(position_id)

    async def unstake(self, position_id: str) -> None:
        current = await self.position(position_id)
        changed = current.with_unstake_requested(at=self.clock.now())
        await self.store.positions.replace(current.id, current.version, dict(changed.for_storage()))

    async def position(self, position_id: str) -> Position:
        raw = await self.store.positions.get(position_id)
        return Position.from_storage(cast(RawPosition, raw))

    async def operations(self, owner: str) -> list[Operation]:
        page = await self.store.operations.find({"owner": owner}, limit=1000)
        return [Operation.from_storage(cast(RawOperation, raw)) for raw in page.items]

    async def transitions(self, position_id: str) -> list[dict[str, Any]]:
        return await self.store.transitions.list(position_id)

    async def head_number(self) -> int:
        block = await self.devnet.post("wallet/getnowblock")
        return int(block["block_header"]["raw_data"]["number"])

    async def chain_transactions(self, owner: str, since_block: int) -> list[dict[str, Any]]:
        listing = await self.devnet.get(
            "devnet/transactions", {"owner": owner, "since_block": since_block}
        )
        found: list[dict[str, Any]] = listing["transactions"]
        return found

    async def types_on_chain(self, owner: str, since_block: int) -> collections.Counter[str]:
        sent = await self.chain_transactions(owner, since_block)
        return collections.Counter(str(tx["type"]) for tx in sent)


def is_ready(position: Position) -> bool:
    condition = position.condition(ConditionType.READY)
    return condition is not None and condition.status is ConditionStatus.TRUE


def in_flight(operations: Sequence[Operation]) -> list[Operation]:
    return [op for op in operations if op.in_flight]


def effective(operations: Sequence[Operation]) -> list[Operation]:
    return [op for op in operations if op.state.landed]


def states(operations: Sequence[Operation]) -> collections.Counter[OperationState]:
    return collections.Counter(op.state for op in operations)


def new_kek() -> Kek:
    return Kek.from_bytes(os.urandom(32))


def owner_address(account: DevnetAccount) -> Address:
    return Address(account.address)
