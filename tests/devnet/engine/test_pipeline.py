"""The broadcast pipeline: order of checks, exact messages, fees and rollback (reference §2, §9)."""

from __future__ import annotations

from tests.devnet.engine.conftest import TRX, Harness
from tron_devnet import codec, crypto
from tron_devnet.types import (
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    RawData,
    ResourceCode,
    ResponseCode,
    TransferContract,
)

EXPIRED = ResponseCode.TRANSACTION_EXPIRATION_ERROR
SIGERROR = ResponseCode.SIGERROR


def freeze(owner: bytes, amount: int = 10 * TRX) -> FreezeBalanceV2Contract:
    return FreezeBalanceV2Contract(owner, amount, ResourceCode.ENERGY)


def test_success_joins_pending_and_is_packed(harness: Harness) -> None:
    owner = harness.users[0]
    tx = harness.ok(freeze(owner))
    assert harness.chain.pending_count == 1
    assert harness.chain.transaction(tx.txid) == (tx, None)
    assert harness.info(tx) == {}
    block = harness.chain.produce_block()
    assert block.transactions == (tx,)
    assert harness.chain.pending_count == 0
    assert harness.chain.transaction(tx.txid) == (tx, block.number)
    info = harness.info(tx)
    assert info["blockNumber"] == block.number
    assert info["blockTimeStamp"] == block.timestamp
    assert info["receipt"] == {"net_usage": tx.signed_size + 64}


def test_no_contract(harness: Harness) -> None:
    message = harness.fail(None, ResponseCode.CONTRACT_VALIDATE_ERROR, keys=[])
    assert message == "Contract validate error : No contract!"


def test_expiration_before_next_slot(harness: Harness) -> None:
    head = harness.chain.head.timestamp
    message = harness.fail(freeze(harness.users[0]), EXPIRED, expiration=head + 2_999)
    assert message == "Transaction expired"
    assert harness.send(freeze(harness.users[0]), expiration=head + 3_000).ok


def test_expiration_checked_before_signature(harness: Harness) -> None:
    head = harness.chain.head.timestamp
    message = harness.fail(freeze(harness.users[0]), EXPIRED, expiration=head, signatures=[])
    assert message == "Transaction expired"


def test_expiration_more_than_a_day_ahead(harness: Harness) -> None:
    head = harness.chain.head.timestamp
    owner = harness.users[0]
    assert harness.fail(freeze(owner), EXPIRED, expiration=head + 86_400_001) == (
        "Transaction expired"
    )
    assert harness.send(freeze(owner), expiration=head + 86_400_000).ok


def test_missing_signature(harness: Harness) -> None:
    message = harness.fail(freeze(harness.users[0]), SIGERROR, signatures=[])
    assert message == "Validate signature error: miss sig or contract"


def test_too_many_signatures(harness: Harness) -> None:
    key = harness.keys[harness.users[0]]
    message = harness.fail(freeze(harness.users[0]), SIGERROR, keys=[key] * 6)
    assert message == "Validate signature error: too many signatures"


def test_more_signatures_than_keys(harness: Harness) -> None:
    key = harness.keys[harness.users[0]]
    message = harness.fail(freeze(harness.users[0]), SIGERROR, keys=[key, key])
    assert message == (
        "Validate signature error: Signature count is 2 more than key counts of permission : 1"
    )


def test_signed_by_another_key(harness: Harness) -> None:
    owner, other = harness.users[0], harness.users[1]
    tx = harness.build(freeze(owner), key=harness.keys[other])
    result = harness.chain.broadcast(tx)
    assert result.code == SIGERROR
    assert result.message == (
        f"Validate signature error: {tx.signatures[0].hex()} is signed by "
        f"{crypto.address_to_base58(other)} but it is not contained of permission."
    )


def test_short_signature(harness: Harness) -> None:
    message = harness.fail(freeze(harness.users[0]), SIGERROR, signatures=[b"\x01" * 64])
    assert message == "Validate signature error: Signature size is 64"


def test_unrecoverable_signature(harness: Harness) -> None:
    bad = b"\xff" * 64 + b"\x01"
    message = harness.fail(freeze(harness.users[0]), SIGERROR, signatures=[bad])
    assert message == (
        "Validate signature error: java.lang.IllegalArgumentException: Invalid point compression"
    )


def test_unknown_permission(harness: Harness) -> None:
    message = harness.fail(freeze(harness.users[0]), SIGERROR, permission_id=1)
    assert message == "Validate signature error: permission isn't exit"


def test_active_permission_signs(harness: Harness) -> None:
    assert harness.send(freeze(harness.users[0]), permission_id=2).ok


def test_missing_owner_uses_default_permission_then_fails_bandwidth(harness: Harness) -> None:
    address, _ = harness.new_key()
    message = harness.fail(freeze(address), ResponseCode.CONTRACT_VALIDATE_ERROR)
    assert message == (
        f"Contract validate error : account [{crypto.address_to_base58(address)}] does not exist"
    )


def test_contract_count_must_be_one(harness: Harness) -> None:
    tx = harness.build(freeze(harness.users[0]), extra_contracts=1)
    result = harness.chain.broadcast(tx)
    assert result.code == ResponseCode.CONTRACT_VALIDATE_ERROR
    assert result.message == (
        f"Contract validate error : tx {tx.txid.hex()} contract size should be exactly 1, "
        "this is extend feature ,actual :2"
    )


def test_tapos_unknown_block(harness: Harness) -> None:
    message = harness.fail(freeze(harness.users[0]), ResponseCode.TAPOS_ERROR, ref_block_num=500)
    assert message == "Tapos check error."


def test_tapos_wrong_hash(harness: Harness) -> None:
    message = harness.fail(freeze(harness.users[0]), ResponseCode.TAPOS_ERROR, ref_hash=b"\x01" * 8)
    assert message == "Tapos check error."


def test_tapos_accepts_the_genesis_and_older_blocks(harness: Harness) -> None:
    harness.chain.mine(5)
    assert harness.send(freeze(harness.users[0]), ref_block_num=0).ok
    assert harness.send(freeze(harness.users[0]), ref_block_num=3).ok


def test_too_big_transaction(harness: Harness) -> None:
    tx = harness.build(freeze(harness.users[0]), data=b"x" * 512_000)
    result = harness.chain.broadcast(tx)
    assert result.code == ResponseCode.TOO_BIG_TRANSACTION_ERROR
    size = tx.signed_size + 128
    assert result.message == (
        f"Too big transaction with result, TxId {tx.txid.hex()}, the size is {size} bytes, "
        "maxTxSize 512000"
    )


def test_duplicate_pending_and_packed(harness: Harness) -> None:
    tx = harness.build(freeze(harness.users[0]))
    assert harness.chain.broadcast(tx).ok
    dup = harness.chain.broadcast(tx)
    assert (dup.code, dup.message) == (ResponseCode.DUP_TRANSACTION_ERROR, "Dup transaction.")
    harness.chain.produce_block()
    dup = harness.chain.broadcast(tx)
    assert (dup.code, dup.message) == (ResponseCode.DUP_TRANSACTION_ERROR, "Dup transaction.")


def test_free_bandwidth_then_burn(harness: Harness) -> None:
    owner = harness.users[0]
    first = harness.ok(freeze(owner))
    second = harness.ok(freeze(owner))
    before = harness.balance(owner)
    third = harness.ok(freeze(owner))
    bytes_ = third.signed_size + 64
    assert harness.balance(owner) == before - 10 * TRX - bytes_ * 1000
    used = first.signed_size + second.signed_size + 128
    assert harness.account(owner)["free_net_usage"] == used
    harness.chain.produce_block()
    assert harness.account(owner)["free_net_usage"] == used - 1  # decayed by one slot
    assert harness.info(first)["receipt"] == {"net_usage": first.signed_size + 64}
    assert harness.info(second)["receipt"] == {"net_usage": second.signed_size + 64}
    info = harness.info(third)
    assert info["fee"] == bytes_ * 1000
    assert info["receipt"] == {"net_fee": bytes_ * 1000}


def test_staked_bandwidth_is_used_first(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 1_000 * TRX, ResourceCode.BANDWIDTH))
    harness.chain.produce_block()
    tx = harness.ok(freeze(owner))
    account = harness.account(owner)
    assert account["net_usage"] == tx.signed_size + 64
    assert account["free_net_usage"] == 252  # only the BANDWIDTH freeze used free bandwidth
    harness.chain.produce_block()
    assert harness.info(tx)["receipt"] == {"net_usage": tx.signed_size + 64}


def test_bandwidth_error_when_nothing_pays(harness: Harness) -> None:
    poor, other = harness.users[1], harness.users[0]
    harness.ok(FreezeBalanceV2Contract(poor, harness.balance(poor) - 200_000, ResourceCode.ENERGY))
    harness.ok(TransferContract(poor, other, 100_000))  # still within the 600 free bytes
    assert harness.balance(poor) == 100_000
    message = harness.fail(TransferContract(poor, other, 1), ResponseCode.BANDWITH_ERROR)
    assert message == "Account resource insufficient error."
    assert harness.balance(poor) == 100_000


def test_rejection_rolls_back_the_bandwidth_fee(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(freeze(owner))
    harness.ok(freeze(owner))
    before = harness.account(owner)
    assert harness.invalid(freeze(owner, 0)) == "frozenBalance must be positive"
    assert harness.account(owner) == before


def test_balance_checks_see_the_bandwidth_burn(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(freeze(owner))
    harness.ok(freeze(owner))
    everything = harness.balance(owner)
    message = harness.invalid(FreezeBalanceV2Contract(owner, everything, ResourceCode.ENERGY))
    assert message == "frozenBalance must be less than or equal to accountBalance"


def test_memo_fee(harness: Harness) -> None:
    owner = harness.users[0]
    before = harness.balance(owner)
    tx = harness.ok(freeze(owner), data=b"hello")
    assert harness.balance(owner) == before - 10 * TRX - 1 * TRX
    harness.chain.produce_block()
    assert harness.info(tx)["fee"] == 1 * TRX


def test_discard_leaves_no_trace(harness: Harness) -> None:
    owner = harness.users[0]
    before = harness.account(owner)
    tx = harness.build(freeze(owner))
    assert harness.chain.broadcast(tx, discard=True).ok
    assert harness.account(owner) == before
    assert harness.chain.pending_count == 0
    assert harness.chain.transaction(tx.txid) is None
    assert harness.chain.broadcast(tx).ok  # not a duplicate


def test_pending_state_is_visible_to_the_next_transaction(harness: Harness) -> None:
    owner, receiver = harness.users[0], harness.users[1]
    harness.ok(freeze(owner, 100 * TRX))
    delegate = DelegateResourceContract(owner, ResourceCode.ENERGY, 100 * TRX, receiver)
    harness.ok(delegate)
    assert (
        harness.account(receiver)["account_resource"][
            "acquired_delegated_frozenV2_balance_for_energy"
        ]
        == 100 * TRX
    )


def test_transfer_creating_an_account_burns_create_fees(harness: Harness) -> None:
    owner = harness.users[0]
    fresh, _ = harness.new_key()
    before = harness.balance(owner)
    tx = harness.ok(TransferContract(owner, fresh, 5 * TRX))
    assert harness.balance(owner) == before - 5 * TRX - 1 * TRX - 100_000
    harness.chain.produce_block()
    info = harness.info(tx)
    assert info["fee"] == 1 * TRX + 100_000
    assert info["receipt"] == {"net_fee": 100_000}
    account = harness.account(fresh)
    assert account["balance"] == 5 * TRX
    block = harness.chain.block_by_num(1)
    assert block is not None
    assert account["create_time"] == block.timestamp


def test_transfer_creating_an_account_uses_staked_bandwidth(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 1_000 * TRX, ResourceCode.BANDWIDTH))
    harness.chain.produce_block()
    fresh, _ = harness.new_key()
    tx = harness.ok(TransferContract(owner, fresh, 5 * TRX))
    harness.chain.produce_block()
    info = harness.info(tx)
    assert info["fee"] == 1 * TRX
    assert info["receipt"] == {"net_usage": tx.signed_size + 64}


def test_raw_encoding_matches_the_codec(harness: Harness) -> None:
    tx = harness.build(freeze(harness.users[0]))
    assert tx.txid == crypto.sha256(codec.encode_raw(tx.raw))
    assert isinstance(tx.raw, RawData)
