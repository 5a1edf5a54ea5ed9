"""The devnet's protobuf/JSON codec: reference vectors, round trips and java-tron parse rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tron_devnet import codec, crypto
from tron_devnet.codec import CodecError
from tron_devnet.types import (
    Block,
    CancelAllUnfreezeV2Contract,
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    RawData,
    ResourceCode,
    TransferContract,
    UnDelegateResourceContract,
    UnfreezeBalanceV2Contract,
    Vote,
    VoteWitnessContract,
    WithdrawBalanceContract,
    WithdrawExpireUnfreezeContract,
)

OWNER_HEX = "41dd791d6b49e190062d650e6a23c575510d35f2f9"

# Reference §10 E6: Nile wallet/freezebalancev2 build response.
E6_RAW: dict[str, Any] = {
    "contract": [
        {
            "parameter": {
                "value": {
                    "owner_address": OWNER_HEX,
                    "frozen_balance": 1000000000,
                    "resource": "ENERGY",
                },
                "type_url": "type.googleapis.com/protocol.FreezeBalanceV2Contract",
            },
            "type": "FreezeBalanceV2Contract",
        }
    ],
    "ref_block_bytes": "283b",
    "ref_block_hash": "51bf0b88daaaea37",
    "expiration": 1777446819000,
    "timestamp": 1777446761432,
}
E6_TXID = "081256264131fbc9f3d4686aab15ae69c0e77b39d276367c11a7ab13e39747ec"
E6_RAW_HEX = (
    "0a02283b220851bf0b88daaaea3740b8a9d8c0dd335a5b083612570a34747970652e676f6f676c65617069732e"
    "636f6d2f70726f746f636f6c2e467265657a6542616c616e63655632436f6e7472616374121f0a1541dd791d6b"
    "49e190062d650e6a23c575510d35f2f9108094ebdc03180170d8e7d4c0dd33"
)

# Reference §10 E16: tronpy's offline Transfer vector.
E16_RAW: dict[str, Any] = {
    "contract": [
        {
            "parameter": {
                "value": {
                    "owner_address": "41b317e8c4d4405459663d5f55b0bbb5ef3b4aa76d",
                    "to_address": "419ce29546a328107df7b685ed3183fa8ae70a46a7",
                    "amount": 1000000,
                },
                "type_url": "type.googleapis.com/protocol.TransferContract",
            },
            "type": "TransferContract",
        }
    ],
    "timestamp": 1751466432131,
    "expiration": 1751466492131,
    "ref_block_bytes": "6431",
    "ref_block_hash": "212a13dbe72ac5c0",
}
E16_TXID = "365366f9dd5e39ecc85a524c7c43757f3abdf5433d3b80e5b6645a3dbd19dfe7"

ADDRESS_A = crypto.private_key_to_address(crypto.derive_private_key("codec", 0))
ADDRESS_B = crypto.private_key_to_address(crypto.derive_private_key("codec", 1))


def _to_base58(raw: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    for contract in out["contract"]:
        value = contract["parameter"]["value"]
        for key in ("owner_address", "to_address", "receiver_address"):
            if key in value:
                value[key] = crypto.address_to_base58(bytes.fromhex(value[key]))
        for vote in value.get("votes", []):
            vote["vote_address"] = crypto.address_to_base58(bytes.fromhex(vote["vote_address"]))
    return out


def test_e6_freeze_balance_v2_txid() -> None:
    tx = codec.parse_transaction_json({"raw_data": E6_RAW}, visible=False)
    assert tx.raw_bytes.hex() == E6_RAW_HEX
    assert tx.txid.hex() == E6_TXID


def test_e16_transfer_txid() -> None:
    tx = codec.parse_transaction_json({"raw_data": E16_RAW}, visible=False)
    assert tx.txid.hex() == E16_TXID
    assert tx.raw_bytes.hex().startswith("0a0264312208212a13dbe72ac5c040e381a7dcfc325a67")
    assert tx.raw_bytes.hex().endswith("7083ada3dcfc32")


@pytest.mark.parametrize("raw", [E6_RAW, E16_RAW], ids=["E6", "E16"])
def test_base58_input_with_visible_gives_same_txid(raw: dict[str, Any]) -> None:
    hex_tx = codec.parse_transaction_json({"raw_data": raw}, visible=False)
    b58_tx = codec.parse_transaction_json({"raw_data": _to_base58(raw)}, visible=True)
    assert b58_tx.txid == hex_tx.txid
    assert b58_tx.raw_bytes == hex_tx.raw_bytes


def test_json_round_trip_hex_and_visible() -> None:
    tx = codec.parse_transaction_json({"raw_data": E6_RAW, "signature": ["ab" * 65]}, visible=False)
    for visible in (False, True):
        rendered = codec.transaction_to_json(tx, visible=visible)
        assert rendered["txID"] == E6_TXID
        assert rendered["raw_data_hex"] == E6_RAW_HEX
        assert rendered["signature"] == ["ab" * 65]
        again = codec.parse_transaction_json(rendered, visible=visible)
        assert again == tx
    shown = codec.transaction_to_json(tx, visible=True)["raw_data"]["contract"][0]
    assert shown["parameter"]["value"]["owner_address"] == crypto.address_to_base58(
        bytes.fromhex(OWNER_HEX)
    )
    assert shown["type"] == "FreezeBalanceV2Contract"


def test_transaction_json_shape_with_ret() -> None:
    tx = codec.parse_transaction_json({"raw_data": E16_RAW}, visible=False)
    rendered = codec.transaction_to_json(tx, visible=False, ret=True)
    assert list(rendered) == ["ret", "txID", "raw_data", "raw_data_hex"]
    assert rendered["ret"] == [{"contractRet": "SUCCESS"}]
    raw = rendered["raw_data"]
    assert raw["ref_block_bytes"] == "6431"
    assert raw["expiration"] == 1751466492131
    assert raw["contract"][0]["parameter"]["value"]["amount"] == 1000000


def test_protobuf_bytes_round_trip() -> None:
    tx = codec.parse_transaction_json(
        {"raw_data": E6_RAW, "signature": ["11" * 65, "22" * 65]}, visible=False
    )
    data = codec.encode_signed_transaction(tx)
    decoded = codec.decode_transaction_bytes(data)
    assert decoded == tx
    assert decoded.signed_size == len(data)


def test_decode_preserves_unknown_contract_bytes() -> None:
    # A TriggerSmartContract (type 31) the devnet cannot execute: the txid still covers it.
    any_value = b"\x0a\x03abc"
    contract = b"\x08\x1f\x12" + bytes([len(any_value) + 2]) + b"\x12" + bytes([len(any_value)])
    contract += any_value
    raw = b"\x0a\x02\x00\x01\x5a" + bytes([len(contract)]) + contract
    data = b"\x0a" + bytes([len(raw)]) + raw
    tx = codec.decode_transaction_bytes(data)
    assert tx.raw_bytes == raw
    assert tx.txid == crypto.sha256(raw)
    assert tx.raw.contracts[0].type == 31
    assert tx.raw.contracts[0].value is None


@pytest.mark.parametrize(
    ("value", "raw_size", "net_bytes"),
    [
        (FreezeBalanceV2Contract(ADDRESS_A, 1_000_000_000, ResourceCode.ENERGY), 121, 254),
        (FreezeBalanceV2Contract(ADDRESS_A, 1_000_000_000, ResourceCode.BANDWIDTH), 119, 252),
        (UnfreezeBalanceV2Contract(ADDRESS_A, 1_000_000_000, ResourceCode.ENERGY), 123, 256),
        (WithdrawExpireUnfreezeContract(ADDRESS_A), 120, 253),
        (CancelAllUnfreezeV2Contract(ADDRESS_A), 117, 250),
        (
            DelegateResourceContract(ADDRESS_A, ResourceCode.ENERGY, 1_000_000_000, ADDRESS_B),
            145,
            279,
        ),
        (
            DelegateResourceContract(
                ADDRESS_A, ResourceCode.ENERGY, 1_000_000_000, ADDRESS_B, True, 864000
            ),
            151,
            285,
        ),
        (
            UnDelegateResourceContract(ADDRESS_A, ResourceCode.ENERGY, 1_000_000_000, ADDRESS_B),
            147,
            281,
        ),
        (VoteWitnessContract(ADDRESS_A, (Vote(ADDRESS_B, 1000),)), 137, 271),
        (WithdrawBalanceContract(ADDRESS_A), 113, 246),
        (TransferContract(ADDRESS_A, ADDRESS_B, 1_000_000), 133, 267),
    ],
)
def test_sizes_match_reference_table(value: Any, raw_size: int, net_bytes: int) -> None:
    """Reference §9.1: tronpy-style txs (6-byte ms timestamps, one 65-byte signature)."""
    raw = RawData(
        ref_block_bytes=b"\x28\x3b",
        ref_block_hash=bytes(8),
        expiration=1777446819000,
        contracts=(codec.new_contract(value),),
        timestamp=1777446761432,
    )
    tx = codec.make_transaction(raw, [bytes(65)])
    assert len(tx.raw_bytes) == raw_size
    assert tx.signed_size + 64 == net_bytes


def test_unparseable_contract_value_is_dropped() -> None:
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["owner_address"] = "zz"
    tx = codec.parse_transaction_json({"raw_data": raw}, visible=False)
    assert tx.raw.contracts == ()
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["resource"] = 7  # no such ResourceCode
    assert codec.parse_transaction_json({"raw_data": raw}, visible=False).raw.contracts == ()
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["type"] = "TriggerSmartContract"
    assert codec.parse_transaction_json({"raw_data": raw}, visible=False).raw.contracts == ()
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["owner_address"] = OWNER_HEX  # hex with visible
    assert codec.parse_transaction_json({"raw_data": raw}, visible=True).raw.contracts == ()


def test_unknown_keys_and_nulls_are_skipped() -> None:
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["extra"] = {"nested": [1, 2]}
    raw["contract"][0]["parameter"]["value"]["lock"] = None
    raw["whatever"] = None
    body: dict[str, Any] = {
        "raw_data": raw,
        "txID": "",
        "signature": [],
        "permission": None,
        "visible": False,
    }
    assert codec.parse_transaction_json(body, visible=False).txid.hex() == E6_TXID


def test_enums_by_number_and_permission_id() -> None:
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["resource"] = 1
    assert codec.parse_transaction_json({"raw_data": raw}, visible=False).txid.hex() == E6_TXID
    raw["contract"][0]["Permission_id"] = 2
    tx = codec.parse_transaction_json({"raw_data": raw}, visible=False)
    assert tx.raw.contracts[0].permission_id == 2
    assert tx.txid.hex() != E6_TXID
    rendered = codec.transaction_to_json(tx, visible=False)
    assert rendered["raw_data"]["contract"][0]["Permission_id"] == 2
    assert codec.parse_transaction_json(rendered, visible=False).txid == tx.txid


def test_type_url_is_reencoded_as_given() -> None:
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["type_url"] = "x/y"
    tx = codec.parse_transaction_json({"raw_data": raw}, visible=False)
    assert tx.raw.contracts[0].type_url == "x/y"
    assert b"x/y" in tx.raw_bytes
    del raw["contract"][0]["parameter"]["type_url"]
    assert (
        codec.parse_transaction_json({"raw_data": raw}, visible=False).raw.contracts[0].type_url
        == ""
    )


def test_negative_amounts_encode_as_ten_byte_varints() -> None:
    raw = copy.deepcopy(E6_RAW)
    raw["contract"][0]["parameter"]["value"]["frozen_balance"] = -1
    tx = codec.parse_transaction_json({"raw_data": raw}, visible=False)
    value = tx.raw.contracts[0].value
    assert isinstance(value, FreezeBalanceV2Contract)
    assert value.frozen_balance == -1
    assert b"\x10" + b"\xff" * 9 + b"\x01" in tx.raw_bytes
    assert codec.decode_transaction_bytes(codec.encode_signed_transaction(tx)) == tx


def test_hex_parsing_follows_java_rules() -> None:
    assert codec.parse_hex("0x0a") == b"\x0a"
    assert codec.parse_hex("abc") == b"\x0a\xbc"
    with pytest.raises(CodecError):
        codec.parse_hex("xyz")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"raw_data": None},
        {"raw_data": {"expiration": 1}},
        {"raw_data": {**E6_RAW, "ref_block_hash": "nothex"}},
        {"raw_data": {**E6_RAW, "expiration": "soon"}},
        {"raw_data": E6_RAW, "signature": ["zz"]},
        [1, 2],
    ],
)
def test_malformed_transactions_raise_codec_error(body: Any) -> None:
    with pytest.raises(CodecError) as info:
        codec.parse_transaction_json(body, visible=False)
    assert info.value.error_text().startswith("class ")


def test_empty_contract_list_parses() -> None:
    tx = codec.parse_transaction_json({"raw_data": {**E6_RAW, "contract": []}}, visible=False)
    assert tx.raw.contracts == ()


def test_block_json_shape() -> None:
    tx = codec.parse_transaction_json(
        {"raw_data": E16_RAW, "signature": ["00" * 65]}, visible=False
    )
    block = Block(
        number=5,
        block_id=(5).to_bytes(8, "big") + bytes(range(24)),
        parent_id=(4).to_bytes(8, "big") + bytes(24),
        timestamp=1_700_000_000_000,
        witness_address=ADDRESS_A,
        transactions=(tx,),
        tx_trie_root=tx.txid,
    )
    hex_json = codec.block_to_json(block, visible=False)
    assert hex_json["blockID"] == block.block_id.hex()
    header = hex_json["block_header"]["raw_data"]
    assert list(header) == [
        "number",
        "txTrieRoot",
        "witness_address",
        "parentHash",
        "version",
        "timestamp",
    ]
    assert header["witness_address"] == ADDRESS_A.hex()
    assert hex_json["transactions"][0]["ret"] == [{"contractRet": "SUCCESS"}]
    visible_json = codec.block_to_json(block, visible=True)
    assert visible_json["block_header"]["raw_data"]["witness_address"] == (
        crypto.address_to_base58(ADDRESS_A)
    )
    empty = Block(0, bytes(32), bytes(32), 0, b"")
    assert "transactions" not in codec.block_to_json(empty, visible=False)


def test_tronpy_offline_txid_matches() -> None:
    from tronpy import proto  # needs the protobuf package (dev extra)

    raw = copy.deepcopy(E16_RAW)
    raw["timestamp"] += 7
    assert proto.calculate_txid_from_raw_data(raw) == (
        codec.parse_transaction_json({"raw_data": raw}, visible=False).txid.hex()
    )


_addresses = st.binary(min_size=20, max_size=20).map(lambda b: b"\x41" + b)
_int64 = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
_resource = st.sampled_from(list(ResourceCode))
_values = st.one_of(
    st.builds(TransferContract, _addresses, _addresses, _int64),
    st.builds(FreezeBalanceV2Contract, _addresses, _int64, _resource),
    st.builds(UnfreezeBalanceV2Contract, _addresses, _int64, _resource),
    st.builds(WithdrawExpireUnfreezeContract, _addresses),
    st.builds(CancelAllUnfreezeV2Contract, _addresses),
    st.builds(WithdrawBalanceContract, _addresses),
    st.builds(
        DelegateResourceContract, _addresses, _resource, _int64, _addresses, st.booleans(), _int64
    ),
    st.builds(UnDelegateResourceContract, _addresses, _resource, _int64, _addresses),
    st.builds(
        VoteWitnessContract,
        _addresses,
        st.lists(st.builds(Vote, _addresses, _int64), max_size=4).map(tuple),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    value=_values,
    expiration=st.integers(min_value=0, max_value=1 << 50),
    timestamp=st.integers(min_value=0, max_value=1 << 50),
    ref=st.binary(min_size=2, max_size=2),
    ref_hash=st.binary(min_size=8, max_size=8),
    memo=st.binary(max_size=8),
    permission_id=st.integers(min_value=0, max_value=5),
    visible=st.booleans(),
)
def test_round_trips_property(
    value: Any,
    expiration: int,
    timestamp: int,
    ref: bytes,
    ref_hash: bytes,
    memo: bytes,
    permission_id: int,
    visible: bool,
) -> None:
    raw = RawData(
        ref_block_bytes=ref,
        ref_block_hash=ref_hash,
        expiration=expiration,
        data=memo,
        contracts=(codec.new_contract(value, permission_id=permission_id),),
        timestamp=timestamp,
    )
    tx = codec.make_transaction(raw, [b"\x01" * 65])
    assert tx.txid == crypto.sha256(tx.raw_bytes)
    assert codec.decode_transaction_bytes(codec.encode_signed_transaction(tx)) == tx
    rendered = codec.transaction_to_json(tx, visible=visible)
    assert codec.parse_transaction_json(rendered, visible=visible) == tx
