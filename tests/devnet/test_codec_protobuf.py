"""An independent check of the devnet's txids: its bytes against the protobuf library's.

The devnet's codec encodes and decodes from one field table, so a wrong field number or a
varint slip would agree with itself and change every txid unnoticed. Here the reference is a
schema written apart from the codec (tests/devnet/proto/tron_transaction.proto), compiled at
test time with grpcio-tools' ``protoc`` and serialized by the protobuf runtime.

For every contract type the devnet executes, hypothesis draws field values (zero and
non-zero, around every varint boundary, lengths around the length-prefix boundaries, hex or
base58 addresses, ``fee_limit``, ``data``, ``Permission_id``, reference block, expiration,
timestamp, ``lock``/``lock_period``), builds the JSON a client posts, and requires the
devnet's ``raw_data`` bytes, txid and signed size to equal the library's serialization and
its sha256; the library's signed bytes must also decode in the devnet to the same
transaction. One HTTP test broadcasts library-built transactions and reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tronpy.keys import PrivateKey

from tests.support.devnet import Devnet
from tests.support.proto import compile_schema
from tron_devnet import codec

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

# Each varint boundary 2^7k (k = 1..9) and its neighbours, the int64 extremes, and negatives
# (which a varint writes as ten bytes).
VARINT_EDGES = sorted(
    {
        value
        for k in range(7, 64, 7)
        for value in ((1 << k) - 1, 1 << k, (1 << k) + 1, -(1 << k), -(1 << k) - 1)
        if INT64_MIN <= value <= INT64_MAX
    }
    | {0, 1, -1, INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1}
)
INT32_EDGES = [v for v in VARINT_EDGES if INT32_MIN <= v <= INT32_MAX] + [INT32_MIN, INT32_MAX]
# Lengths where a length prefix grows from one varint byte to two, and from two to three.
LENGTH_EDGES = [127, 128, 129, 16383, 16384, 16385]

# 9 contract types x 250 = 2,250 examples per run of the property (each example holds one
# or two contracts), within the suite's time budget on a shared 2-core machine.
EXAMPLES_PER_TYPE = 250

CONTRACT_TYPES = [
    "TransferContract",
    "VoteWitnessContract",
    "WithdrawBalanceContract",
    "FreezeBalanceV2Contract",
    "UnfreezeBalanceV2Contract",
    "WithdrawExpireUnfreezeContract",
    "DelegateResourceContract",
    "UnDelegateResourceContract",
    "CancelAllUnfreezeV2Contract",
]
RESOURCES = {"BANDWIDTH": 0, "ENERGY": 1, "TRON_POWER": 2}


@pytest.fixture(scope="session")
def pb(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The compiled schema module (compiled once per session: a descriptor pool holds a file
    once)."""
    return compile_schema(tmp_path_factory.mktemp("txidcheck"), "txidcheck_pb2")


# --------------------------------------------------------------------------- strategies
# Strategies are built once here: the draws below only pick among them.

INT64S = st.one_of(st.sampled_from(VARINT_EDGES), st.integers(INT64_MIN, INT64_MAX))
VOTE_COUNTS = st.one_of(
    st.sampled_from(VARINT_EDGES), st.integers(0, 10**15), st.integers(INT64_MIN, INT64_MAX)
)
INT32S = st.one_of(st.sampled_from(INT32_EDGES), st.integers(INT32_MIN, INT32_MAX))
BOOLEANS = st.booleans()
ADDRESS_BODIES = st.binary(min_size=20, max_size=20)
ANY_BYTES = st.binary(max_size=40)
SHORT_BYTES = st.binary(max_size=10)
SIGNATURES = st.lists(st.binary(min_size=65, max_size=65), max_size=2)
TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
# How a client spells a value (chosen with one seeded Random per example, which is much cheaper
# than a draw per choice): a default may be left out, sent as null, or written out; hex may
# carry "0x", be upper case, or drop a leading "0" (java-tron left-pads odd lengths).
SPELLERS = st.randoms(use_true_random=False)
DEFAULT_SPELLINGS = ("omit", "null", "write")
HEX_SPELLINGS = ("plain", "0x", "upper", "odd")
ADDRESS_KINDS = st.sampled_from(("empty", "address", "bytes"))
RESOURCE_LABELS = st.sampled_from(sorted(RESOURCES))
VOTE_LISTS = st.integers(0, 8)
# A second contract in about one example of four (one_of picks its branches evenly).
EXTRA_CONTRACTS = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(CONTRACT_TYPES))


def _repeat_to(length: int, pattern: bytes) -> bytes:
    return (pattern * (length // len(pattern) + 1))[:length]


BLOBS = st.one_of(
    ANY_BYTES,
    st.builds(_repeat_to, st.sampled_from(LENGTH_EDGES), st.binary(min_size=1, max_size=8)),
)


@dataclass
class Case:
    """A drawn transaction: the JSON a client posts and the library message it must equal."""

    json_obj: dict[str, Any]
    message: Any
    visible: bool


class Draw:
    """Draws field values and fills one protobuf message and its client JSON with them."""

    def __init__(self, draw: st.DrawFn, spell: random.Random, message: Any, visible: bool) -> None:
        self.draw = draw
        self.spell = spell
        self.message = message
        self.visible = visible
        self.json: dict[str, Any] = {}

    def nested(self, message: Any) -> Draw:
        """A ``Draw`` for a message inside this one (same draws, spelling and visibility)."""
        return Draw(self.draw, self.spell, message, self.visible)

    def put(self, key: str, value: Any, json_value: Any, *, is_default: bool) -> None:
        """Set the message field and write the JSON key as a client may."""
        setattr(self.message, key, value)
        if is_default:
            spelling = self.spell.choice(DEFAULT_SPELLINGS)
            if spelling == "omit":
                return
            if spelling == "null":
                json_value = None
        self.json[key] = json_value

    def hex_text(self, data: bytes) -> str:
        text = data.hex()
        spelling = self.spell.choice(HEX_SPELLINGS)
        if spelling == "0x":
            return "0x" + text
        if spelling == "upper":
            return text.upper()
        if spelling == "odd" and text.startswith("0"):
            return text[1:]
        return text

    def int64(self, name: str, strategy: st.SearchStrategy[int] = INT64S) -> None:
        value = self.draw(strategy)
        self.put(name, value, value, is_default=value == 0)

    def int32(self, name: str) -> None:
        value = self.draw(INT32S)
        self.put(name, value, value, is_default=value == 0)

    def bytes_(self, name: str, strategy: st.SearchStrategy[bytes] = SHORT_BYTES) -> None:
        value = self.draw(strategy)
        self.put(name, value, self.hex_text(value), is_default=not value)

    def address(self, name: str) -> None:
        """A 21-byte 0x41 address in base58check when visible (or left out); when not
        visible, hex of an address, of nothing or of any bytes (the codec encodes what it is
        given; validation comes later)."""
        kind = self.draw(ADDRESS_KINDS)
        if kind == "empty":
            value = b""
        elif kind == "address" or self.visible:
            value = b"\x41" + self.draw(ADDRESS_BODIES)
        else:
            value = self.draw(ANY_BYTES)
        if self.visible:
            setattr(self.message, name, value)
            if value:
                self.json[name] = base58.b58encode_check(value).decode()
            return
        self.put(name, value, self.hex_text(value), is_default=not value)

    def resource(self, name: str) -> None:
        label = self.draw(RESOURCE_LABELS)
        number = RESOURCES[label]
        json_value = label if self.spell.random() < 0.5 else number
        self.put(name, number, json_value, is_default=number == 0)

    def boolean(self, name: str) -> None:
        value = self.draw(BOOLEANS)
        self.put(name, value, value, is_default=not value)

    def text_or_hex(self, name: str) -> None:
        """``ContractName``: UTF-8 text when visible, hex otherwise."""
        if self.visible:
            text = self.draw(TEXT)
            self.put(name, text.encode(), text, is_default=not text)
        else:
            self.bytes_(name)


def _votes(fill: Draw) -> None:
    entries: list[dict[str, Any]] = []
    for _ in range(fill.draw(VOTE_LISTS)):
        inner = fill.nested(fill.message.votes.add())
        inner.address("vote_address")
        inner.int64("vote_count", VOTE_COUNTS)
        entries.append(inner.json)
    if entries or fill.spell.random() < 0.5:
        fill.json["votes"] = entries


def contract_value(raw: Draw, pb: ModuleType, type_name: str) -> Draw:
    """The ``parameter.value`` of one contract: its library message and its JSON."""
    fill = raw.nested(getattr(pb, type_name)())
    fill.address("owner_address")
    if type_name == "TransferContract":
        fill.address("to_address")
        fill.int64("amount")
    elif type_name == "VoteWitnessContract":
        _votes(fill)
        fill.boolean("support")
    elif type_name == "FreezeBalanceV2Contract":
        fill.int64("frozen_balance")
        fill.resource("resource")
    elif type_name == "UnfreezeBalanceV2Contract":
        fill.int64("unfreeze_balance")
        fill.resource("resource")
    elif type_name in ("DelegateResourceContract", "UnDelegateResourceContract"):
        fill.resource("resource")
        fill.int64("balance")
        fill.address("receiver_address")
        if type_name == "DelegateResourceContract":
            fill.boolean("lock")
            fill.int64("lock_period")
    return fill


def _contract(raw: Draw, pb: ModuleType, type_name: str) -> Any:
    """Append one ``Transaction.Contract`` to ``raw``'s message; return its JSON entry."""
    value = contract_value(raw, pb, type_name)
    contract = raw.message.contract.add(type=getattr(pb.Transaction.Contract, type_name))
    contract.parameter.SetInParent()
    parameter = raw.nested(contract.parameter)
    parameter.json["value"] = value.json
    contract.parameter.value = value.message.SerializeToString()
    if raw.draw(BOOLEANS):
        type_url = f"type.googleapis.com/protocol.{type_name}"
        parameter.put("type_url", type_url, type_url, is_default=False)
    else:
        type_url = raw.draw(TEXT)
        parameter.put("type_url", type_url, type_url, is_default=not type_url)
    entry = raw.nested(contract)
    entry.json["type"] = type_name
    entry.json["parameter"] = parameter.json
    entry.int32("Permission_id")
    entry.bytes_("provider")
    entry.text_or_hex("ContractName")
    return entry.json


@st.composite
def transactions(draw: st.DrawFn, pb: ModuleType, type_name: str) -> Case:
    """A transaction whose first contract is a ``type_name``, sometimes followed by a second
    contract of any type (the wire format repeats ``contract``)."""
    visible = draw(BOOLEANS)
    raw = Draw(draw, draw(SPELLERS), pb.Transaction.raw(), visible)
    contracts = [type_name]
    extra = draw(EXTRA_CONTRACTS)
    if extra is not None:
        contracts.append(extra)
    raw.json["contract"] = [_contract(raw, pb, name) for name in contracts]
    raw.bytes_("ref_block_bytes")
    raw.int64("ref_block_num")
    raw.bytes_("ref_block_hash")
    raw.int64("expiration")
    raw.bytes_("data", BLOBS)
    raw.int64("timestamp")
    raw.int64("fee_limit")
    signatures = draw(SIGNATURES)
    message = pb.Transaction(raw_data=raw.message, signature=signatures)
    json_obj: dict[str, Any] = {
        "raw_data": raw.json,
        "signature": [signature.hex() for signature in signatures],
        # Keys a client may send that the node ignores: its own txid and visible flag.
        "txID": "00" * 32,
        "visible": visible,
    }
    return Case(json.loads(json.dumps(json_obj)), message, visible)


# --------------------------------------------------------------------------- the property

PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES_PER_TYPE,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("type_name", CONTRACT_TYPES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_devnet_bytes_and_txid_equal_the_protobuf_library(
    pb: ModuleType, type_name: str, data: st.DataObject
) -> None:
    case = data.draw(transactions(pb, type_name))
    expected_raw: bytes = case.message.raw_data.SerializeToString()
    expected_signed: bytes = case.message.SerializeToString()

    tx = codec.parse_transaction_json(case.json_obj, visible=case.visible)

    assert tx.raw_bytes.hex() == expected_raw.hex()
    assert tx.txid == hashlib.sha256(expected_raw).digest()
    assert tx.signed_size == len(expected_signed)
    # The library's signed bytes read back by the devnet (wallet/broadcasthex) are the same
    # transaction, and re-encoding what it read gives the library's bytes again.
    decoded = codec.decode_transaction_bytes(expected_signed)
    assert decoded.txid == tx.txid
    assert decoded.raw == tx.raw
    assert decoded.signatures == tuple(case.message.signature)
    assert codec.make_transaction(decoded.raw).raw_bytes == expected_raw


def test_schema_reads_the_reference_vector(pb: ModuleType) -> None:
    """The schema itself is right: it parses and re-serializes a Nile transaction (reference
    §10 E6) byte for byte, with the values java-tron printed."""
    raw_hex = (
        "0a02283b220851bf0b88daaaea3740b8a9d8c0dd335a5b083612570a34747970652e676f6f676c656170"
        "69732e636f6d2f70726f746f636f6c2e467265657a6542616c616e63655632436f6e7472616374121f0a"
        "1541dd791d6b49e190062d650e6a23c575510d35f2f9108094ebdc03180170d8e7d4c0dd33"
    )
    raw = pb.Transaction.raw.FromString(bytes.fromhex(raw_hex))
    assert raw.SerializeToString().hex() == raw_hex
    assert raw.expiration == 1777446819000
    assert raw.timestamp == 1777446761432
    (contract,) = raw.contract
    assert contract.type == pb.Transaction.Contract.FreezeBalanceV2Contract
    freeze = pb.FreezeBalanceV2Contract.FromString(contract.parameter.value)
    assert freeze.frozen_balance == 1_000_000_000
    assert freeze.resource == pb.ENERGY
    assert hashlib.sha256(bytes.fromhex(raw_hex)).hexdigest() == (
        "081256264131fbc9f3d4686aab15ae69c0e77b39d276367c11a7ab13e39747ec"
    )


# --------------------------------------------------------------------------- over HTTP


async def _signed_transfer(
    devnet: Devnet, pb: ModuleType, amount_sun: int, memo: bytes, fee_limit: int
) -> Any:
    """A transfer from the first genesis account to the second, built with the library on
    the devnet's head block (TaPoS) and signed with tronpy's key."""
    head = await devnet.post("wallet/getnowblock")
    block_id = bytes.fromhex(head["blockID"])
    head_time_ms = int(head["block_header"]["raw_data"]["timestamp"])
    sender, receiver = devnet.accounts[0], devnet.accounts[1]
    transfer = pb.TransferContract(
        owner_address=sender.raw_address, to_address=receiver.raw_address, amount=amount_sun
    )
    raw = pb.Transaction.raw(
        ref_block_bytes=block_id[6:8],
        ref_block_hash=block_id[8:16],
        expiration=head_time_ms + 60_000,
        timestamp=head_time_ms,
        data=memo,
        fee_limit=fee_limit,
    )
    contract = raw.contract.add(type=pb.Transaction.Contract.TransferContract)
    contract.parameter.type_url = "type.googleapis.com/protocol.TransferContract"
    contract.parameter.value = transfer.SerializeToString()
    txid = hashlib.sha256(raw.SerializeToString()).digest()
    signature = PrivateKey(bytes.fromhex(sender.private_key)).sign_msg_hash(txid)
    return pb.Transaction(raw_data=raw, signature=[signature.to_bytes()])


@pytest.mark.integration
@pytest.mark.anyio
async def test_http_broadcast_keeps_the_library_bytes_and_txid(
    devnet: Devnet, pb: ModuleType
) -> None:
    # JSON broadcast (wallet/broadcasttransaction), values past several varint boundaries.
    as_json = await _signed_transfer(devnet, pb, (1 << 21) + 1, b"\x80" * 130, (1 << 28) - 1)
    raw = as_json.raw_data
    value = pb.TransferContract.FromString(raw.contract[0].parameter.value)
    body = {
        "raw_data": {
            "contract": [
                {
                    "parameter": {
                        "value": {
                            "owner_address": value.owner_address.hex(),
                            "to_address": value.to_address.hex(),
                            "amount": value.amount,
                        },
                        "type_url": raw.contract[0].parameter.type_url,
                    },
                    "type": "TransferContract",
                }
            ],
            "ref_block_bytes": raw.ref_block_bytes.hex(),
            "ref_block_hash": raw.ref_block_hash.hex(),
            "expiration": raw.expiration,
            "timestamp": raw.timestamp,
            "data": raw.data.hex(),
            "fee_limit": raw.fee_limit,
        },
        "signature": [as_json.signature[0].hex()],
    }
    # Protobuf broadcast (wallet/broadcasthex) of a second transfer.
    as_hex = await _signed_transfer(devnet, pb, 1 << 35, b"", 0)
    sent = await devnet.post("wallet/broadcasttransaction", body)
    sent_hex = await devnet.post(
        "wallet/broadcasthex", {"transaction": as_hex.SerializeToString().hex()}
    )
    await devnet.mine(1)

    for message, reply in ((as_json, sent), (as_hex, sent_hex)):
        raw_bytes = message.raw_data.SerializeToString()
        txid = hashlib.sha256(raw_bytes).hexdigest()
        assert reply["result"] is True, reply
        assert reply["txid"] == txid
        stored = await devnet.post("wallet/gettransactionbyid", {"value": txid})
        assert stored["txID"] == txid
        assert stored["raw_data_hex"] == raw_bytes.hex()
        assert stored["signature"] == [message.signature[0].hex()]
        info = await devnet.post("wallet/gettransactioninfobyid", {"value": txid})
        assert info["id"] == txid
        assert info["blockNumber"] == 1
