"""The devnet's shared vocabulary: decoded transactions, contracts and broadcast results.

``codec`` turns the client's JSON (or hex) into these objects and back; ``chain`` validates
and executes them; ``http`` renders results. Addresses are 21 raw bytes (0x41 prefix).
Field names follow java-tron's protobuf definitions (Tron.proto, balance_contract.proto).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

Address = bytes


class ResourceCode(enum.IntEnum):
    BANDWIDTH = 0
    ENERGY = 1
    TRON_POWER = 2


class ResponseCode(enum.IntEnum):
    """``GrpcAPI.Return.response_code``."""

    SUCCESS = 0
    SIGERROR = 1
    CONTRACT_VALIDATE_ERROR = 2
    CONTRACT_EXE_ERROR = 3
    BANDWITH_ERROR = 4
    DUP_TRANSACTION_ERROR = 5
    TAPOS_ERROR = 6
    TOO_BIG_TRANSACTION_ERROR = 7
    TRANSACTION_EXPIRATION_ERROR = 8
    SERVER_BUSY = 9
    NO_CONNECTION = 10
    NOT_ENOUGH_EFFECTIVE_CONNECTION = 11
    BLOCK_UNSOLIDIFIED = 12
    OTHER_ERROR = 20


@dataclass(frozen=True, slots=True)
class TransferContract:
    owner_address: Address = b""
    to_address: Address = b""
    amount: int = 0


@dataclass(frozen=True, slots=True)
class Vote:
    vote_address: Address = b""
    vote_count: int = 0


@dataclass(frozen=True, slots=True)
class VoteWitnessContract:
    owner_address: Address = b""
    votes: tuple[Vote, ...] = ()
    support: bool = False


@dataclass(frozen=True, slots=True)
class WithdrawBalanceContract:
    owner_address: Address = b""


@dataclass(frozen=True, slots=True)
class FreezeBalanceV2Contract:
    owner_address: Address = b""
    frozen_balance: int = 0
    resource: int = ResourceCode.BANDWIDTH


@dataclass(frozen=True, slots=True)
class UnfreezeBalanceV2Contract:
    owner_address: Address = b""
    unfreeze_balance: int = 0
    resource: int = ResourceCode.BANDWIDTH


@dataclass(frozen=True, slots=True)
class WithdrawExpireUnfreezeContract:
    owner_address: Address = b""


@dataclass(frozen=True, slots=True)
class DelegateResourceContract:
    owner_address: Address = b""
    resource: int = ResourceCode.BANDWIDTH
    balance: int = 0
    receiver_address: Address = b""
    lock: bool = False
    lock_period: int = 0


@dataclass(frozen=True, slots=True)
class UnDelegateResourceContract:
    owner_address: Address = b""
    resource: int = ResourceCode.BANDWIDTH
    balance: int = 0
    receiver_address: Address = b""


@dataclass(frozen=True, slots=True)
class CancelAllUnfreezeV2Contract:
    owner_address: Address = b""


ContractValue = (
    TransferContract
    | VoteWitnessContract
    | WithdrawBalanceContract
    | FreezeBalanceV2Contract
    | UnfreezeBalanceV2Contract
    | WithdrawExpireUnfreezeContract
    | DelegateResourceContract
    | UnDelegateResourceContract
    | CancelAllUnfreezeV2Contract
)

# Tron.proto ContractType number -> (name, value class)
CONTRACT_TYPES: dict[int, tuple[str, type]] = {
    1: ("TransferContract", TransferContract),
    4: ("VoteWitnessContract", VoteWitnessContract),
    13: ("WithdrawBalanceContract", WithdrawBalanceContract),
    54: ("FreezeBalanceV2Contract", FreezeBalanceV2Contract),
    55: ("UnfreezeBalanceV2Contract", UnfreezeBalanceV2Contract),
    56: ("WithdrawExpireUnfreezeContract", WithdrawExpireUnfreezeContract),
    57: ("DelegateResourceContract", DelegateResourceContract),
    58: ("UnDelegateResourceContract", UnDelegateResourceContract),
    59: ("CancelAllUnfreezeV2Contract", CancelAllUnfreezeV2Contract),
}
CONTRACT_TYPE_BY_NAME: dict[str, int] = {name: num for num, (name, _) in CONTRACT_TYPES.items()}
CONTRACT_TYPE_BY_CLASS: dict[type, int] = {cls: num for num, (_, cls) in CONTRACT_TYPES.items()}


def type_url(type_name: str) -> str:
    return f"type.googleapis.com/protocol.{type_name}"


@dataclass(frozen=True, slots=True)
class Contract:
    """``Transaction.Contract``: ``value`` is None when the node could not parse it."""

    type: int
    value: ContractValue | None
    type_url: str = ""
    permission_id: int = 0
    provider: bytes = b""
    contract_name: bytes = b""

    @property
    def type_name(self) -> str:
        entry = CONTRACT_TYPES.get(self.type)
        return entry[0] if entry else str(self.type)


@dataclass(frozen=True, slots=True)
class RawData:
    """``Transaction.raw`` (fields in protobuf number order)."""

    ref_block_bytes: bytes = b""
    ref_block_num: int = 0
    ref_block_hash: bytes = b""
    expiration: int = 0
    data: bytes = b""
    contracts: tuple[Contract, ...] = ()
    timestamp: int = 0
    fee_limit: int = 0


@dataclass(frozen=True, slots=True)
class Transaction:
    """A decoded transaction: ``raw_bytes`` is the protobuf of ``raw``; ``txid`` its sha256.

    ``signed_size`` is the serialized size of the whole signed ``Transaction`` without
    ``ret`` (what bandwidth is charged on, before the +64 per contract).
    """

    raw: RawData
    raw_bytes: bytes
    txid: bytes
    signatures: tuple[bytes, ...] = ()
    signed_size: int = 0


@dataclass(frozen=True, slots=True)
class BroadcastResult:
    """The outcome of a broadcast; ``message`` is plain text (the HTTP layer may hex it)."""

    code: ResponseCode = ResponseCode.SUCCESS
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.code is ResponseCode.SUCCESS


@dataclass(frozen=True, slots=True)
class Block:
    """A produced block. ``block_id`` is 8-byte big-endian number + sha256(header)[8:32]."""

    number: int
    block_id: bytes
    parent_id: bytes
    timestamp: int
    witness_address: Address
    transactions: tuple[Transaction, ...] = field(default=())
    tx_trie_root: bytes = b"\0" * 32
    witness_signature: bytes = b""  # over sha256(header raw); empty when the key is unknown
