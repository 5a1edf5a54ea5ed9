"""The raw_data encoder against the verified vectors of reference §10 (E6, E16)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from tron_staking.chain import txcodec

OWNER_HEX = "41dd791d6b49e190062d650e6a23c575510d35f2f9"
RECEIVER_HEX = "419ce29546a328107df7b685ed3183fa8ae70a46a7"

# E6: Nile wallet/freezebalancev2, verified by sha256(raw_data_hex).
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
E6_HEX = (
    "0a02283b220851bf0b88daaaea3740b8a9d8c0dd335a5b083612570a34747970652e676f6f676c65617069732e"
    "636f6d2f70726f746f636f6c2e467265657a6542616c616e63655632436f6e7472616374121f0a1541dd791d6b"
    "49e190062d650e6a23c575510d35f2f9108094ebdc03180170d8e7d4c0dd33"
)
E6_TXID = "081256264131fbc9f3d4686aab15ae69c0e77b39d276367c11a7ab13e39747ec"

# E16: tronpy's offline Transfer vector.
E16_RAW: dict[str, Any] = {
    "contract": [
        {
            "parameter": {
                "value": {
                    "owner_address": "41b317e8c4d4405459663d5f55b0bbb5ef3b4aa76d",
                    "to_address": RECEIVER_HEX,
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


def txid(raw: Mapping[str, Any]) -> str:
    return txcodec.txid_of_bytes(txcodec.encode_raw(raw))


def _raw(contract_type: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        **E6_RAW,
        "contract": [
            {
                "parameter": {"value": value, "type_url": txcodec.type_url(contract_type)},
                "type": contract_type,
            }
        ],
    }


def test_freeze_vector_bytes_and_txid() -> None:
    assert txcodec.encode_raw(E6_RAW).hex() == E6_HEX
    assert txid(E6_RAW) == E6_TXID


def test_transfer_vector_txid() -> None:
    assert txid(E16_RAW) == E16_TXID
    assert txcodec.txid_of_bytes(txcodec.encode_raw(E16_RAW)) == E16_TXID


def test_defaults_are_omitted_like_proto3() -> None:
    """BANDWIDTH (enum 0) and lock=false leave no bytes, as java-tron prints them absent."""
    explicit = _raw(
        "DelegateResourceContract",
        {
            "owner_address": OWNER_HEX,
            "receiver_address": RECEIVER_HEX,
            "balance": 5_000_000,
            "resource": "BANDWIDTH",
            "lock": False,
        },
    )
    implicit = _raw(
        "DelegateResourceContract",
        {"owner_address": OWNER_HEX, "receiver_address": RECEIVER_HEX, "balance": 5_000_000},
    )
    assert txcodec.encode_raw(explicit) == txcodec.encode_raw(implicit)


def test_every_field_changes_the_txid() -> None:
    base = {
        "owner_address": OWNER_HEX,
        "receiver_address": RECEIVER_HEX,
        "balance": 5_000_000,
        "resource": "ENERGY",
        "lock": True,
        "lock_period": 864000,
    }
    seen = {txid(_raw("DelegateResourceContract", base))}
    for key, other in (
        ("balance", 5_000_001),
        ("resource", "BANDWIDTH"),
        ("lock", False),
        ("lock_period", 86400),
        ("receiver_address", OWNER_HEX),
    ):
        seen.add(txid(_raw("DelegateResourceContract", {**base, key: other})))
    assert len(seen) == 6


def test_votes_and_cancel_all_encode() -> None:
    vote = _raw(
        "VoteWitnessContract",
        {
            "owner_address": OWNER_HEX,
            "votes": [
                {"vote_address": RECEIVER_HEX, "vote_count": 70},
                {"vote_address": OWNER_HEX, "vote_count": 30},
            ],
        },
    )
    cancel = _raw("CancelAllUnfreezeV2Contract", {"owner_address": OWNER_HEX})
    vote_bytes = txcodec.encode_raw(vote)
    # two repeated Vote messages, each 0x12 <len> 0a15 <21 bytes> 10 <count>
    assert vote_bytes.count(bytes.fromhex("0a15" + RECEIVER_HEX + "1046")) == 1
    assert vote_bytes.count(bytes.fromhex("0a15" + OWNER_HEX + "101e")) == 1
    # CancelAllUnfreezeV2 is ContractType 59 (0x3b)
    assert bytes.fromhex("083b12") in txcodec.encode_raw(cancel)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({**E6_RAW, "auths": []}, "raw_data keys"),
        ({**E6_RAW, "contract": []}, "non-empty list"),
        (_raw("TriggerSmartContract", {"owner_address": OWNER_HEX}), "unsupported contract"),
        (_raw("FreezeBalanceV2Contract", {"owner_address": OWNER_HEX, "frozen": 1}), "keys"),
        (_raw("FreezeBalanceV2Contract", {"owner_address": "41zz"}), "not hex"),
        (_raw("FreezeBalanceV2Contract", {"frozen_balance": "1"}), "integer"),
        (_raw("FreezeBalanceV2Contract", {"frozen_balance": True}), "integer"),
        (_raw("FreezeBalanceV2Contract", {"frozen_balance": 1 << 63}), "int64"),
        (_raw("FreezeBalanceV2Contract", {"resource": "GAS"}), "ENERGY"),
        (_raw("DelegateResourceContract", {"lock": 1}), "true or false"),
        (_raw("VoteWitnessContract", {"votes": "x"}), "list"),
    ],
)
def test_what_it_cannot_reproduce_is_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        txcodec.encode_raw(raw)


def test_negative_int64_is_a_ten_byte_varint() -> None:
    raw = _raw("TransferContract", {"amount": -1})
    encoded = txcodec.encode_raw(raw)
    assert bytes.fromhex("18" + "ff" * 9 + "01") in encoded


def _contract_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = dict(E6_RAW["contract"][0])
    entry.update(changes)
    return {**E6_RAW, "contract": [entry]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {**E6_RAW, "auths": [], "zz": 1},
            "raw_data keys the codec does not know: ['auths', 'zz']",
        ),
        ({**E6_RAW, "contract": {}}, "raw_data.contract must be a non-empty list"),
        ({k: v for k, v in E6_RAW.items() if k != "contract"}, "raw_data.contract must be a"),
        ({**E6_RAW, "contract": ["x"]}, "a contract must be an object"),
        (_contract_entry(provider="00"), "contract keys the codec does not know: ['provider']"),
        (_contract_entry(type=59), "unsupported contract type 59"),
        (_contract_entry(type="TriggerSmartContract"), "unsupported contract type 'Trigger"),
        (_contract_entry(parameter="x"), "contract.parameter must be an object"),
        (
            _contract_entry(parameter={"type_url": 1, "value": {}}),
            "contract.parameter must hold a type_url string and a value object",
        ),
        (
            _contract_entry(parameter={"type_url": "t", "value": []}),
            "contract.parameter must hold a type_url string and a value object",
        ),
        ({**E6_RAW, "ref_block_bytes": 7}, "ref_block_bytes must be a hex string"),
        ({**E6_RAW, "ref_block_hash": "zz"}, "ref_block_hash is not hex"),
        ({**E6_RAW, "data": "0"}, "data is not hex"),
        ({**E6_RAW, "ref_block_num": "1"}, "ref_block_num must be an integer"),
        ({**E6_RAW, "expiration": 1.5}, "expiration must be an integer"),
        ({**E6_RAW, "timestamp": False}, "timestamp must be an integer"),
        ({**E6_RAW, "fee_limit": 1 << 63}, "fee_limit is out of the int64 range"),
        ({**E6_RAW, "expiration": -(1 << 63) - 1}, "expiration is out of the int64 range"),
        (_contract_entry(Permission_id="2"), "Permission_id must be an integer"),
        (
            _raw("FreezeBalanceV2Contract", {"owner_address": "41zz"}),
            "FreezeBalanceV2Contract.owner_address is not hex",
        ),
        (
            _raw("TransferContract", {"to_address": 41}),
            "TransferContract.to_address must be a hex string",
        ),
        (_raw("TransferContract", {"amount": "1"}), "TransferContract.amount must be an integer"),
        (
            _raw("DelegateResourceContract", {"lock": 1}),
            "DelegateResourceContract.lock must be true or false",
        ),
        (
            _raw("UnfreezeBalanceV2Contract", {"resource": 3}),
            "UnfreezeBalanceV2Contract.resource must be BANDWIDTH, ENERGY or TRON_POWER",
        ),
        (
            _raw("UnfreezeBalanceV2Contract", {"resource": -1}),
            "UnfreezeBalanceV2Contract.resource must be BANDWIDTH, ENERGY or TRON_POWER",
        ),
        (
            _raw("UnfreezeBalanceV2Contract", {"resource": True}),
            "UnfreezeBalanceV2Contract.resource must be BANDWIDTH, ENERGY or TRON_POWER",
        ),
        (
            _raw("UnfreezeBalanceV2Contract", {"resource": "energy"}),
            "UnfreezeBalanceV2Contract.resource must be BANDWIDTH, ENERGY or TRON_POWER",
        ),
        (_raw("VoteWitnessContract", {"votes": "x"}), "VoteWitnessContract.votes must be a list"),
        (_raw("VoteWitnessContract", {"votes": b"x"}), "VoteWitnessContract.votes must be a list"),
        (_raw("VoteWitnessContract", {"votes": {}}), "VoteWitnessContract.votes must be a list"),
        (
            _raw("VoteWitnessContract", {"votes": [1]}),
            "VoteWitnessContract.votes entries must be objects",
        ),
        (
            _raw("VoteWitnessContract", {"votes": [{"vote_count": 1, "witness": "41"}]}),
            "VoteWitnessContract.votes keys the codec does not know: ['witness']",
        ),
        (
            _raw("VoteWitnessContract", {"votes": [{"vote_count": "1"}]}),
            "VoteWitnessContract.votes.vote_count must be an integer",
        ),
        (
            _raw("WithdrawBalanceContract", {"owner_address": OWNER_HEX, "amount": 1}),
            "WithdrawBalanceContract keys the codec does not know: ['amount']",
        ),
    ],
)
def test_refusals_name_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)) as info:
        txcodec.encode_raw(raw)
    assert info.value.__cause__ is None


@pytest.mark.parametrize(
    ("value", "hex_bytes"),
    [
        (0, ""),
        (1, "1801"),
        (127, "187f"),
        (128, "188001"),
        (300, "18ac02"),
        (16383, "18ff7f"),
        (16384, "18808001"),
        ((1 << 63) - 1, "18" + "ff" * 8 + "7f"),
        (-(1 << 63), "18" + "80" * 9 + "01"),
    ],
)
def test_varints_at_their_boundaries(value: int, hex_bytes: str) -> None:
    """The contract value is exactly the amount field: tag 0x18, then the varint."""
    parameter = txcodec._encode_fields(
        "TransferContract", txcodec.CONTRACTS["TransferContract"][1], {"amount": value}
    )
    assert parameter.hex() == hex_bytes


def test_resource_codes_by_name_and_number() -> None:
    def resource(value: object) -> bytes:
        fields = txcodec.CONTRACTS["FreezeBalanceV2Contract"][1]
        return txcodec._encode_fields("F", fields, {"resource": value})

    assert [resource(name).hex() for name in ("BANDWIDTH", "ENERGY", "TRON_POWER")] == [
        "",
        "1801",
        "1802",
    ]
    assert [resource(code).hex() for code in (0, 1, 2)] == ["", "1801", "1802"]


def test_empty_contract_values_and_long_fields() -> None:
    """An empty contract body still writes its Any; a 200-byte memo needs a 2-byte length."""
    empty = txcodec.encode_raw({"contract": [{"type": "WithdrawBalanceContract", "parameter": {}}]})
    assert empty.hex() == "5a04" + "080d" + "1200"
    memo = txcodec.encode_raw({**E16_RAW, "data": "ab" * 200})
    assert bytes.fromhex("52c801" + "ab" * 200) in memo
    votes = txcodec.encode_raw(_raw("VoteWitnessContract", {"votes": [{}, {}]}))
    assert bytes.fromhex("12001200") in votes  # empty Vote messages are kept
