"""The protobuf encoding of a transaction's ``raw_data`` and its txid (pure; no I/O).

java-tron identifies a transaction by ``sha256(serialize(Transaction.raw))`` (reference §7.1):
the proto3 bytes of ``raw_data`` in field-number order with default values omitted. The
client re-encodes the node's JSON (``visible: false``: hex addresses and bytes, enum names)
exactly as the node does, so that it knows the txid of what it signs without trusting the node
and can re-anchor a node-built transaction (new expiration and reference block) by itself.

Only the contracts the service sends are known: Transfer, VoteWitness, WithdrawBalance and the
Stake 2.0 ones. Anything else — an unknown contract, key or enum name — raises ``ValueError``:
a transaction whose bytes we cannot reproduce is never signed. Used by
:mod:`tron_staking.chain.transactions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Final

_VARINT: Final = 0
_LENGTH: Final = 2
_RESOURCE_CODES: Final = {"BANDWIDTH": 0, "ENERGY": 1, "TRON_POWER": 2}

# Field kinds of the contract tables: how a JSON value becomes bytes.
_ADDRESS: Final = "address"  # hex bytes (21 bytes, 41…)
_INT: Final = "int64"
_BOOL: Final = "bool"
_RESOURCE: Final = "resource"  # ResourceCode enum, by name
_VOTES: Final = "votes"  # repeated VoteWitnessContract.Vote

ContractFields = tuple[tuple[str, int, str], ...]
"""``(json key, field number, field kind)`` in field-number order."""

CONTRACTS: Final[dict[str, tuple[int, ContractFields]]] = {
    "TransferContract": (
        1,
        (("owner_address", 1, _ADDRESS), ("to_address", 2, _ADDRESS), ("amount", 3, _INT)),
    ),
    "VoteWitnessContract": (
        4,
        (("owner_address", 1, _ADDRESS), ("votes", 2, _VOTES), ("support", 3, _BOOL)),
    ),
    "WithdrawBalanceContract": (13, (("owner_address", 1, _ADDRESS),)),
    "FreezeBalanceV2Contract": (
        54,
        (
            ("owner_address", 1, _ADDRESS),
            ("frozen_balance", 2, _INT),
            ("resource", 3, _RESOURCE),
        ),
    ),
    "UnfreezeBalanceV2Contract": (
        55,
        (
            ("owner_address", 1, _ADDRESS),
            ("unfreeze_balance", 2, _INT),
            ("resource", 3, _RESOURCE),
        ),
    ),
    "WithdrawExpireUnfreezeContract": (56, (("owner_address", 1, _ADDRESS),)),
    "DelegateResourceContract": (
        57,
        (
            ("owner_address", 1, _ADDRESS),
            ("resource", 2, _RESOURCE),
            ("balance", 3, _INT),
            ("receiver_address", 4, _ADDRESS),
            ("lock", 5, _BOOL),
            ("lock_period", 6, _INT),
        ),
    ),
    "UnDelegateResourceContract": (
        58,
        (
            ("owner_address", 1, _ADDRESS),
            ("resource", 2, _RESOURCE),
            ("balance", 3, _INT),
            ("receiver_address", 4, _ADDRESS),
        ),
    ),
    "CancelAllUnfreezeV2Contract": (59, (("owner_address", 1, _ADDRESS),)),
}
"""Every contract the codec knows: its ``ContractType`` number and its fields."""

_TYPE_URL_PREFIX: Final = "type.googleapis.com/protocol."
_RAW_KEYS: Final = frozenset(
    {"ref_block_bytes", "ref_block_num", "ref_block_hash", "expiration", "data", "contract"}
    | {"timestamp", "fee_limit"}
)
_CONTRACT_KEYS: Final = frozenset({"parameter", "type", "Permission_id"})


def txid_of_bytes(raw: bytes) -> str:
    """The txid (64 lowercase hex) of ``raw_data`` bytes from :func:`encode_raw`."""
    return hashlib.sha256(raw).hexdigest()


def encode_raw(raw_data: Mapping[str, object]) -> bytes:
    """``Transaction.raw`` as protobuf bytes, from the node's ``visible: false`` JSON."""
    unknown = set(raw_data) - _RAW_KEYS
    if unknown:
        raise ValueError(f"raw_data keys the codec does not know: {sorted(unknown)}")
    contracts = raw_data.get("contract")
    if not isinstance(contracts, list) or not contracts:
        raise ValueError("raw_data.contract must be a non-empty list")
    out = bytearray()
    _put_bytes(out, 1, _hex(raw_data.get("ref_block_bytes", ""), "ref_block_bytes"))
    _put_int(out, 3, _integer(raw_data.get("ref_block_num", 0), "ref_block_num"))
    _put_bytes(out, 4, _hex(raw_data.get("ref_block_hash", ""), "ref_block_hash"))
    _put_int(out, 8, _integer(raw_data.get("expiration", 0), "expiration"))
    _put_bytes(out, 10, _hex(raw_data.get("data", ""), "data"))
    for contract in contracts:
        _put_bytes(out, 11, _encode_contract(contract), keep_empty=True)
    _put_int(out, 14, _integer(raw_data.get("timestamp", 0), "timestamp"))
    _put_int(out, 18, _integer(raw_data.get("fee_limit", 0), "fee_limit"))
    return bytes(out)


def _encode_contract(contract: object) -> bytes:
    if not isinstance(contract, Mapping):
        raise ValueError("a contract must be an object")
    unknown = set(contract) - _CONTRACT_KEYS
    if unknown:
        raise ValueError(f"contract keys the codec does not know: {sorted(unknown)}")
    name = contract.get("type")
    if not isinstance(name, str) or name not in CONTRACTS:
        raise ValueError(f"unsupported contract type {name!r}")
    number, fields = CONTRACTS[name]
    parameter = contract.get("parameter")
    if not isinstance(parameter, Mapping):
        raise ValueError("contract.parameter must be an object")
    type_url = parameter.get("type_url", "")
    value = parameter.get("value", {})
    if not isinstance(type_url, str) or not isinstance(value, Mapping):
        raise ValueError("contract.parameter must hold a type_url string and a value object")
    any_message = bytearray()
    _put_bytes(any_message, 1, type_url.encode())
    _put_bytes(any_message, 2, _encode_fields(name, fields, value))
    out = bytearray()
    _put_int(out, 1, number)
    _put_bytes(out, 2, bytes(any_message), keep_empty=True)
    _put_int(out, 5, _integer(contract.get("Permission_id", 0), "Permission_id"))
    return bytes(out)


def _encode_fields(name: str, fields: ContractFields, value: Mapping[str, object]) -> bytes:
    known = {key for key, _, _ in fields}
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"{name} keys the codec does not know: {sorted(unknown)}")
    out = bytearray()
    for key, number, kind in fields:
        if key in value:
            _FIELD_WRITERS[kind](out, number, value[key], f"{name}.{key}")
    return bytes(out)


def _write_address(out: bytearray, number: int, value: object, where: str) -> None:
    _put_bytes(out, number, _hex(value, where))


def _write_int(out: bytearray, number: int, value: object, where: str) -> None:
    _put_int(out, number, _integer(value, where))


def _write_bool(out: bytearray, number: int, value: object, where: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false")
    _put_int(out, number, int(value))


def _write_resource(out: bytearray, number: int, value: object, where: str) -> None:
    if isinstance(value, str) and value in _RESOURCE_CODES:
        _put_int(out, number, _RESOURCE_CODES[value])
    elif isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2):
        _put_int(out, number, value)
    else:
        raise ValueError(f"{where} must be BANDWIDTH, ENERGY or TRON_POWER")


def _write_votes(out: bytearray, number: int, value: object, where: str) -> None:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ValueError(f"{where} must be a list")
    vote_fields: ContractFields = (("vote_address", 1, _ADDRESS), ("vote_count", 2, _INT))
    for vote in value:
        if not isinstance(vote, Mapping):
            raise ValueError(f"{where} entries must be objects")
        _put_bytes(out, number, _encode_fields(where, vote_fields, vote), keep_empty=True)


_FIELD_WRITERS: Final[dict[str, Callable[[bytearray, int, object, str], None]]] = {
    _ADDRESS: _write_address,
    _INT: _write_int,
    _BOOL: _write_bool,
    _RESOURCE: _write_resource,
    _VOTES: _write_votes,
}


# -- wire primitives ----------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are ten-byte two's complement varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _put_int(out: bytearray, number: int, value: int) -> None:
    if value:
        out += _varint(number << 3 | _VARINT) + _varint(value)


def _put_bytes(out: bytearray, number: int, value: bytes, *, keep_empty: bool = False) -> None:
    if value or keep_empty:
        out += _varint(number << 3 | _LENGTH) + _varint(len(value)) + value


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be an integer")
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(f"{where} is out of the int64 range")
    return value


def _hex(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{where} is not hex") from None


def type_url(contract_type: str) -> str:
    """The ``Any.type_url`` java-tron prints for ``contract_type``."""
    return _TYPE_URL_PREFIX + contract_type
