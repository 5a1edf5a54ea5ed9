"""Protobuf and JSON codecs of the devnet's transactions (java-tron wire formats).

The node never trusts the client's ``txID``: it parses the client's JSON (or protobuf hex),
re-encodes ``raw_data`` as protobuf and hashes it, exactly like java-tron's
``Util.packTransaction`` + ``TransactionCapsule.getRawHash``. The encoder below writes, with
``protowire`` (fields in field-number order, defaults omitted), ``Transaction``,
``Transaction.raw``, ``Transaction.Contract``, ``google.protobuf.Any`` and the nine contract
messages the devnet executes.

JSON parsing follows java-tron's ``JsonFormat`` rules: bytes are hex (``0x`` prefix stripped,
odd length left-padded) unless ``visible`` is true and the field is an address field (then
base58check); enums by name or number; unknown keys and JSON ``null`` are skipped; a contract
whose ``parameter.value`` cannot be parsed is silently dropped; anything else malformed raises
``CodecError`` (answered as ``{"Error": …}`` by the HTTP layer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from tron_devnet import crypto, params, protowire
from tron_devnet.types import (
    CONTRACT_TYPE_BY_CLASS,
    CONTRACT_TYPE_BY_NAME,
    CONTRACT_TYPES,
    Block,
    CancelAllUnfreezeV2Contract,
    Contract,
    ContractValue,
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    RawData,
    ResourceCode,
    Transaction,
    TransferContract,
    UnDelegateResourceContract,
    UnfreezeBalanceV2Contract,
    Vote,
    VoteWitnessContract,
    WithdrawBalanceContract,
    WithdrawExpireUnfreezeContract,
)

PARSE_EXCEPTION: Final = "org.tron.core.services.http.JsonFormat$ParseException"
JSON_EXCEPTION: Final = "com.alibaba.fastjson.JSONException"
NULL_POINTER: Final = "java.lang.NullPointerException"

_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_INT32_MIN: Final = -(1 << 31)
_INT32_MAX: Final = (1 << 31) - 1
_UINT64: Final = 1 << 64


class CodecError(ValueError):
    """Malformed input; ``java_class`` names the exception java-tron would print."""

    def __init__(self, message: str, java_class: str = PARSE_EXCEPTION) -> None:
        super().__init__(message)
        self.message = message
        self.java_class = java_class

    def error_text(self) -> str:
        """The text of java-tron's ``{"Error": "class <X> : <message>"}`` body."""
        return f"class {self.java_class} : {self.message}"


# --------------------------------------------------------------------------- protobuf encoding


def _encode_vote(vote: Vote) -> bytes:
    out = bytearray()
    protowire.put_bytes(out, 1, vote.vote_address)
    protowire.put_varint(out, 2, vote.vote_count)
    return bytes(out)


def encode_contract_value(value: ContractValue) -> bytes:
    """The protobuf of one contract message (``Any.value``)."""
    spec = _PROTO_FIELDS.get(type(value))
    if spec is None:  # pragma: no cover - exhaustive over ContractValue
        raise TypeError(f"not a contract value: {value!r}")
    out = bytearray()
    for number, (name, kind) in spec.items():
        field_value = getattr(value, name)
        if kind == _ADDR:
            protowire.put_bytes(out, number, field_value)
        elif kind == _VOTES:
            for vote in field_value:
                protowire.put_bytes(out, number, _encode_vote(vote), always=True)
        else:  # _INT64, _ENUM, _BOOL
            protowire.put_varint(out, number, int(field_value))
    return bytes(out)


def _encode_contract(contract: Contract, value_bytes: bytes) -> bytes:
    any_out = bytearray()
    protowire.put_bytes(any_out, 1, contract.type_url.encode())
    protowire.put_bytes(any_out, 2, value_bytes)
    out = bytearray()
    protowire.put_varint(out, 1, contract.type)
    protowire.put_bytes(out, 2, bytes(any_out), always=True)
    protowire.put_bytes(out, 3, contract.provider)
    protowire.put_bytes(out, 4, contract.contract_name)
    protowire.put_varint(out, 5, contract.permission_id)
    return bytes(out)


def encode_raw(raw: RawData) -> bytes:
    """The protobuf of ``Transaction.raw``: the bytes hashed into the txid (``raw_data_hex``).

    Contracts whose value is None (not decodable) cannot be re-encoded and raise ValueError.
    """
    out = bytearray()
    protowire.put_bytes(out, 1, raw.ref_block_bytes)
    protowire.put_varint(out, 3, raw.ref_block_num)
    protowire.put_bytes(out, 4, raw.ref_block_hash)
    protowire.put_varint(out, 8, raw.expiration)
    protowire.put_bytes(out, 10, raw.data)
    for contract in raw.contracts:
        if contract.value is None:
            raise ValueError("cannot encode a contract whose value is unknown")
        value_bytes = encode_contract_value(contract.value)
        protowire.put_bytes(out, 11, _encode_contract(contract, value_bytes), always=True)
    protowire.put_varint(out, 14, raw.timestamp)
    protowire.put_varint(out, 18, raw.fee_limit)
    return bytes(out)


def signed_size(raw_bytes: bytes, signatures: Sequence[bytes]) -> int:
    """Size of the serialized signed ``Transaction`` without ``ret`` (bandwidth is charged on
    this plus 64 bytes per contract)."""
    size = 1 + len(protowire.varint(len(raw_bytes))) + len(raw_bytes)
    for signature in signatures:
        size += 1 + len(protowire.varint(len(signature))) + len(signature)
    return size


def encode_signed_transaction(tx: Transaction) -> bytes:
    """The protobuf of the signed ``Transaction`` (raw_data=1, signature=2; no ``ret``)."""
    out = bytearray()
    protowire.put_bytes(out, 1, tx.raw_bytes, always=True)
    for signature in tx.signatures:
        protowire.put_bytes(out, 2, signature, always=True)
    return bytes(out)


def make_transaction(raw: RawData, signatures: Sequence[bytes] = ()) -> Transaction:
    """A ``Transaction`` with its raw bytes, txid and signed size computed from ``raw``."""
    return _transaction(raw, encode_raw(raw), signatures)


def _transaction(raw: RawData, raw_bytes: bytes, signatures: Sequence[bytes]) -> Transaction:
    """The ``Transaction`` of ``raw`` serialized as ``raw_bytes``: the txid is their sha256."""
    sigs = tuple(signatures)
    return Transaction(
        raw=raw,
        raw_bytes=raw_bytes,
        txid=crypto.sha256(raw_bytes),
        signatures=sigs,
        signed_size=signed_size(raw_bytes, sigs),
    )


def with_signatures(tx: Transaction, signatures: Sequence[bytes]) -> Transaction:
    """``tx`` with its signatures replaced (txid unchanged)."""
    sigs = tuple(signatures)
    return Transaction(
        raw=tx.raw,
        raw_bytes=tx.raw_bytes,
        txid=tx.txid,
        signatures=sigs,
        signed_size=signed_size(tx.raw_bytes, sigs),
    )


# --------------------------------------------------------------------------- protobuf reader


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise CodecError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & (_UINT64 - 1), pos
        shift += 7
        if shift >= 70:
            raise CodecError("malformed varint")


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field_number, wire_type, value)``; value is int (varint) or bytes."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        field_number, wire_type = key >> 3, key & 7
        if field_number == 0:
            raise CodecError("invalid field number 0")
        if wire_type == protowire.WIRE_VARINT:
            value, pos = _read_varint(data, pos)
            yield field_number, wire_type, value
        elif wire_type == protowire.WIRE_LEN:
            length, pos = _read_varint(data, pos)
            if pos + length > end:
                raise CodecError("truncated length-delimited field")
            yield field_number, wire_type, data[pos : pos + length]
            pos += length
        elif wire_type == protowire.WIRE_FIXED64:
            if pos + 8 > end:
                raise CodecError("truncated fixed64 field")
            pos += 8
        elif wire_type == protowire.WIRE_FIXED32:
            if pos + 4 > end:
                raise CodecError("truncated fixed32 field")
            pos += 4
        else:
            raise CodecError(f"unsupported wire type {wire_type}")


def _as_int64(value: int) -> int:
    return value - _UINT64 if value > _INT64_MAX else value


def _as_int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value > _INT32_MAX else value


def _expect_int(wire_type: int, value: int | bytes) -> int:
    if wire_type != protowire.WIRE_VARINT or not isinstance(value, int):
        raise CodecError("wrong wire type for a varint field")
    return value


def _expect_bytes(wire_type: int, value: int | bytes) -> bytes:
    if wire_type != protowire.WIRE_LEN or not isinstance(value, bytes):
        raise CodecError("wrong wire type for a length-delimited field")
    return value


def _resource(value: int) -> int:
    number = _as_int32(value)
    try:
        return ResourceCode(number)
    except ValueError:
        return number


def _decode_vote(data: bytes) -> Vote:
    address = b""
    count = 0
    for number, wire_type, value in _fields(data):
        if number == 1:
            address = _expect_bytes(wire_type, value)
        elif number == 2:
            count = _as_int64(_expect_int(wire_type, value))
    return Vote(address, count)


def decode_contract_value(type_number: int, data: bytes) -> ContractValue:
    """Parse ``Any.value`` for a contract type; raises CodecError (or KeyError: unknown type)."""
    cls = CONTRACT_TYPES[type_number][1]
    kwargs: dict[str, Any] = {}
    votes: list[Vote] = []
    for number, wire_type, value in _fields(data):
        spec = _PROTO_FIELDS[cls].get(number)
        if spec is None:
            continue
        name, kind = spec
        if kind == _ADDR:
            kwargs[name] = _expect_bytes(wire_type, value)
        elif kind == _INT64:
            kwargs[name] = _as_int64(_expect_int(wire_type, value))
        elif kind == _ENUM:
            kwargs[name] = _resource(_expect_int(wire_type, value))
        elif kind == _BOOL:
            kwargs[name] = _expect_int(wire_type, value) != 0
        else:  # _VOTES
            votes.append(_decode_vote(_expect_bytes(wire_type, value)))
    if cls is VoteWitnessContract:
        kwargs["votes"] = tuple(votes)
    result: ContractValue = cls(**kwargs)
    return result


def _decode_contract(data: bytes) -> Contract:
    type_number = 0
    any_bytes = b""
    provider = b""
    contract_name = b""
    permission_id = 0
    for number, wire_type, value in _fields(data):
        if number == 1:
            type_number = _as_int32(_expect_int(wire_type, value))
        elif number == 2:
            any_bytes = _expect_bytes(wire_type, value)
        elif number == 3:
            provider = _expect_bytes(wire_type, value)
        elif number == 4:
            contract_name = _expect_bytes(wire_type, value)
        elif number == 5:
            permission_id = _as_int32(_expect_int(wire_type, value))
    type_url = ""
    value_bytes = b""
    for number, wire_type, value in _fields(any_bytes):
        if number == 1:
            type_url = _expect_bytes(wire_type, value).decode("utf-8", "replace")
        elif number == 2:
            value_bytes = _expect_bytes(wire_type, value)
    contract_value: ContractValue | None
    try:
        contract_value = decode_contract_value(type_number, value_bytes)
    except (KeyError, CodecError):
        contract_value = None
    return Contract(
        type=type_number,
        value=contract_value,
        type_url=type_url,
        permission_id=permission_id,
        provider=provider,
        contract_name=contract_name,
    )


def decode_raw(data: bytes) -> RawData:
    """Parse ``Transaction.raw`` protobuf bytes (unknown fields skipped)."""
    kwargs: dict[str, Any] = {}
    contracts: list[Contract] = []
    for number, wire_type, value in _fields(data):
        if number == 1:
            kwargs["ref_block_bytes"] = _expect_bytes(wire_type, value)
        elif number == 3:
            kwargs["ref_block_num"] = _as_int64(_expect_int(wire_type, value))
        elif number == 4:
            kwargs["ref_block_hash"] = _expect_bytes(wire_type, value)
        elif number == 8:
            kwargs["expiration"] = _as_int64(_expect_int(wire_type, value))
        elif number == 10:
            kwargs["data"] = _expect_bytes(wire_type, value)
        elif number == 11:
            contracts.append(_decode_contract(_expect_bytes(wire_type, value)))
        elif number == 14:
            kwargs["timestamp"] = _as_int64(_expect_int(wire_type, value))
        elif number == 18:
            kwargs["fee_limit"] = _as_int64(_expect_int(wire_type, value))
    return RawData(contracts=tuple(contracts), **kwargs)


def decode_transaction_bytes(data: bytes) -> Transaction:
    """Parse a signed ``Transaction`` protobuf (``wallet/broadcasthex``).

    The txid is the sha256 of the ``raw_data`` bytes as received; ``ret`` is ignored.
    """
    raw_bytes = b""
    signatures: list[bytes] = []
    for number, wire_type, value in _fields(data):
        if number == 1:
            raw_bytes = _expect_bytes(wire_type, value)
        elif number == 2:
            signatures.append(_expect_bytes(wire_type, value))
    return _transaction(decode_raw(raw_bytes), raw_bytes, signatures)


# --------------------------------------------------------------------------- JSON → objects

_ADDR: Final = "address"
_INT64: Final = "int64"
_ENUM: Final = "enum"
_BOOL: Final = "bool"
_VOTES: Final = "votes"

# contract class -> field number -> (attribute / JSON name, kind), in field-number order: the
# protobuf writer and reader and the JSON parser and renderer all work from this table.
# java-tron's HttpSelfFormatFieldName lists every address field below as an address field.
_PROTO_FIELDS: Final[dict[type, dict[int, tuple[str, str]]]] = {
    TransferContract: {
        1: ("owner_address", _ADDR),
        2: ("to_address", _ADDR),
        3: ("amount", _INT64),
    },
    VoteWitnessContract: {1: ("owner_address", _ADDR), 2: ("votes", _VOTES), 3: ("support", _BOOL)},
    WithdrawBalanceContract: {1: ("owner_address", _ADDR)},
    FreezeBalanceV2Contract: {
        1: ("owner_address", _ADDR),
        2: ("frozen_balance", _INT64),
        3: ("resource", _ENUM),
    },
    UnfreezeBalanceV2Contract: {
        1: ("owner_address", _ADDR),
        2: ("unfreeze_balance", _INT64),
        3: ("resource", _ENUM),
    },
    WithdrawExpireUnfreezeContract: {1: ("owner_address", _ADDR)},
    DelegateResourceContract: {
        1: ("owner_address", _ADDR),
        2: ("resource", _ENUM),
        3: ("balance", _INT64),
        4: ("receiver_address", _ADDR),
        5: ("lock", _BOOL),
        6: ("lock_period", _INT64),
    },
    UnDelegateResourceContract: {
        1: ("owner_address", _ADDR),
        2: ("resource", _ENUM),
        3: ("balance", _INT64),
        4: ("receiver_address", _ADDR),
    },
    CancelAllUnfreezeV2Contract: {1: ("owner_address", _ADDR)},
}
_JSON_FIELDS: Final[dict[type, dict[str, str]]] = {
    cls: {name: kind for name, kind in spec.values()} for cls, spec in _PROTO_FIELDS.items()
}


def parse_hex(text: object, what: str = "bytes") -> bytes:
    """java-tron's ``ByteArray.fromHexString``: ``0x`` stripped, odd length left-padded."""
    if not isinstance(text, str):
        raise CodecError(f"Expected string for {what}.")
    if text.startswith("0x"):
        text = text[2:]
    if len(text) % 2:
        text = "0" + text
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CodecError("INVALID hex String") from None


def parse_address_field(text: object, *, visible: bool, what: str = "address") -> bytes:
    """An address field: base58check (must be a valid address) when visible, else hex."""
    if not visible:
        return parse_hex(text, what)
    if not isinstance(text, str):
        raise CodecError(f"Expected string for {what}.")
    try:
        raw = crypto.b58check_decode(text)
    except (crypto.AddressError, ValueError):
        raise CodecError("null", NULL_POINTER) from None
    if not crypto.is_valid_address(raw):
        raise CodecError("null", NULL_POINTER)
    return raw


def parse_int(value: object, what: str, *, bits: int = 64) -> int:
    """A JSON integer within the signed range of an int64 (or int32)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"Couldn't parse integer: {what}")
    low, high = (_INT64_MIN, _INT64_MAX) if bits == 64 else (_INT32_MIN, _INT32_MAX)
    if not low <= value <= high:
        raise CodecError(f"Couldn't parse integer: Number out of range for {what}")
    return value


def parse_resource(value: object) -> int:
    """A ``ResourceCode`` given by name (``"ENERGY"``) or number (``1``)."""
    if isinstance(value, str):
        try:
            return ResourceCode[value]
        except KeyError:
            raise CodecError(
                f'Enum type "protocol.ResourceCode" has no value named "{value}".'
            ) from None
    number = parse_int(value, "resource", bits=32)
    try:
        return ResourceCode(number)
    except ValueError:
        raise CodecError(
            f'Enum type "protocol.ResourceCode" has no value with number {number}.'
        ) from None


def _parse_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise CodecError(f"Expected boolean for {what}.")
    return value


def _parse_votes(value: object, *, visible: bool) -> tuple[Vote, ...]:
    if not isinstance(value, list):
        raise CodecError("Expected array for votes.")
    votes = []
    for entry in value:
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise CodecError("Expected object for a vote.")
        address = b""
        count = 0
        raw_address = entry.get("vote_address")
        if raw_address is not None:
            address = parse_address_field(raw_address, visible=visible, what="vote_address")
        raw_count = entry.get("vote_count")
        if raw_count is not None:
            count = parse_int(raw_count, "vote_count")
        votes.append(Vote(address, count))
    return tuple(votes)


def parse_contract_value(cls: type, obj: object, *, visible: bool) -> ContractValue:
    """Parse the JSON of one contract message (a builder body or ``parameter.value``)."""
    if not isinstance(obj, dict):
        raise CodecError("Expected object for the contract.")
    spec = _JSON_FIELDS[cls]
    kwargs: dict[str, Any] = {}
    for name, raw_value in obj.items():
        kind = spec.get(name)
        if kind is None or raw_value is None:
            continue
        if kind == _ADDR:
            kwargs[name] = parse_address_field(raw_value, visible=visible, what=name)
        elif kind == _INT64:
            kwargs[name] = parse_int(raw_value, name)
        elif kind == _ENUM:
            kwargs[name] = parse_resource(raw_value)
        elif kind == _BOOL:
            kwargs[name] = _parse_bool(raw_value, name)
        else:
            kwargs[name] = _parse_votes(raw_value, visible=visible)
    result: ContractValue = cls(**kwargs)
    return result


def _parse_contract(entry: object, *, visible: bool) -> Contract | None:
    """One ``raw_data.contract`` entry; None when java-tron would silently drop it."""
    if not isinstance(entry, dict):
        return None
    type_name = entry.get("type")
    if not isinstance(type_name, str) or type_name not in CONTRACT_TYPE_BY_NAME:
        return None
    parameter = entry.get("parameter")
    if not isinstance(parameter, dict):
        return None
    type_number = CONTRACT_TYPE_BY_NAME[type_name]
    try:
        value = parse_contract_value(
            CONTRACT_TYPES[type_number][1], parameter.get("value"), visible=visible
        )
    except CodecError:
        return None
    # Outside parameter.value, malformed fields make the whole transaction unparseable.
    type_url = parameter.get("type_url")
    if type_url is None:
        type_url = ""
    elif not isinstance(type_url, str):
        raise CodecError("Expected string for type_url.")
    permission_id = entry.get("Permission_id")
    provider = entry.get("provider")
    contract_name = entry.get("ContractName")
    name_bytes = b""
    if contract_name is not None:
        if visible and isinstance(contract_name, str):
            name_bytes = contract_name.encode()
        else:
            name_bytes = parse_hex(contract_name, "ContractName")
    return Contract(
        type=type_number,
        value=value,
        type_url=type_url,
        permission_id=0
        if permission_id is None
        else parse_int(permission_id, "Permission_id", bits=32),
        provider=b"" if provider is None else parse_hex(provider, "provider"),
        contract_name=name_bytes,
    )


def _opt_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    return 0 if value is None else parse_int(value, key)


def _opt_hex(obj: Mapping[str, Any], key: str) -> bytes:
    value = obj.get(key)
    return b"" if value is None else parse_hex(value, key)


def parse_raw_data_json(raw_obj: object, *, visible: bool) -> RawData:
    """Parse the ``raw_data`` object of a transaction's JSON."""
    if not isinstance(raw_obj, dict):
        raise CodecError("null", NULL_POINTER)
    contract_list = raw_obj.get("contract")
    if not isinstance(contract_list, list):
        raise CodecError("null", NULL_POINTER)
    contracts = []
    for entry in contract_list:
        contract = _parse_contract(entry, visible=visible)
        if contract is not None:
            contracts.append(contract)
    return RawData(
        ref_block_bytes=_opt_hex(raw_obj, "ref_block_bytes"),
        ref_block_num=_opt_int(raw_obj, "ref_block_num"),
        ref_block_hash=_opt_hex(raw_obj, "ref_block_hash"),
        expiration=_opt_int(raw_obj, "expiration"),
        data=_opt_hex(raw_obj, "data"),
        contracts=tuple(contracts),
        timestamp=_opt_int(raw_obj, "timestamp"),
        fee_limit=_opt_int(raw_obj, "fee_limit"),
    )


def parse_transaction_json(obj: object, *, visible: bool) -> Transaction:
    """Parse a transaction as clients post it (``{"raw_data": …, "signature": [...]}``).

    The client's ``txID``, ``raw_data_hex``, ``permission`` and other unknown keys are ignored;
    the txid is recomputed from the re-encoded ``raw_data``.
    """
    if not isinstance(obj, dict):
        raise CodecError("Expected a JSON object.", JSON_EXCEPTION)
    raw = parse_raw_data_json(obj.get("raw_data"), visible=visible)
    signatures: list[bytes] = []
    raw_signatures = obj.get("signature")
    if raw_signatures is not None:
        if not isinstance(raw_signatures, list):
            raw_signatures = [raw_signatures]
        for item in raw_signatures:
            if item is not None:
                signatures.append(parse_hex(item, "signature"))
    return make_transaction(raw, signatures)


# --------------------------------------------------------------------------- objects → JSON


def render_address(raw: bytes, *, visible: bool) -> str:
    """An address field as java-tron prints it: base58check when visible, else hex."""
    return crypto.address_to_base58(raw) if visible else raw.hex()


def _render_enum(value: int) -> str | int:
    try:
        return ResourceCode(value).name
    except ValueError:
        return value


def contract_value_to_json(value: ContractValue, *, visible: bool) -> dict[str, Any]:
    """JsonFormat of one contract message: field-number order, defaults omitted."""
    out: dict[str, Any] = {}
    for name, kind in _PROTO_FIELDS[type(value)].values():
        field_value = getattr(value, name)
        if not field_value:
            continue
        if kind == _ADDR:
            out[name] = render_address(field_value, visible=visible)
        elif kind == _INT64:
            out[name] = field_value
        elif kind == _ENUM:
            out[name] = _render_enum(field_value)
        elif kind == _BOOL:
            out[name] = True
        else:
            votes = []
            for vote in field_value:
                entry: dict[str, Any] = {}
                if vote.vote_address:
                    entry["vote_address"] = render_address(vote.vote_address, visible=visible)
                if vote.vote_count:
                    entry["vote_count"] = vote.vote_count
                votes.append(entry)
            out[name] = votes
    return out


def _render_text(data: bytes, *, visible: bool) -> str:
    if visible:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.hex()


def contract_to_json(contract: Contract, *, visible: bool) -> dict[str, Any] | None:
    """One ``raw_data.contract`` entry (None when its value is unknown: java-tron skips it)."""
    if contract.value is None:
        return None
    out: dict[str, Any] = {
        "parameter": {
            "value": contract_value_to_json(contract.value, visible=visible),
            "type_url": contract.type_url,
        },
        "type": contract.type_name,
    }
    if contract.provider:
        out["provider"] = contract.provider.hex()
    if contract.contract_name:
        out["ContractName"] = _render_text(contract.contract_name, visible=visible)
    if contract.permission_id > 0:
        out["Permission_id"] = contract.permission_id
    return out


def raw_data_to_json(raw: RawData, *, visible: bool) -> dict[str, Any]:
    contracts = []
    for contract in raw.contracts:
        entry = contract_to_json(contract, visible=visible)
        if entry is not None:
            contracts.append(entry)
    out: dict[str, Any] = {"contract": contracts}
    if raw.ref_block_bytes:
        out["ref_block_bytes"] = raw.ref_block_bytes.hex()
    if raw.ref_block_num:
        out["ref_block_num"] = raw.ref_block_num
    if raw.ref_block_hash:
        out["ref_block_hash"] = raw.ref_block_hash.hex()
    if raw.expiration:
        out["expiration"] = raw.expiration
    if raw.data:
        out["data"] = raw.data.hex()
    if raw.fee_limit:
        out["fee_limit"] = raw.fee_limit
    if raw.timestamp:
        out["timestamp"] = raw.timestamp
    return out


def transaction_to_json(tx: Transaction, *, visible: bool, ret: bool = False) -> dict[str, Any]:
    """java-tron's ``Util.printTransactionToJSON``.

    ``ret=True`` adds ``"ret": [{"contractRet": "SUCCESS"}]`` (a transaction in a block).
    """
    out: dict[str, Any] = {}
    if ret:
        out["ret"] = [{"contractRet": "SUCCESS"}]
    if tx.signatures:
        out["signature"] = [signature.hex() for signature in tx.signatures]
    out["txID"] = tx.txid.hex()
    out["raw_data"] = raw_data_to_json(tx.raw, visible=visible)
    out["raw_data_hex"] = tx.raw_bytes.hex()
    return out


def transaction_to_plain_json(tx: Transaction, *, visible: bool) -> dict[str, Any]:
    """Plain ``JsonFormat`` of a ``Transaction`` (``parameter`` as ``{type_url, value-hex}``),
    as ``wallet/broadcasthex`` prints it."""
    raw = raw_data_to_json(tx.raw, visible=visible)
    contracts = []
    for contract in tx.raw.contracts:
        entry: dict[str, Any] = {}
        if contract.type:
            entry["type"] = contract.type_name
        value_hex = "" if contract.value is None else encode_contract_value(contract.value).hex()
        parameter: dict[str, Any] = {}
        if contract.type_url:
            parameter["type_url"] = contract.type_url
        if value_hex:
            parameter["value"] = value_hex
        entry["parameter"] = parameter
        if contract.permission_id:
            entry["Permission_id"] = contract.permission_id
        contracts.append(entry)
    raw["contract"] = contracts
    out: dict[str, Any] = {"raw_data": raw}
    if tx.signatures:
        out["signature"] = [signature.hex() for signature in tx.signatures]
    return out


def new_contract(value: ContractValue, *, permission_id: int = 0) -> Contract:
    """A node-built contract: type from the value's class, ``type_url`` as java-tron packs it."""
    type_number = CONTRACT_TYPE_BY_CLASS[type(value)]
    type_name = CONTRACT_TYPES[type_number][0]
    return Contract(
        type=type_number,
        value=value,
        type_url=f"type.googleapis.com/protocol.{type_name}",
        permission_id=permission_id,
    )


def block_to_json(block: Block, *, visible: bool) -> dict[str, Any]:
    """java-tron's ``Util.printBlockToJSON`` (``getnowblock``, ``getblockbynum``, …)."""
    header_raw: dict[str, Any] = {}
    if block.number:
        header_raw["number"] = block.number
    if block.tx_trie_root:
        header_raw["txTrieRoot"] = block.tx_trie_root.hex()
    if block.witness_address:
        header_raw["witness_address"] = render_address(block.witness_address, visible=visible)
    if block.parent_id:
        header_raw["parentHash"] = block.parent_id.hex()
    header_raw["version"] = params.BLOCK_VERSION
    if block.timestamp:
        header_raw["timestamp"] = block.timestamp
    header: dict[str, Any] = {"raw_data": header_raw}
    if block.witness_signature:
        header["witness_signature"] = block.witness_signature.hex()
    out: dict[str, Any] = {"blockID": block.block_id.hex(), "block_header": header}
    if block.transactions:
        out["transactions"] = [
            transaction_to_json(tx, visible=visible, ret=True) for tx in block.transactions
        ]
    return out
