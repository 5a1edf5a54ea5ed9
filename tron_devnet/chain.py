"""The devnet chain: the broadcast pipeline, blocks, maintenance, queries and snapshots.

``Chain`` is what the HTTP layer drives. A broadcast runs java-tron's checks in the order of
reference §2 against the *pending* state (the head state plus what earlier broadcasts
changed), inside a throw-away layer so that any failure rolls everything back, fees included.
A successful transaction's changes join the pending layer; ``produce_block`` turns that layer
into the next block's diff, adds the block rewards, witness statistics and maintenance, and
merges it into the head state. Because the pending layer was computed against exactly the
parent block with ``now`` = the parent's timestamp (as java-tron executes a block's
transactions), packing needs no re-execution and no pending transaction can become invalid.
The solid state trails the head by ``solid_lag`` blocks: a block's diff is merged into it when
the block becomes solid, so solid queries cost the same as head queries.

Queries return java-tron-shaped dicts (``engine.views``) with protobuf bytes fields as
``bytes``. All public methods are thread-safe (one re-entrant lock).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ParamSpec, TypeVar

from tron_devnet import actuators, crypto, params, resources, rewards, state
from tron_devnet.actuators import Context, ContractValidateError, Receipt
from tron_devnet.engine import views
from tron_devnet.genesis import Genesis, GenesisAccount, GenesisWitness
from tron_devnet.state import Account, Store, Tables, Witness
from tron_devnet.types import (
    CONTRACT_TYPES,
    Block,
    BroadcastResult,
    Contract,
    ContractValue,
    RawData,
    ResourceCode,
    ResponseCode,
    Transaction,
    TransferContract,
    Vote,
)

__all__ = ["Chain", "ContractValidateError", "SnapshotError"]

SNAPSHOT_VERSION = 1
ZERO_HASH = bytes(32)
OWNER_PERMISSION, ACTIVE_PERMISSION = 0, 2
CONTRACT_VALIDATE_PREFIX = "Contract validate error : "
SIGNATURE_PREFIX = "Validate signature error: "
_TX_PERMISSION_MESSAGES = ("Permission type is error", "Permission denied")
_WEIGHT_PERMISSION_MESSAGES = ("Permission type is wrong!", "Permission denied!")

_log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")


class SnapshotError(ValueError):
    """A snapshot cannot be loaded (wrong version or damaged)."""


class _RejectedError(Exception):
    def __init__(self, code: ResponseCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _SignatureFormatError(Exception):
    pass


class _ComputeAddressError(Exception):
    pass


class _PermissionError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Permission:
    """A ``protocol.Permission``; accounts only ever have the default owner and active ones."""

    type: int  # 0 Owner, 1 Witness, 2 Active
    threshold: int
    keys: tuple[tuple[bytes, int], ...]
    operations: bytes = b""

    def weight_of(self, address: bytes) -> int:
        for key, weight in self.keys:
            if key == address:
                return weight
        return 0

    def allows(self, contract_type: int) -> bool:
        index = contract_type // 8
        if index >= len(self.operations):
            return False
        return bool(self.operations[index] & (1 << (contract_type % 8)))

    def to_json(self) -> dict[str, Any]:
        if self.type == ACTIVE_PERMISSION:
            return views.active_permission_json(self.keys[0][0])
        return views.owner_permission_json(self.keys[0][0])


def default_permission(owner: bytes, permission_id: int) -> Permission | None:
    """``AccountCapsule.getPermissionById`` for accounts with the default permissions."""
    if permission_id == OWNER_PERMISSION:
        return Permission(OWNER_PERMISSION, 1, ((owner, 1),))
    if permission_id == ACTIVE_PERMISSION:
        return Permission(ACTIVE_PERMISSION, 1, ((owner, 1),), params.ACTIVE_DEFAULT_OPERATIONS)
    return None


@dataclass(slots=True)
class TxRecord:
    tx: Transaction
    receipt: Receipt
    block_num: int | None = None
    block_time_ms: int = 0


def _locked(method: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


# ---- block header encoding (BlockHeader.raw: timestamp=1, txTrieRoot=2, parentHash=3,
#      number=7, witness_address=9, version=10) ----

BLOCK_VERSION = 32


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value) if value else b""


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value if value else b""


def header_raw_bytes(
    number: int, parent_id: bytes, timestamp: int, witness: bytes, tx_root: bytes
) -> bytes:
    return b"".join(
        (
            _field_varint(1, timestamp),
            _field_bytes(2, tx_root),
            _field_bytes(3, parent_id),
            _field_varint(7, number),
            _field_bytes(9, witness),
            _field_varint(10, BLOCK_VERSION),
        )
    )


def block_id_of(number: int, header_raw: bytes) -> bytes:
    return number.to_bytes(8, "big") + crypto.sha256(header_raw)[8:]


def tx_trie_root(txids: list[bytes]) -> bytes:
    """A Merkle root over the transaction ids (zero hash for an empty block)."""
    if not txids:
        return ZERO_HASH
    level = txids
    while len(level) > 1:
        paired = [crypto.sha256(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _make_block(
    number: int,
    parent_id: bytes,
    timestamp: int,
    witness: bytes,
    txs: tuple[Transaction, ...],
    witness_key: bytes | None = None,
) -> Block:
    root = tx_trie_root([tx.txid for tx in txs])
    raw = header_raw_bytes(number, parent_id, timestamp, witness, root)
    signature = crypto.sign(crypto.sha256(raw), witness_key) if witness_key else b""
    block_id = block_id_of(number, raw)
    return Block(number, block_id, parent_id, timestamp, witness, txs, root, signature)


class Chain:
    """An in-memory TRON chain following java-tron's Stake 2.0 rules (see module docstring)."""

    def __init__(self, genesis: Genesis, *, solid_lag: int = 19) -> None:
        if solid_lag < 0:
            raise ValueError("solid_lag must be >= 0")
        if not genesis.witnesses:
            raise ValueError("the genesis needs at least one witness to produce blocks")
        self._lock = threading.RLock()
        self._genesis = genesis
        self.params: dict[str, int] = params.chain_parameters(genesis.chain_parameters)
        self._genesis_time_ms = genesis.genesis_time_ms
        self._guards = frozenset(witness.address for witness in genesis.witnesses)
        self._witness_keys = {
            w.address: w.private_key for w in genesis.witnesses if w.private_key is not None
        }
        self._solid_lag = solid_lag
        self._head_state = self._genesis_state(genesis)
        self._solid_state = state.copy_tables(self._head_state)
        self._diffs: deque[tuple[int, Tables]] = deque()
        self._pending: Tables = state.new_tables()
        self._pending_txs: list[TxRecord] = []
        self._txs: dict[bytes, TxRecord] = {}
        self._time_offset_ms = 0
        genesis_block = _make_block(0, ZERO_HASH, genesis.genesis_time_ms, b"", ())
        self._blocks: list[Block] = [genesis_block]
        self._recent: dict[bytes, bytes] = {}
        self._remember_block(genesis_block)

    def _genesis_state(self, genesis: Genesis) -> Tables:
        tables = state.new_tables()
        store = Store(tables)
        for entry in genesis.accounts:
            store.put_account(Account(address=entry.address, balance=entry.balance_sun))
        for witness in genesis.witnesses:
            account = store.account(witness.address)
            if account is None:
                account = Account(address=witness.address, type=1)
                store.put_account(account)
            account.is_witness = True
            record = Witness(witness.address, witness.url, witness.vote_count)
            store.put("witnesses", witness.address, record)
            store.put("deleg", ("brokerage", -1, witness.address), witness.brokerage)
            store.put("deleg", ("brokerage", 0, witness.address), witness.brokerage)
            store.put("deleg", ("witness_vote", 0, witness.address), witness.vote_count)
        for address in rewards.rank_active(store):
            active = store.witness(address)
            if active is not None:
                active.is_jobs = True
        store.set_dyn("next_maintenance_time", genesis.genesis_time_ms)
        store.set_dyn("cycle", 0)
        return tables

    # ---- chain position ----

    @property
    def head(self) -> Block:
        return self._blocks[-1]

    @property
    def solid(self) -> Block:
        return self._blocks[self._solid_number()]

    @property
    def head_time_ms(self) -> int:
        return self.head.timestamp

    @property
    def pending_count(self) -> int:
        return len(self._pending_txs)

    @property
    def genesis(self) -> Genesis:
        return self._genesis

    def _solid_number(self) -> int:
        return max(0, self.head.number - self._solid_lag)

    def _view(self, solid: bool) -> tuple[Store, int]:
        if solid:
            return Store(self._solid_state), self.solid.timestamp
        return Store(self._pending, self._head_state), self.head.timestamp

    def _context(self, store: Store, now_ms: int, *, creating: bool = False) -> Context:
        return Context(
            self.params, store, now_ms, resources.slot_of(now_ms), self._guards, creating
        )

    def _remember_block(self, block: Block) -> None:
        self._recent[(block.number & 0xFFFF).to_bytes(2, "big")] = block.block_id[8:16]

    # ---- blocks and time ----

    @_locked
    def produce_block(self) -> Block:
        """Pack the pending pool into the next block (timestamp = head + 3 s + any advance)."""
        parent = self.head
        number = parent.number + 1
        timestamp = parent.timestamp + params.BLOCK_INTERVAL_MS + self._time_offset_ms
        self._time_offset_ms = 0
        diff = self._pending
        store = Store(diff, self._head_state)
        producer = self._scheduled_witness(store, timestamp)
        rewards.pay_block_rewards(self.params, store, producer)
        self._record_production(store, producer, parent.timestamp, number, timestamp)
        self._maintain(store, number, timestamp)
        txs = tuple(record.tx for record in self._pending_txs)
        block = _make_block(
            number, parent.block_id, timestamp, producer, txs, self._witness_keys.get(producer)
        )
        for record in self._pending_txs:
            record.block_num = number
            record.block_time_ms = timestamp
        state.apply_to_base(self._head_state, diff)
        self._diffs.append((number, diff))
        self._blocks.append(block)
        self._remember_block(block)
        self._pending = state.new_tables()
        self._pending_txs = []
        solid_number = self._solid_number()
        while self._diffs and self._diffs[0][0] <= solid_number:
            state.apply_to_base(self._solid_state, self._diffs.popleft()[1])
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

    @property
    def chain_time_ms(self) -> int:
        """The chain clock: the head time plus any pending ``advance_time``."""
        return self.head.timestamp + self._time_offset_ms

    def _absolute_slot(self, timestamp: int) -> int:
        return (timestamp - self._genesis_time_ms) // params.BLOCK_INTERVAL_MS

    def _scheduled_witness(self, store: Store, timestamp: int) -> bytes:
        active = rewards.active_witnesses(store)
        return active[self._absolute_slot(timestamp) % len(active)]

    def _record_production(
        self, store: Store, producer: bytes, parent_ms: int, number: int, timestamp: int
    ) -> None:
        """``StatisticManager.applyBlock``: produced/missed counters of the witnesses."""
        slot = self._absolute_slot(timestamp)
        witness = store.witness_for_write(producer)
        if witness is not None:
            witness.total_produced += 1
            witness.latest_block_num = number
            witness.latest_slot_num = slot
        first_missed = self._absolute_slot(parent_ms) + 1
        if number == 1 or slot <= first_missed:
            return
        active = rewards.active_witnesses(store)
        size = len(active)

        def below(limit: int, index: int) -> int:  # slots s < limit with s % size == index
            return max(0, (limit - index + size - 1) // size)

        for index, address in enumerate(active):
            missed = below(slot, index) - below(first_missed, index)
            if missed:
                missing = store.witness_for_write(address)
                if missing is not None:
                    missing.total_missed += missed

    def _maintain(self, store: Store, number: int, timestamp: int) -> None:
        """``MaintenanceManager.applyBlock``: run every maintenance period the block crossed."""
        next_time = store.dyn("next_maintenance_time")
        if next_time > timestamp:
            return
        interval = self.params["getMaintenanceTimeInterval"]
        if number == 1:  # java-tron only schedules the first maintenance at block 1
            next_time += ((timestamp - next_time) // interval + 1) * interval
        else:
            while next_time <= timestamp:
                rewards.do_maintenance(self.params, store)
                next_time += interval
        store.set_dyn("next_maintenance_time", next_time)

    # ---- admin ----

    @_locked
    def fund(self, address: bytes, amount_sun: int) -> None:
        """Credit ``amount_sun`` (> 0) to ``address`` in the pending state (creating it)."""
        if amount_sun <= 0:
            raise ValueError("amount_sun must be > 0")
        if not crypto.is_valid_address(address):
            raise ValueError("invalid address")
        store = Store(self._pending, self._head_state)
        account = store.account_for_write(address)
        if account is None:
            account = Account(address=address, create_time=self.head.timestamp)
            store.put_account(account)
        account.balance += amount_sun

    # ---- the broadcast pipeline ----

    @_locked
    def broadcast(self, tx: Transaction, *, discard: bool = False) -> BroadcastResult:
        """Run the reference §2 pipeline; on success the tx joins the pending pool.

        With ``discard`` the transaction is validated and answered but leaves no trace.
        """
        try:
            receipt, layer = self._process(tx)
        except _RejectedError as exc:
            return BroadcastResult(exc.code, exc.message)
        except Exception as exc:  # a devnet bug: answer like java-tron, keep the state intact
            _log.exception("broadcast of %s failed unexpectedly", tx.txid.hex())
            return BroadcastResult(ResponseCode.OTHER_ERROR, f"Error: {exc}")
        if not discard:
            state.merge_into(self._pending, layer)
            record = TxRecord(tx, receipt)
            self._txs[tx.txid] = record
            self._pending_txs.append(record)
        return BroadcastResult()

    def _process(self, tx: Transaction) -> tuple[Receipt, Tables]:
        raw = tx.raw
        contracts = raw.contracts
        if not contracts or contracts[0].value is None:
            raise _RejectedError(
                ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + "No contract!"
            )
        head_ms = self.head.timestamp
        if raw.expiration < head_ms + params.BLOCK_INTERVAL_MS:
            raise _RejectedError(ResponseCode.TRANSACTION_EXPIRATION_ERROR, "Transaction expired")
        self._check_signature(tx)
        txid_hex = tx.txid.hex()
        if len(contracts) != 1:
            raise _RejectedError(
                ResponseCode.CONTRACT_VALIDATE_ERROR,
                f"{CONTRACT_VALIDATE_PREFIX}tx {txid_hex} contract size should be exactly 1, "
                f"this is extend feature ,actual :{len(contracts)}",
            )
        if self._recent.get(raw.ref_block_bytes) != raw.ref_block_hash:
            raise _RejectedError(ResponseCode.TAPOS_ERROR, "Tapos check error.")
        size = tx.signed_size + 2 * params.MAX_RESULT_SIZE_IN_TX
        if size > params.TRANSACTION_MAX_BYTE_SIZE:
            raise _RejectedError(
                ResponseCode.TOO_BIG_TRANSACTION_ERROR,
                f"Too big transaction with result, TxId {txid_hex}, the size is {size} bytes, "
                f"maxTxSize {params.TRANSACTION_MAX_BYTE_SIZE}",
            )
        if (
            raw.expiration <= head_ms
            or raw.expiration > head_ms + params.MAXIMUM_TIME_UNTIL_EXPIRATION_MS
        ):
            raise _RejectedError(ResponseCode.TRANSACTION_EXPIRATION_ERROR, "Transaction expired")
        if tx.txid in self._txs:
            raise _RejectedError(ResponseCode.DUP_TRANSACTION_ERROR, "Dup transaction.")
        store, layer = Store(self._pending, self._head_state).child()
        ctx = self._context(store, head_ms)
        value = contracts[0].value
        receipt = self._charge(ctx, tx, value, txid_hex)
        try:
            actuators.validate(ctx, value)
        except ContractValidateError as exc:
            raise _RejectedError(
                ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + exc.message
            ) from exc
        actuators.execute(ctx, value, receipt)
        return receipt, layer

    def _charge(
        self, ctx: Context, tx: Transaction, value: ContractValue, txid_hex: str
    ) -> Receipt:
        """Bandwidth, then the multi-signature and memo fees (MGR ``processTransaction``)."""
        owner = value.owner_address
        creates = (
            isinstance(value, TransferContract) and ctx.store.account(value.to_address) is None
        )
        try:
            bill = resources.consume_bandwidth(
                self.params,
                ctx.store,
                owner,
                net_bytes=tx.signed_size + params.MAX_RESULT_SIZE_IN_TX,
                creates_account=creates,
                create_account_size=tx.signed_size - params.SIGNATURE_SIZE * len(tx.signatures),
                now_slot=ctx.now_slot,
                head_time_ms=ctx.now_ms,
                txid_hex=txid_hex,
            )
        except resources.BandwidthValidateError as exc:
            raise _RejectedError(
                ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + str(exc)
            ) from exc
        except resources.TooBigTransactionError as exc:
            raise _RejectedError(ResponseCode.TOO_BIG_TRANSACTION_ERROR, str(exc)) from exc
        except resources.ResourceInsufficientError as exc:
            raise _RejectedError(
                ResponseCode.BANDWITH_ERROR, "Account resource insufficient error."
            ) from exc
        receipt = Receipt(net_usage=bill.net_usage, net_fee=bill.net_fee)
        if len(tx.signatures) > 1:
            receipt.multi_sign_fee = self._burn(ctx.store, owner, self.params["getMultiSignFee"])
        if tx.raw.data and self.params["getMemoFee"]:
            receipt.memo_fee = self._burn(ctx.store, owner, self.params["getMemoFee"])
        return receipt

    @staticmethod
    def _burn(store: Store, owner: bytes, fee: int) -> int:
        account = store.account_for_write(owner)
        if account is not None:
            if account.balance < fee:
                raise _RejectedError(
                    ResponseCode.BANDWITH_ERROR, "Account resource insufficient error."
                )
            account.balance -= fee
        return fee

    # ---- signatures (TransactionCapsule.validatePubSignature / checkWeight) ----

    @staticmethod
    def _check_permission_type(
        permission: Permission, contract: Contract, messages: tuple[str, str]
    ) -> None:
        """Non-owner permissions must be Active and allow the contract type."""
        if contract.permission_id != OWNER_PERMISSION:
            if permission.type != ACTIVE_PERMISSION:
                raise _PermissionError(messages[0])
            if not permission.allows(contract.type):
                raise _PermissionError(messages[1])

    @staticmethod
    def _check_weight(
        permission: Permission, signatures: tuple[bytes, ...], txid: bytes
    ) -> tuple[int, list[bytes]]:
        if len(signatures) > len(permission.keys):
            raise _PermissionError(
                f"Signature count is {len(signatures)} more than key counts of permission : "
                f"{len(permission.keys)}"
            )
        approved: list[bytes] = []
        total = 0
        for signature in signatures:
            if len(signature) < params.SIGNATURE_SIZE:
                raise _SignatureFormatError(f"Signature size is {len(signature)}")
            try:
                signer = crypto.recover_address(txid, signature)
            except crypto.SignatureError as exc:
                detail = str(exc)
                if detail.startswith("Header byte out of range"):
                    raise _ComputeAddressError(
                        f"java.security.SignatureException: {detail}"
                    ) from exc
                raise _ComputeAddressError(
                    "java.lang.IllegalArgumentException: Invalid point compression"
                ) from exc
            weight = permission.weight_of(signer)
            if weight == 0:
                raise _PermissionError(
                    f"{signature.hex()} is signed by {crypto.address_to_base58(signer)} but it "
                    "is not contained of permission."
                )
            if signer in approved:
                raise _PermissionError(f"{crypto.address_to_base58(signer)} has signed twice!")
            approved.append(signer)
            total += weight
        return total, approved

    def _check_signature(self, tx: Transaction) -> None:
        def reject(detail: str) -> _RejectedError:
            return _RejectedError(ResponseCode.SIGERROR, SIGNATURE_PREFIX + detail)

        if not tx.signatures:
            raise reject("miss sig or contract")
        if len(tx.signatures) > params.MAX_SIGNATURES:
            raise reject("too many signatures")
        contract = tx.raw.contracts[0]
        assert contract.value is not None
        # Accounts only ever have the default permissions; a missing owner gets them too.
        permission = default_permission(contract.value.owner_address, contract.permission_id)
        if permission is None:
            raise reject("permission isn't exit")
        try:
            self._check_permission_type(permission, contract, _TX_PERMISSION_MESSAGES)
            weight, _ = self._check_weight(permission, tx.signatures, tx.txid)
        except (_SignatureFormatError, _ComputeAddressError, _PermissionError) as exc:
            raise reject(str(exc)) from exc
        if weight < permission.threshold:
            raise reject("sig error")

    @_locked
    def sign_weight_json(self, tx: Transaction) -> dict[str, Any]:
        """``wallet/getsignweight`` minus its ``transaction`` part (TransactionUtil)."""
        out: dict[str, Any] = {}
        result: dict[str, Any] = {}
        contracts = tx.raw.contracts
        if not contracts or contracts[0].value is None:
            result = {"code": "OTHER_ERROR", "message": "Invalid transaction: no valid contract"}
        else:
            store, _ = self._view(False)
            contract = contracts[0]
            owner = contracts[0].value.owner_address
            try:
                if store.account(owner) is None:
                    raise _PermissionError("Account does not exist!")
                permission = default_permission(owner, contract.permission_id)
                if permission is None:
                    raise _PermissionError("Permission for this, does not exist!")
                self._check_permission_type(permission, contract, _WEIGHT_PERMISSION_MESSAGES)
                out["permission"] = permission.to_json()
                weight = 0
                if tx.signatures:
                    weight, approved = self._check_weight(permission, tx.signatures, tx.txid)
                    out["approved_list"] = approved
                    if weight:
                        out["current_weight"] = weight
                if weight < permission.threshold:
                    result = {"code": "NOT_ENOUGH_PERMISSION"}
            except _SignatureFormatError as exc:
                result = {"code": "SIGNATURE_FORMAT_ERROR", "message": str(exc)}
            except _ComputeAddressError as exc:
                result = {"code": "COMPUTE_ADDRESS_ERROR", "message": str(exc)}
            except _PermissionError as exc:
                result = {"code": "PERMISSION_ERROR", "message": str(exc)}
        out["result"] = result
        return out

    @_locked
    def validate_for_build(self, value: ContractValue) -> None:
        """Run the actuator's ``validate`` on the pending state, as node-side builders do.

        Raises ``ContractValidateError`` with java-tron's message.
        """
        store, _ = Store(self._pending, self._head_state).child()
        actuators.validate(self._context(store, self.head.timestamp, creating=True), value)

    # ---- account queries ----

    @_locked
    def account_json(self, addr: bytes, *, solid: bool = False) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        account = store.account(addr)
        return {} if account is None else views.account_json(self.params, account, now_ms)

    @_locked
    def account_resource_json(self, addr: bytes, *, solid: bool = False) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        account = store.account(addr)
        if account is None:
            return {}
        return views.account_resource_json(self.params, store, account, now_ms)

    @_locked
    def account_net_json(self, addr: bytes, *, solid: bool = False) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        account = store.account(addr)
        return (
            {} if account is None else views.account_net_json(self.params, store, account, now_ms)
        )

    @_locked
    def delegated_resource_v2_json(
        self, from_addr: bytes, to_addr: bytes, *, solid: bool = False
    ) -> dict[str, Any]:
        store, _ = self._view(solid)
        return views.delegated_resource_json(store, from_addr, to_addr)

    @_locked
    def delegated_index_v2_json(self, addr: bytes, *, solid: bool = False) -> dict[str, Any]:
        store, _ = self._view(solid)
        return views.delegated_index_json(store, addr)

    @_locked
    def can_delegated_max_size_json(
        self, owner: bytes, resource: int, *, solid: bool = False
    ) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        ctx = self._context(store, now_ms, creating=True)
        return views.can_delegated_max_size_json(ctx, store.account(owner), resource)

    @_locked
    def available_unfreeze_count_json(self, owner: bytes, *, solid: bool = False) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        return views.available_unfreeze_count_json(store.account(owner), now_ms)

    @_locked
    def can_withdraw_unfreeze_amount_json(
        self, owner: bytes, timestamp_ms: int, *, solid: bool = False
    ) -> dict[str, Any]:
        store, now_ms = self._view(solid)
        return views.can_withdraw_unfreeze_amount_json(store.account(owner), timestamp_ms, now_ms)

    @_locked
    def reward(self, addr: bytes, *, solid: bool = False) -> int:
        store, _ = self._view(solid)
        return rewards.query_reward(self.params, store, addr)

    @_locked
    def brokerage(self, addr: bytes, *, solid: bool = False) -> int:
        store, _ = self._view(solid)
        return rewards.brokerage(store, rewards.current_cycle(store), addr)

    @_locked
    def witnesses_json(self, *, solid: bool = False) -> dict[str, Any]:
        store, _ = self._view(solid)
        return views.witnesses_json(store)

    @_locked
    def next_maintenance_time_ms(self) -> int:
        """The dynamic property ``NEXT_MAINTENANCE_TIME`` of the head state (ms)."""
        store, _ = self._view(False)
        return store.dyn("next_maintenance_time")

    def chain_parameters_json(self) -> dict[str, Any]:
        return views.chain_parameters_json(self.params)

    # ---- transactions and blocks ----

    def _record(self, txid: bytes, solid: bool) -> TxRecord | None:
        record = self._txs.get(txid)
        if record is None:
            return None
        if solid and (record.block_num is None or record.block_num > self._solid_number()):
            return None
        return record

    @_locked
    def transaction(
        self, txid: bytes, *, solid: bool = False
    ) -> tuple[Transaction, int | None] | None:
        record = self._record(txid, solid)
        return None if record is None else (record.tx, record.block_num)

    @_locked
    def transaction_info_json(self, txid: bytes, *, solid: bool = False) -> dict[str, Any]:
        record = self._record(txid, solid)
        if record is None or record.block_num is None:
            return {}
        return views.transaction_info_json(
            txid, record.receipt, record.block_num, record.block_time_ms
        )

    @_locked
    def block_by_num(self, n: int) -> Block | None:
        return self._blocks[n] if 0 <= n < len(self._blocks) else None

    @_locked
    def block_by_id(self, block_id: bytes) -> Block | None:
        if len(block_id) != 32:
            return None
        block = self.block_by_num(int.from_bytes(block_id[:8], "big"))
        return block if block is not None and block.block_id == block_id else None

    @_locked
    def now_block(self, *, solid: bool = False) -> Block:
        return self.solid if solid else self.head

    @_locked
    def packed_transactions(self, owner: bytes | None, since_block: int) -> list[dict[str, Any]]:
        """Every packed transaction from block ``since_block`` on, optionally of one owner."""
        out: list[dict[str, Any]] = []
        for block in self._blocks[max(1, since_block) :]:
            for tx in block.transactions:
                contract = tx.raw.contracts[0]
                value = contract.value
                if value is None or (owner is not None and value.owner_address != owner):
                    continue
                out.append(
                    {
                        "type": contract.type_name,
                        "owner": value.owner_address,
                        "contract": contract_values(value),
                        "txid": tx.txid.hex(),
                        "block": block.number,
                    }
                )
        return out

    @_locked
    def state_json(self) -> dict[str, Any]:
        store, _ = self._view(False)
        accounts = sorted(store.items("accounts"))
        return {
            "head": _block_summary(self.head),
            "solid": _block_summary(self.solid),
            "chain_time_ms": self.chain_time_ms,
            "pending": len(self._pending_txs),
            "cycle": rewards.current_cycle(store),
            "next_maintenance_time_ms": store.dyn("next_maintenance_time"),
            "accounts": [
                {"address": address, "balance": account.balance} for address, account in accounts
            ],
            "witnesses": [
                {
                    "address": witness.address,
                    "url": witness.url,
                    "vote_count": witness.vote_count,
                    "is_jobs": witness.is_jobs,
                }
                for witness in rewards.sorted_witnesses(rewards.all_witnesses(store))
            ],
        }

    # ---- snapshots ----

    @_locked
    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable image of the whole chain (``from_snapshot`` restores it)."""
        records = []
        for txid, record in self._txs.items():
            records.append(
                {
                    "txid": txid.hex(),
                    "receipt": _encode_receipt(record.receipt),
                    "block": record.block_num,
                    "block_time_ms": record.block_time_ms,
                    "tx": None if record.block_num is not None else encode_transaction(record.tx),
                }
            )
        return {
            "version": SNAPSHOT_VERSION,
            "genesis": _encode_genesis(self._genesis),
            "solid_lag": self._solid_lag,
            "time_offset_ms": self._time_offset_ms,
            "blocks": [_encode_block(block) for block in self._blocks],
            "solid_state": state.encode_tables(self._solid_state),
            "diffs": [[number, state.encode_tables(diff)] for number, diff in self._diffs],
            "pending": state.encode_tables(self._pending),
            "transactions": records,
        }

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Chain:
        """Rebuild a chain from ``to_snapshot`` output; raises ``SnapshotError``."""
        if not isinstance(snapshot, dict) or snapshot.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError("unsupported snapshot version")
        try:
            return cls._restore(snapshot)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SnapshotError(f"damaged snapshot: {exc!r}") from exc

    @classmethod
    def _restore(cls, snapshot: dict[str, Any]) -> Chain:
        chain = cls(_decode_genesis(snapshot["genesis"]), solid_lag=int(snapshot["solid_lag"]))
        chain._time_offset_ms = int(snapshot["time_offset_ms"])
        chain._blocks = [_decode_block(raw) for raw in snapshot["blocks"]]
        chain._recent = {}
        for block in chain._blocks[-65536:]:
            chain._remember_block(block)
        chain._solid_state = state.decode_tables(snapshot["solid_state"])
        chain._head_state = state.copy_tables(chain._solid_state)
        chain._diffs = deque()
        for number, raw_diff in snapshot["diffs"]:
            diff = state.decode_tables(raw_diff)
            state.apply_to_base(chain._head_state, diff)
            chain._diffs.append((int(number), diff))
        chain._pending = state.decode_tables(snapshot["pending"])
        packed = {tx.txid: tx for block in chain._blocks for tx in block.transactions}
        chain._txs = {}
        chain._pending_txs = []
        for raw in snapshot["transactions"]:
            txid = bytes.fromhex(raw["txid"])
            block_num = raw["block"]
            tx = packed[txid] if block_num is not None else decode_transaction(raw["tx"])
            record = TxRecord(tx, _decode_receipt(raw["receipt"]), block_num, raw["block_time_ms"])
            chain._txs[txid] = record
            if block_num is None:
                chain._pending_txs.append(record)
        return chain


# ---- helpers for the admin views and snapshots ----


def _block_summary(block: Block) -> dict[str, Any]:
    return {"number": block.number, "block_id": block.block_id, "timestamp": block.timestamp}


def contract_values(value: ContractValue) -> dict[str, Any]:
    """A contract's fields by name: addresses as bytes, ``resource`` as its name."""
    out: dict[str, Any] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if spec.name == "resource":
            item = ResourceCode(item).name if item in ResourceCode._value2member_map_ else item
        elif spec.name == "votes":
            item = [{"vote_address": v.vote_address, "vote_count": v.vote_count} for v in item]
        out[spec.name] = item
    return out


def _encode_value(value: ContractValue) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if isinstance(item, bytes):
            item = item.hex()
        elif spec.name == "votes":
            item = [[v.vote_address.hex(), v.vote_count] for v in item]
        out[spec.name] = item
    return out


def _decode_value(contract_type: int, raw: dict[str, Any]) -> ContractValue:
    cls = CONTRACT_TYPES[contract_type][1]
    values: dict[str, Any] = {}
    for spec in fields(cls):
        item = raw[spec.name]
        if spec.name == "votes":
            item = tuple(Vote(bytes.fromhex(a), int(c)) for a, c in item)
        elif spec.name.endswith("address"):
            item = bytes.fromhex(item)
        values[spec.name] = item
    result: ContractValue = cls(**values)
    return result


def encode_transaction(tx: Transaction) -> dict[str, Any]:
    raw = tx.raw
    return {
        "raw_bytes": tx.raw_bytes.hex(),
        "txid": tx.txid.hex(),
        "signatures": [sig.hex() for sig in tx.signatures],
        "signed_size": tx.signed_size,
        "raw": {
            "ref_block_bytes": raw.ref_block_bytes.hex(),
            "ref_block_num": raw.ref_block_num,
            "ref_block_hash": raw.ref_block_hash.hex(),
            "expiration": raw.expiration,
            "data": raw.data.hex(),
            "timestamp": raw.timestamp,
            "fee_limit": raw.fee_limit,
            "contracts": [
                {
                    "type": c.type,
                    "type_url": c.type_url,
                    "permission_id": c.permission_id,
                    "provider": c.provider.hex(),
                    "contract_name": c.contract_name.hex(),
                    "value": None if c.value is None else _encode_value(c.value),
                }
                for c in raw.contracts
            ],
        },
    }


def decode_transaction(data: dict[str, Any]) -> Transaction:
    raw = data["raw"]
    contracts = tuple(
        Contract(
            type=c["type"],
            value=None if c["value"] is None else _decode_value(c["type"], c["value"]),
            type_url=c["type_url"],
            permission_id=c["permission_id"],
            provider=bytes.fromhex(c["provider"]),
            contract_name=bytes.fromhex(c["contract_name"]),
        )
        for c in raw["contracts"]
    )
    return Transaction(
        raw=RawData(
            ref_block_bytes=bytes.fromhex(raw["ref_block_bytes"]),
            ref_block_num=raw["ref_block_num"],
            ref_block_hash=bytes.fromhex(raw["ref_block_hash"]),
            expiration=raw["expiration"],
            data=bytes.fromhex(raw["data"]),
            contracts=contracts,
            timestamp=raw["timestamp"],
            fee_limit=raw["fee_limit"],
        ),
        raw_bytes=bytes.fromhex(data["raw_bytes"]),
        txid=bytes.fromhex(data["txid"]),
        signatures=tuple(bytes.fromhex(sig) for sig in data["signatures"]),
        signed_size=data["signed_size"],
    )


def _encode_block(block: Block) -> dict[str, Any]:
    return {
        "number": block.number,
        "block_id": block.block_id.hex(),
        "parent_id": block.parent_id.hex(),
        "timestamp": block.timestamp,
        "witness": block.witness_address.hex(),
        "tx_trie_root": block.tx_trie_root.hex(),
        "witness_signature": block.witness_signature.hex(),
        "transactions": [encode_transaction(tx) for tx in block.transactions],
    }


def _decode_block(raw: dict[str, Any]) -> Block:
    return Block(
        number=raw["number"],
        block_id=bytes.fromhex(raw["block_id"]),
        parent_id=bytes.fromhex(raw["parent_id"]),
        timestamp=raw["timestamp"],
        witness_address=bytes.fromhex(raw["witness"]),
        transactions=tuple(decode_transaction(tx) for tx in raw["transactions"]),
        tx_trie_root=bytes.fromhex(raw["tx_trie_root"]),
        witness_signature=bytes.fromhex(raw["witness_signature"]),
    )


def _encode_receipt(receipt: Receipt) -> dict[str, Any]:
    out = {spec.name: getattr(receipt, spec.name) for spec in fields(receipt)}
    if receipt.cancel_unfreeze is not None:
        out["cancel_unfreeze"] = list(receipt.cancel_unfreeze)
    return out


def _decode_receipt(raw: dict[str, Any]) -> Receipt:
    values = dict(raw)
    if values.get("cancel_unfreeze") is not None:
        values["cancel_unfreeze"] = tuple(values["cancel_unfreeze"])
    return Receipt(**values)


def _encode_genesis(genesis: Genesis) -> dict[str, Any]:
    def key(value: bytes | None) -> str | None:
        return None if value is None else value.hex()

    return {
        "accounts": [
            [a.address.hex(), a.balance_sun, key(a.private_key)] for a in genesis.accounts
        ],
        "witnesses": [
            [w.address.hex(), w.url, w.vote_count, w.brokerage, key(w.private_key)]
            for w in genesis.witnesses
        ],
        "chain_parameters": dict(genesis.chain_parameters),
        "genesis_time_ms": genesis.genesis_time_ms,
    }


def _decode_genesis(raw: dict[str, Any]) -> Genesis:
    def key(value: str | None) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    return Genesis(
        accounts=[GenesisAccount(bytes.fromhex(a), int(b), key(k)) for a, b, k in raw["accounts"]],
        witnesses=[
            GenesisWitness(bytes.fromhex(a), u, int(v), int(br), key(k))
            for a, u, v, br, k in raw["witnesses"]
        ],
        chain_parameters=dict(raw["chain_parameters"]),
        genesis_time_ms=int(raw["genesis_time_ms"]),
    )
