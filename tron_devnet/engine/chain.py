"""The devnet chain: the pending pool, block production, reorgs, and reads at any height.

``Chain`` is what the HTTP layer drives. A broadcast runs java-tron's checks (``pipeline``)
against the *pending* state (the head state plus what earlier broadcasts changed) inside a
throw-away layer, so any failure rolls everything back, fees included. A successful
transaction's changes join the pending layer; ``produce_block`` turns that layer into the next
block's diff, adds the block rewards, witness statistics and maintenance (``production``) and
appends it to the ``ledger``. Because the pending layer was computed against exactly the parent
block with ``now`` = the parent's timestamp (as java-tron executes a block's transactions),
packing needs no re-execution and no pending transaction can become invalid.

Reads take a position: the head with the pending state (default), the solid block
(``solid=True``) or the block ``lag_blocks`` behind the head (a lagging node; never below the
solid block). ``reorg`` replaces the newest non-solid blocks (see its docstring). Queries return
java-tron-shaped dicts (``views``) with protobuf bytes fields as ``bytes``. All public methods
are thread-safe (one re-entrant lock).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from tron_devnet import actuators, crypto, params, rewards, state
from tron_devnet.actuators import (
    Actuators,
    ContractValidateError,
    Receipt,
    default_actuators,
)
from tron_devnet.engine import (
    blocks,
    genesis_state,
    permissions,
    pipeline,
    production,
    snapshot,
    views,
)
from tron_devnet.engine.ledger import Ledger, TxRecord
from tron_devnet.engine.permissions import RejectedError
from tron_devnet.genesis import Genesis
from tron_devnet.state import Account, Store, Tables
from tron_devnet.types import Block, BroadcastResult, ContractValue, ResponseCode, Transaction

__all__ = ["Chain", "ContractValidateError", "ReorgError", "SnapshotError"]

SNAPSHOT_VERSION = 1
MAX_BLOCK_LIST = 100  # java-tron's BLOCK_LIMIT_NUM for getblockbylatestnum / limitnext

_log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")


class SnapshotError(ValueError):
    """A snapshot cannot be loaded (wrong version or damaged)."""


class ReorgError(ValueError):
    """A reorg request cannot be carried out; the message says why (nothing changed)."""


@dataclass(frozen=True, slots=True)
class _Read:
    """A read position: the state, its "now", the highest visible block, pending visible?"""

    store: Store
    now_ms: int
    height: int
    pending: bool


@dataclass(slots=True)
class _Pool:
    """What the next block will hold: transactions, their state diff and admin credits."""

    layer: Tables = field(default_factory=state.new_tables)
    records: list[TxRecord] = field(default_factory=list)
    credits: list[tuple[bytes, int]] = field(default_factory=list)


def _locked(method: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


class Chain:
    """An in-memory TRON chain following java-tron's Stake 2.0 rules (see module docstring)."""

    def __init__(
        self, genesis: Genesis, *, solid_lag: int = 19, actuators: Actuators | None = None
    ) -> None:
        if solid_lag < 0:
            raise ValueError("solid_lag must be >= 0")
        if not genesis.witnesses:
            raise ValueError("the genesis needs at least one witness to produce blocks")
        self._lock = threading.RLock()
        self._genesis = genesis
        self.params: dict[str, int] = params.chain_parameters(genesis.chain_parameters)
        table = default_actuators() if actuators is None else actuators
        guards = frozenset(witness.address for witness in genesis.witnesses)
        self._rules = pipeline.Rules(self.params, table, guards)
        self._witness_keys = {
            w.address: w.private_key for w in genesis.witnesses if w.private_key is not None
        }
        genesis_block = blocks.make_block(0, blocks.ZERO_HASH, genesis.genesis_time_ms, b"", ())
        self._ledger = Ledger(genesis_block, genesis_state.genesis_state(genesis), solid_lag)
        self._pool = _Pool()
        self._txs: dict[bytes, TxRecord] = {}
        self._credits: dict[int, list[tuple[bytes, int]]] = {}  # non-solid block -> credits
        self._time_offset_ms = 0

    # ---- chain position ----

    @property
    def head(self) -> Block:
        return self._ledger.head

    @property
    def solid(self) -> Block:
        return self._ledger.solid

    @property
    def head_time_ms(self) -> int:
        return self.head.timestamp

    @property
    def pending_count(self) -> int:
        return len(self._pool.records)

    @property
    def genesis(self) -> Genesis:
        return self._genesis

    @property
    def chain_time_ms(self) -> int:
        """The chain clock: the head time plus any pending ``advance_time``."""
        return self.head.timestamp + self._time_offset_ms

    def _pending_store(self) -> Store:
        return Store(self._pool.layer, self._ledger.head_state)

    def _read(self, solid: bool, lag_blocks: int) -> _Read:
        ledger = self._ledger
        if not solid and lag_blocks <= 0:
            head = ledger.head
            return _Read(self._pending_store(), head.timestamp, head.number, pending=True)
        height = ledger.solid_number
        if not solid:
            height = max(height, ledger.head.number - lag_blocks)
        return _Read(ledger.store_at(height), ledger.blocks[height].timestamp, height, False)

    # ---- blocks and time ----

    @_locked
    def produce_block(self) -> Block:
        """Pack the pending pool into the next block (timestamp = head + 3 s + any advance)."""
        return self._produce(self.head.timestamp + params.BLOCK_INTERVAL_MS)

    def _produce(self, timestamp_ms: int) -> Block:
        parent = self.head
        number = parent.number + 1
        timestamp_ms += self._time_offset_ms
        self._time_offset_ms = 0
        pool, self._pool = self._pool, _Pool()
        store = Store(pool.layer, self._ledger.head_state)
        producer = production.close_block(
            self.params,
            store,
            self._genesis.genesis_time_ms,
            parent_ms=parent.timestamp,
            number=number,
            timestamp_ms=timestamp_ms,
        )
        txs = tuple(record.tx for record in pool.records)
        block = blocks.make_block(
            number, parent.block_id, timestamp_ms, producer, txs, self._witness_keys.get(producer)
        )
        for record in pool.records:
            record.block_num = number
            record.block_time_ms = timestamp_ms
        self._ledger.append(block, pool.layer)
        if pool.credits:
            self._credits[number] = pool.credits
        for solid_number in [n for n in self._credits if n <= self._ledger.solid_number]:
            del self._credits[solid_number]
        return block

    @_locked
    def mine(self, n: int) -> Block:
        """Produce ``n`` (≥ 1) blocks; returns the last."""
        if n < 1:
            raise ValueError("n must be >= 1")
        for _ in range(n):
            block = self.produce_block()
        return block

    @_locked
    def advance_time(self, seconds: float) -> None:
        """Make the next block's timestamp jump by ``seconds`` (≥ 0) on top of the 3 s."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._time_offset_ms += round(seconds * 1000)

    # ---- admin ----

    @_locked
    def fund(self, address: bytes, amount_sun: int) -> None:
        """Credit ``amount_sun`` (> 0) to ``address`` in the pending state (creating it)."""
        if amount_sun <= 0:
            raise ValueError("amount_sun must be > 0")
        if not crypto.is_valid_address(address):
            raise ValueError("invalid address")
        self._credit(address, amount_sun)
        self._pool.credits.append((address, amount_sun))

    def _credit(self, address: bytes, amount_sun: int) -> None:
        store = self._pending_store()
        account = store.account_for_write(address)
        if account is None:
            account = Account(address=address, create_time=self.head.timestamp)
            store.put_account(account)
        account.balance += amount_sun

    # ---- the broadcast pipeline ----

    @_locked
    def broadcast(self, tx: Transaction, *, discard: bool = False) -> BroadcastResult:
        """Run the reference §2 pipeline; on success the tx joins the pending pool.

        With ``discard`` the transaction is validated and answered but leaves no trace. An
        unexpected exception (a devnet bug) is logged with its traceback and answered like
        java-tron's ``Wallet.broadcastTransaction`` answers any server-side exception:
        ``OTHER_ERROR`` ``"Error: <message>"``; the state is left untouched.
        """
        try:
            receipt, layer = self._process(tx)
        except RejectedError as exc:
            return BroadcastResult(exc.code, exc.message)
        except Exception as exc:
            _log.exception("broadcast of %s failed unexpectedly", tx.txid.hex())
            return BroadcastResult(ResponseCode.OTHER_ERROR, f"Error: {exc}")
        if not discard:
            self._admit(tx, receipt, layer)
        return BroadcastResult()

    def _process(self, tx: Transaction) -> tuple[Receipt, Tables]:
        return pipeline.process(
            self._rules,
            tx,
            self._pending_store(),
            head_ms=self.head.timestamp,
            recent=self._ledger.recent,
            known_txids=self._txs,
        )

    def _admit(self, tx: Transaction, receipt: Receipt, layer: Tables) -> None:
        state.merge_into(self._pool.layer, layer)
        record = TxRecord(tx, receipt)
        self._txs[tx.txid] = record
        self._pool.records.append(record)

    @_locked
    def sign_weight_json(self, tx: Transaction) -> dict[str, Any]:
        """``wallet/getsignweight`` minus its ``transaction`` part (TransactionUtil)."""
        return permissions.sign_weight_json(self._pending_store(), tx)

    @_locked
    def approved_list_json(self, tx: Transaction) -> dict[str, Any]:
        """``wallet/getapprovedlist`` minus its ``transaction`` part."""
        return permissions.approved_list_json(self._pending_store(), tx)

    @_locked
    def validate_for_build(self, value: ContractValue) -> None:
        """Run the actuator's ``validate`` on the pending state, as node-side builders do.

        Raises ``ContractValidateError`` with java-tron's message.
        """
        store, _ = self._pending_store().child()
        ctx = self._rules.context(store, self.head.timestamp, creating=True)
        actuators.validate(self._rules.actuators, ctx, value)

    # ---- reorg ----

    @_locked
    def reorg(self, depth: int, drop: Collection[bytes] = ()) -> dict[str, Any]:
        """Replace the newest ``depth`` blocks (all above the solid block) with a longer fork.

        The fork is ``depth`` empty blocks in the slots after the old head (chain time only
        moves forward) and one more block into which every transaction of the replaced blocks,
        then every transaction that was pending, is pushed again in order, as java-tron re-pushes
        the transactions of a switched-out fork: each is re-validated against the new head
        (expiration, TaPoS, balances...) and one that fails vanishes (listed in ``rejected``).
        Transactions in ``drop`` vanish as if never broadcast: their txids are forgotten, so
        they may be broadcast again. Admin credits (``fund``) of the replaced blocks are applied
        again. Raises ``ReorgError`` (nothing changed) when ``depth`` is not in
        ``1..head-solid`` or ``drop`` names a txid that is neither in the replaced blocks nor
        pending.
        """
        replaced, returned = self._reorg_inputs(depth, drop)
        old_head = self._ledger.head
        credits = [c for block in replaced for c in self._credits.pop(block.number, [])]
        credits += self._pool.credits
        for record in returned:
            del self._txs[record.tx.txid]
        self._ledger.rollback(depth)
        self._pool = _Pool()
        self._produce(old_head.timestamp + params.BLOCK_INTERVAL_MS)
        for _ in range(depth - 1):
            self.produce_block()
        for address, amount_sun in credits:
            self._credit(address, amount_sun)
        self._pool.credits = credits
        rejected = self._repush([r.tx for r in returned if r.tx.txid not in drop])
        repacked = [record.tx.txid for record in self._pool.records]
        block = self.produce_block()
        return {
            "replaced": [b.number for b in replaced],
            "head": block.number,
            "head_time_ms": block.timestamp,
            "repacked": [{"txid": txid, "block": block.number} for txid in repacked],
            "dropped": sorted(drop),
            "rejected": rejected,
        }

    def _reorg_inputs(
        self, depth: int, drop: Collection[bytes]
    ) -> tuple[list[Block], list[TxRecord]]:
        """The blocks a reorg replaces and the transactions it pushes again (in order);
        raises ``ReorgError`` for a depth outside ``1..head-solid`` or an unknown drop."""
        ledger = self._ledger
        non_solid = ledger.head.number - ledger.solid_number
        if depth < 1:
            raise ReorgError("depth must be >= 1")
        if depth > non_solid:
            raise ReorgError(
                f"depth {depth} would replace the solid block {ledger.solid_number} or a block "
                f"below it: only {non_solid} blocks are above the solid block"
            )
        replaced = ledger.blocks[-depth:]
        returned = [self._txs[tx.txid] for block in replaced for tx in block.transactions]
        returned += self._pool.records
        unknown = set(drop) - {record.tx.txid for record in returned}
        if unknown:
            raise ReorgError(
                "drop names transactions that are neither in the replaced blocks nor pending: "
                + ", ".join(sorted(txid.hex() for txid in unknown))
            )
        return replaced, returned

    def _repush(self, txs: list[Transaction]) -> list[dict[str, Any]]:
        rejected: list[dict[str, Any]] = []
        for tx in txs:
            try:
                receipt, layer = self._process(tx)
            except RejectedError as exc:
                rejected.append({"txid": tx.txid, "code": exc.code.name, "message": exc.message})
                continue
            self._admit(tx, receipt, layer)
        return rejected

    # ---- account queries ----

    @_locked
    def account_json(
        self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        account = read.store.account(addr)
        return {} if account is None else views.account_json(self.params, account, read.now_ms)

    @_locked
    def account_resource_json(
        self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        account = read.store.account(addr)
        if account is None:
            return {}
        return views.account_resource_json(self.params, read.store, account, read.now_ms)

    @_locked
    def account_net_json(
        self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        account = read.store.account(addr)
        if account is None:
            return {}
        return views.account_net_json(self.params, read.store, account, read.now_ms)

    @_locked
    def delegated_resource_v2_json(
        self, from_addr: bytes, to_addr: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        return views.delegated_resource_json(read.store, from_addr, to_addr)

    @_locked
    def delegated_index_v2_json(
        self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        return views.delegated_index_json(self._read(solid, lag_blocks).store, addr)

    @_locked
    def can_delegated_max_size_json(
        self, owner: bytes, resource: int, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        ctx = self._rules.context(read.store, read.now_ms, creating=True)
        return views.can_delegated_max_size_json(ctx, read.store.account(owner), resource)

    @_locked
    def available_unfreeze_count_json(
        self, owner: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        return views.available_unfreeze_count_json(read.store.account(owner), read.now_ms)

    @_locked
    def can_withdraw_unfreeze_amount_json(
        self, owner: bytes, timestamp_ms: int, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        read = self._read(solid, lag_blocks)
        account = read.store.account(owner)
        return views.can_withdraw_unfreeze_amount_json(account, timestamp_ms, read.now_ms)

    @_locked
    def reward(self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0) -> int:
        return rewards.query_reward(self.params, self._read(solid, lag_blocks).store, addr)

    @_locked
    def brokerage(self, addr: bytes, *, solid: bool = False, lag_blocks: int = 0) -> int:
        store = self._read(solid, lag_blocks).store
        return rewards.brokerage(store, rewards.current_cycle(store), addr)

    @_locked
    def witnesses_json(self, *, solid: bool = False, lag_blocks: int = 0) -> dict[str, Any]:
        return views.witnesses_json(self._read(solid, lag_blocks).store)

    def chain_parameters_json(self) -> dict[str, Any]:
        return views.chain_parameters_json(self.params)

    @_locked
    def next_maintenance_time_ms(self, *, lag_blocks: int = 0) -> int:
        """The dynamic property ``NEXT_MAINTENANCE_TIME`` (ms) at the read position."""
        return self._read(False, lag_blocks).store.dyn("next_maintenance_time")

    # ---- transactions and blocks ----

    def _record(self, txid: bytes, read: _Read) -> TxRecord | None:
        record = self._txs.get(txid)
        if record is None:
            return None
        if record.block_num is None:
            return record if read.pending else None
        return record if record.block_num <= read.height else None

    @_locked
    def transaction(
        self, txid: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> tuple[Transaction, int | None] | None:
        """A known transaction and its block number (None while pending)."""
        record = self._record(txid, self._read(solid, lag_blocks))
        return None if record is None else (record.tx, record.block_num)

    @_locked
    def transaction_info_json(
        self, txid: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> dict[str, Any]:
        """``gettransactioninfobyid``: ``{}`` unless the transaction is in a visible block."""
        record = self._record(txid, self._read(solid, lag_blocks))
        if record is None or record.block_num is None:
            return {}
        return views.transaction_info_json(
            txid, record.receipt, record.block_num, record.block_time_ms
        )

    @_locked
    def transaction_infos_in_block(
        self, number: int, *, solid: bool = False, lag_blocks: int = 0
    ) -> list[dict[str, Any]]:
        """``gettransactioninfobyblocknum``: the infos of block ``number``'s transactions."""
        block = self.block_by_num(number, solid=solid, lag_blocks=lag_blocks)
        if block is None:
            return []
        out = []
        for tx in block.transactions:
            record = self._txs[tx.txid]
            out.append(
                views.transaction_info_json(tx.txid, record.receipt, number, block.timestamp)
            )
        return out

    @_locked
    def block_by_num(self, n: int, *, solid: bool = False, lag_blocks: int = 0) -> Block | None:
        if n > self._read(solid, lag_blocks).height:
            return None
        return self._ledger.block(n)

    @_locked
    def block_by_id(
        self, block_id: bytes, *, solid: bool = False, lag_blocks: int = 0
    ) -> Block | None:
        if len(block_id) != 32:
            return None
        number = int.from_bytes(block_id[:8], "big")
        block = self.block_by_num(number, solid=solid, lag_blocks=lag_blocks)
        return block if block is not None and block.block_id == block_id else None

    @_locked
    def now_block(self, *, solid: bool = False, lag_blocks: int = 0) -> Block:
        return self._ledger.blocks[self._read(solid, lag_blocks).height]

    @_locked
    def blocks_from(
        self, start: int, count: int, *, solid: bool = False, lag_blocks: int = 0
    ) -> list[Block]:
        """Up to ``count`` blocks from number ``start`` on, ascending, none past the read
        position (``BlockStore.getLimitNumber``)."""
        if start < 0 or count <= 0:
            return []
        height = self._read(solid, lag_blocks).height
        return self._ledger.blocks[start : min(start + count, height + 1)]

    @_locked
    def latest_blocks(self, count: int, *, solid: bool = False, lag_blocks: int = 0) -> list[Block]:
        """The newest ``count`` blocks up to the read position, ascending."""
        height = self._read(solid, lag_blocks).height
        return self._ledger.blocks[max(0, height - count + 1) : height + 1] if count > 0 else []

    @_locked
    def packed_transactions(self, owner: bytes | None, since_block: int) -> list[dict[str, Any]]:
        """Every packed transaction from block ``since_block`` on, optionally of one owner."""
        return views.packed_transactions(self._ledger.blocks[max(1, since_block) :], owner)

    @_locked
    def state_json(self) -> dict[str, Any]:
        """``GET /devnet/state``: head, solid, chain clock, pending count, accounts, witnesses."""
        return views.state_json(
            self._pending_store(), self.head, self.solid, self.chain_time_ms, self.pending_count
        )

    # ---- snapshots ----

    @_locked
    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable image of the whole chain (``from_snapshot`` restores it)."""
        ledger = self._ledger
        return {
            "version": SNAPSHOT_VERSION,
            "genesis": snapshot.genesis_to_snapshot(self._genesis),
            "solid_lag": ledger.solid_lag,
            "time_offset_ms": self._time_offset_ms,
            "blocks": [snapshot.block_to_snapshot(block) for block in ledger.blocks],
            "solid_state": state.encode_tables(ledger.solid_state),
            "diffs": [[number, state.encode_tables(diff)] for number, diff in ledger.diffs],
            "pending": state.encode_tables(self._pool.layer),
            "transactions": snapshot.records_to_snapshot(self._txs.values()),
            "credits": snapshot.credits_to_snapshot(self._credits, self._pool.credits),
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], *, actuators: Actuators | None = None) -> Chain:
        """Rebuild a chain from ``to_snapshot`` output; raises ``SnapshotError``."""
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError("unsupported snapshot version")
        try:
            return cls._restore(data, actuators)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SnapshotError(f"damaged snapshot: {exc!r}") from exc

    @classmethod
    def _restore(cls, data: dict[str, Any], table: Actuators | None) -> Chain:
        genesis = snapshot.genesis_from_snapshot(data["genesis"])
        chain = cls(genesis, solid_lag=int(data["solid_lag"]), actuators=table)
        chain._time_offset_ms = int(data["time_offset_ms"])
        chain._ledger = Ledger.restore(
            [snapshot.block_from_snapshot(raw) for raw in data["blocks"]],
            state.decode_tables(data["solid_state"]),
            [(int(n), state.decode_tables(raw)) for n, raw in data["diffs"]],
            chain._ledger.solid_lag,
        )
        chain._pool = _Pool(layer=state.decode_tables(data["pending"]))
        packed = {tx.txid: tx for block in chain._ledger.blocks for tx in block.transactions}
        for record in snapshot.records_from_snapshot(data["transactions"], packed):
            chain._txs[record.tx.txid] = record
            if record.block_num is None:
                chain._pool.records.append(record)
        chain._credits, chain._pool.credits = snapshot.credits_from_snapshot(
            data.get("credits", [])
        )
        return chain
