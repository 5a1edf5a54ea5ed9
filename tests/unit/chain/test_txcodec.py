"""The raw_data encoder against the verified vectors of reference §10 (E6, E16)."""

from __future__ import annotations

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
