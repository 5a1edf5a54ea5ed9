"""Build, sign, broadcast and look up every kind on the devnet; inclusion only after a block;
expiration from the head time; rejections with java-tron's decoded messages."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.chain.support import DevnetSigner, make_client, send, send_and_mine
from tests.support.devnet import Devnet
from tron_staking.chain import outcomes
from tron_staking.chain.client import TronChainClient
from tron_staking.chain.transactions import TxKind
from tron_staking.domain.addresses import Address
from tron_staking.errors import ChainRejectedError

pytestmark = pytest.mark.anyio

TRX = 1_000_000
DAY_S = 86_400


async def _packed(devnet: Devnet, owner: str) -> list[dict[str, Any]]:
    body = await devnet.get("devnet/transactions", {"owner": owner})
    packed: list[dict[str, Any]] = body["transactions"]
    return packed


async def test_every_kind_lands_only_after_a_block(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner, receiver = devnet.accounts[0].address, devnet.accounts[1].address
    witness = devnet.witnesses[0].address
    steps: list[tuple[TxKind, dict[str, Any]]] = [
        (TxKind.FREEZE, {"frozen_balance": 200 * TRX, "resource": "ENERGY"}),
        (TxKind.FREEZE, {"frozen_balance": 50 * TRX, "resource": "BANDWIDTH"}),
        (TxKind.VOTE, {"votes": [{"vote_address": witness, "vote_count": 100}]}),
        (
            TxKind.DELEGATE,
            {"receiver_address": receiver, "balance": 20 * TRX, "resource": "ENERGY"},
        ),
        (
            TxKind.DELEGATE,
            {
                "receiver_address": receiver,
                "balance": 10 * TRX,
                "resource": "ENERGY",
                "lock": True,
                "lock_period": 1200,
            },
        ),
        (
            TxKind.UNDELEGATE,
            {"receiver_address": receiver, "balance": 20 * TRX, "resource": "ENERGY"},
        ),
        (TxKind.UNFREEZE, {"unfreeze_balance": 30 * TRX, "resource": "ENERGY"}),
        (TxKind.CANCEL_ALL_UNFREEZE, {}),
        (TxKind.TRANSFER, {"to_address": receiver, "amount": 3 * TRX}),
    ]
    for kind, params in steps:
        signed, outcome = await send(client, signer, owner, kind, params)
        assert outcome == outcomes.Accepted(signed.txid), (kind, outcome)
        # In the pool, not yet in a block: no proof of inclusion.
        assert await client.transaction_info(signed.txid) is None
        mined = await devnet.mine(1)
        found = await client.transaction_info(signed.txid)
        assert found is not None, kind
        assert found.block_number == mined["head"]
        assert found.block_time_ms == mined["head_time_ms"]
    packed = await _packed(devnet, owner)
    assert len(packed) == len(steps)


async def test_withdraw_expire_unfreeze_and_claim_rewards(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner = devnet.accounts[2].address
    witness = devnet.witnesses[0].address
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.FREEZE,
        {"frozen_balance": 1_000 * TRX, "resource": "ENERGY"},
    )
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.VOTE,
        {"votes": [{"vote_address": witness, "vote_count": 1_000}]},
    )
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.UNFREEZE,
        {"unfreeze_balance": 100 * TRX, "resource": "ENERGY"},
    )
    # Votes count from the next maintenance; rewards of that cycle show after the one after.
    await devnet.advance_time(6 * 3600)
    await devnet.mine(20)
    await devnet.advance_time(6 * 3600)
    await devnet.mine(1)
    await devnet.advance_time(14 * DAY_S)
    await devnet.mine(1)
    before = await client.observe(Address(owner), [])
    assert before.withdrawable_sun(before.head_block_time_ms) == 100 * TRX
    assert before.reward_sun > 0
    withdrawn = await send_and_mine(
        devnet, client, signer, owner, TxKind.WITHDRAW_EXPIRE_UNFREEZE, {}
    )
    assert withdrawn.receipt["withdraw_expire_amount"] == 100 * TRX
    claimed = await send_and_mine(devnet, client, signer, owner, TxKind.CLAIM_REWARDS, {})
    claimed_sun = claimed.receipt["withdraw_amount"]
    assert isinstance(claimed_sun, int)
    assert claimed_sun >= before.reward_sun
    after = await client.observe(Address(owner), [])
    assert after.unfreezing == ()
    assert after.latest_withdraw_time_ms is not None
    assert after.latest_withdraw_time_ms <= claimed.block_time_ms


async def test_expiration_follows_the_chain_clock(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    """Days ahead of the wall clock, a transaction built from the head still lands."""
    await devnet.advance_time(5 * DAY_S)
    await devnet.mine(1)
    owner = devnet.accounts[3].address
    head = await client.head()
    unsigned = await client.build(
        Address(owner), TxKind.FREEZE, {"frozen_balance": 5 * TRX, "resource": "ENERGY"}, head
    )
    assert unsigned.expiration_ms == head.timestamp_ms + 60_000
    # A local-clock expiration would be four days in the chain's past.
    assert unsigned.expiration_ms - time.time() * 1000 > 4 * DAY_S * 1000
    signed = await client.sign(unsigned, signer)
    assert await client.broadcast(signed) == outcomes.Accepted(signed.txid)
    await devnet.mine(1)
    assert await client.transaction_info(signed.txid) is not None


async def test_a_transaction_past_its_expiration_is_refused(
    devnet: Devnet, signer: DevnetSigner
) -> None:
    short = make_client(devnet, window_s=3.0)
    try:
        owner = devnet.accounts[3].address
        head = await short.head()
        unsigned = await short.build(
            Address(owner), TxKind.FREEZE, {"frozen_balance": 5 * TRX, "resource": "ENERGY"}, head
        )
        signed = await short.sign(unsigned, signer)
        await devnet.mine(2)
        outcome = await short.broadcast(signed)
    finally:
        await short.aclose()
    assert outcome == outcomes.Rejected(
        signed.txid, "TRANSACTION_EXPIRATION_ERROR", "Transaction expired"
    )


async def test_the_node_refuses_to_build_an_impossible_transaction(
    devnet: Devnet, client: TronChainClient
) -> None:
    owner, receiver = devnet.accounts[4].address, devnet.accounts[5].address
    head = await client.head()
    with pytest.raises(ChainRejectedError) as caught:
        await client.build(
            Address(owner),
            TxKind.DELEGATE,
            {"receiver_address": receiver, "balance": 5 * TRX, "resource": "ENERGY"},
            head,
        )
    assert caught.value.code == "CONTRACT_VALIDATE_ERROR"
    assert caught.value.reason == (
        "delegateBalance must be less than or equal to available FreezeEnergyV2 balance"
    )


async def test_a_validation_error_at_broadcast_is_decoded(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    """Two unfreezes of the whole stake both build; the second is refused at broadcast."""
    owner = devnet.accounts[4].address
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.FREEZE,
        {"frozen_balance": 10 * TRX, "resource": "ENERGY"},
    )
    head = await client.head()
    params: dict[str, Any] = {"unfreeze_balance": 10 * TRX, "resource": "ENERGY"}
    first = await client.build(Address(owner), TxKind.UNFREEZE, params, head)
    second = await client.build(Address(owner), TxKind.UNFREEZE, params, head)
    assert first.txid != second.txid
    signed_first = await client.sign(first, signer)
    signed_second = await client.sign(second, signer)
    assert await client.broadcast(signed_first) == outcomes.Accepted(first.txid)
    outcome = await client.broadcast(signed_second)
    assert isinstance(outcome, outcomes.Rejected)
    assert outcome.code == "CONTRACT_VALIDATE_ERROR"
    assert outcome.message.startswith("Contract validate error : ")


async def test_a_resend_is_a_duplicate_and_lands_once(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner = devnet.accounts[6].address
    signed, outcome = await send(
        client, signer, owner, TxKind.FREEZE, {"frozen_balance": 7 * TRX, "resource": "ENERGY"}
    )
    assert outcome == outcomes.Accepted(signed.txid)
    again = await client.broadcast(signed)
    assert isinstance(again, outcomes.Duplicate)
    await devnet.mine(1)
    after_block = await client.broadcast(signed)
    assert isinstance(after_block, outcomes.Duplicate)
    await devnet.mine(1)
    packed = await _packed(devnet, owner)
    assert [tx["txid"] for tx in packed] == [signed.txid]
