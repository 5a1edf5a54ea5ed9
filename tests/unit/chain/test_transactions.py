"""Building from a node's answer: re-anchoring on chain time, the txid and contract checks,
restoring a recorded transaction and checking signatures."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import coincurve
import pytest
from Crypto.Hash import keccak

from tron_staking.chain import transactions, txcodec
from tron_staking.chain.transactions import BlockRef, TxKind
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.errors import ChainRejectedError, SigningKeyError, ValidationError

KEY = coincurve.PrivateKey(bytes.fromhex("11" * 32))
OTHER_KEY = coincurve.PrivateKey(bytes.fromhex("22" * 32))


def txid(raw: Mapping[str, Any]) -> str:
    return txcodec.txid_of_bytes(txcodec.encode_raw(raw))


def _address(key: coincurve.PrivateKey) -> Address:
    digest = keccak.new(digest_bits=256, data=key.public_key.format(compressed=False)[1:])
    return addresses.from_bytes(b"\x41" + digest.digest()[-20:])


OWNER = _address(KEY)
RECEIVER = _address(OTHER_KEY)
HEAD = BlockRef(
    number=0x1234,
    block_id="00000000000012340123456789abcdef" + "0" * 32,
    timestamp_ms=2_000_000_000_000,
)
SOLID = BlockRef(
    number=0x1200,
    block_id="0000000000001200fedcba9876543210" + "1" * 32,
    timestamp_ms=1_999_999_940_000,
)


def _node_answer(kind: TxKind, value: dict[str, Any]) -> dict[str, Any]:
    """What a node builder answers: its own head as reference, +60 s, its wall clock."""
    raw = {
        "contract": [
            {
                "parameter": {"value": value, "type_url": txcodec.type_url(kind.contract_type)},
                "type": kind.contract_type,
            }
        ],
        "ref_block_bytes": "aaaa",
        "ref_block_hash": "bbbbbbbbbbbbbbbb",
        "expiration": 1_700_000_060_000,
        "timestamp": 1_700_000_000_123,
    }
    return {
        "visible": False,
        "txID": txid(raw),
        "raw_data": raw,
        "raw_data_hex": txcodec.encode_raw(raw).hex(),
    }


def _delegate_params() -> dict[str, Any]:
    return {
        "owner_address": OWNER,
        "receiver_address": RECEIVER,
        "balance": 5_000_000,
        "resource": "ENERGY",
        "lock": True,
        "lock_period": 864000,
    }


def _anchor(answer: dict[str, Any], requested: dict[str, Any], **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "owner": OWNER,
        "kind": TxKind.DELEGATE,
        "node_answer": answer,
        "requested": requested,
        "head": HEAD,
        "reference": HEAD,
        "window_ms": 90_000,
    }
    arguments.update(overrides)
    return transactions.anchor(**arguments)


def test_contract_value_converts_addresses_to_hex() -> None:
    value = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    assert value["owner_address"] == addresses.b58check_decode(OWNER).hex()
    assert value["receiver_address"] == addresses.b58check_decode(RECEIVER).hex()
    assert value["balance"] == 5_000_000


def test_contract_value_for_votes() -> None:
    params: dict[str, Any] = {"votes": [{"vote_address": RECEIVER, "vote_count": 7}]}
    value = transactions.contract_value(OWNER, TxKind.VOTE, params)
    assert value["votes"] == [
        {"vote_address": addresses.b58check_decode(RECEIVER).hex(), "vote_count": 7}
    ]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (TxKind.FREEZE, {"frozen_balance": 1, "receiver_address": "x"}),
        (TxKind.FREEZE, {"owner_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}),
        (TxKind.FREEZE, {"frozen_balance": "1000"}),
        (TxKind.FREEZE, {"frozen_balance": 1, "resource": "GAS"}),
        (TxKind.DELEGATE, {"receiver_address": "not-an-address"}),
        (TxKind.VOTE, {"votes": [{"vote_address": "T"}]}),
        (TxKind.VOTE, {"votes": "all"}),
    ],
)
def test_contract_value_refuses_bad_params(kind: TxKind, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        transactions.contract_value(OWNER, kind, params)


def test_kinds_cover_every_operation_type() -> None:
    for kind in StakingOperationType:
        assert TxKind.of(kind).contract_type == kind.contract_type


def test_anchor_takes_expiration_from_head_time_and_tapos_from_reference() -> None:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    answer = _node_answer(TxKind.DELEGATE, requested)
    tx = _anchor(answer, requested, reference=SOLID)
    assert tx.expiration_ms == HEAD.timestamp_ms + 90_000
    assert tx.raw_data["expiration"] == HEAD.timestamp_ms + 90_000
    assert tx.raw_data["ref_block_bytes"] == "1200"
    assert tx.raw_data["ref_block_hash"] == "fedcba9876543210"
    assert tx.raw_data["timestamp"] == answer["raw_data"]["timestamp"]
    assert tx.txid == txid(tx.raw_data) != answer["txID"]
    assert tx.raw_data_hex == txcodec.encode_raw(tx.raw_data).hex()


def test_anchor_refuses_a_node_txid_it_cannot_reproduce() -> None:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    answer = _node_answer(TxKind.DELEGATE, requested)
    answer["txID"] = "00" * 32
    with pytest.raises(ValueError, match="another txid"):
        _anchor(answer, requested)


def test_anchor_refuses_a_contract_other_than_asked() -> None:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    tampered = copy.deepcopy(requested)
    tampered["receiver_address"] = addresses.b58check_decode(OWNER).hex()
    answer = _node_answer(TxKind.DELEGATE, tampered)
    with pytest.raises(ValueError, match="another"):
        _anchor(answer, requested)


def test_anchor_refuses_raw_data_hex_that_disagrees() -> None:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    answer = _node_answer(TxKind.DELEGATE, requested)
    answer["raw_data_hex"] = "00"
    with pytest.raises(ValueError, match="raw_data_hex"):
        _anchor(answer, requested)


def test_build_error_is_a_rejection_with_javas_message() -> None:
    answer = {
        "Error": "class org.tron.core.exception.ContractValidateException : "
        "delegateBalance must be less than or equal to available FreezeEnergyV2 balance"
    }
    with pytest.raises(ChainRejectedError) as caught:
        _anchor(answer, {})
    assert caught.value.code == "CONTRACT_VALIDATE_ERROR"
    assert caught.value.reason.startswith("delegateBalance must be")


@pytest.mark.parametrize("window_ms", [0, 2_999, 86_400_001])
def test_anchor_refuses_a_window_tron_would_refuse(window_ms: int) -> None:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    with pytest.raises(ValueError, match="window"):
        _anchor(_node_answer(TxKind.DELEGATE, requested), requested, window_ms=window_ms)


def _unsigned() -> transactions.UnsignedTransaction:
    requested = transactions.contract_value(OWNER, TxKind.DELEGATE, _delegate_params())
    tx: transactions.UnsignedTransaction = _anchor(
        _node_answer(TxKind.DELEGATE, requested), requested
    )
    return tx


def test_restore_round_trip_and_corruption() -> None:
    tx = _unsigned()
    again = transactions.UnsignedTransaction.restore(
        owner=OWNER, kind=TxKind.DELEGATE, txid=tx.txid, raw_data=tx.raw_data
    )
    assert again == tx
    corrupted = {**tx.raw_data, "expiration": tx.expiration_ms + 1}
    with pytest.raises(ValueError, match="does not encode"):
        transactions.UnsignedTransaction.restore(
            owner=OWNER, kind=TxKind.DELEGATE, txid=tx.txid, raw_data=corrupted
        )


def test_signature_of_the_owner_is_attached() -> None:
    tx = _unsigned()
    signature = KEY.sign_recoverable(bytes.fromhex(tx.txid), hasher=None).hex()
    signed = transactions.attach_signature(tx, signature)
    assert signed.signatures == (signature,)
    body = signed.to_json()
    assert body["txID"] == tx.txid
    assert body["signature"] == [signature]
    assert "visible" not in body


@pytest.mark.parametrize(
    "signature",
    [
        OTHER_KEY.sign_recoverable(b"\x00" * 32, hasher=None).hex(),
        "00" * 65,
        "abcd",
        "zz" * 65,
    ],
)
def test_other_or_broken_signatures_are_refused(signature: str) -> None:
    with pytest.raises(SigningKeyError):
        transactions.attach_signature(_unsigned(), signature)


def test_block_ref_tapos_bytes() -> None:
    assert HEAD.ref_block_bytes == "1234"
    assert HEAD.ref_block_hash == "0123456789abcdef"
