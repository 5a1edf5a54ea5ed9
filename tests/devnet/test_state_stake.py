"""Stake 2.0 state over HTTP with tronpy: tron power, vote rescaling, the unfreeze sweep and
limit, lock expiry in blocks, pending visibility and the solid lag."""

from __future__ import annotations

import pytest
from tronpy import AsyncTron

from tests.devnet.test_contracts_stake import PREFIX, TRX, advance_days, mined, rejected
from tests.support.devnet import Devnet

pytestmark = pytest.mark.anyio


async def test_tron_power_unchanged_by_delegation(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await devnet.send(tron.trx.freeze_balance(owner.address, 300 * TRX, "ENERGY"), owner)
    await mined(devnet, tron.trx.freeze_balance(owner.address, 200 * TRX, "BANDWIDTH"), owner)
    before = await tron.get_account_resource(owner.address)
    await devnet.send(
        tron.trx.delegate_resource(owner.address, receiver.address, 250 * TRX, "ENERGY"), owner
    )
    await mined(
        devnet,
        tron.trx.delegate_resource(owner.address, receiver.address, 150 * TRX, "BANDWIDTH"),
        owner,
    )
    after = await tron.get_account_resource(owner.address)
    assert before["tronPowerLimit"] == after["tronPowerLimit"] == 500
    assert before["TotalEnergyWeight"] == after["TotalEnergyWeight"]
    assert "tronPowerLimit" not in await tron.get_account_resource(receiver.address)
    # the delegated stake still votes
    witness = devnet.witnesses[0]
    await mined(devnet, tron.trx.vote_witness(owner.address, (witness.address, 500)), owner)
    assert (await tron.get_account(owner.address))["votes"][0]["vote_count"] == 500


async def test_unfreeze_rescales_votes(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    first, second = devnet.witnesses[0], devnet.witnesses[1]
    await mined(devnet, tron.trx.freeze_balance(owner.address, 2_000 * TRX, "ENERGY"), owner)
    await mined(
        devnet,
        tron.trx.vote_witness(owner.address, (first.address, 600), (second.address, 400)),
        owner,
    )
    await mined(
        devnet,
        tron.trx.unfreeze_balance(owner.address, "ENERGY", unfreeze_balance=1_500 * TRX),
        owner,
    )
    account = await tron.get_account(owner.address)
    assert account["votes"] == [
        {"vote_address": first.address, "vote_count": 300},
        {"vote_address": second.address, "vote_count": 200},
    ]


async def test_matured_unfreezes_are_swept_by_the_next_unfreeze(
    devnet: Devnet, tron: AsyncTron
) -> None:
    owner = devnet.accounts[0]
    unfreeze = tron.trx.unfreeze_balance
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=10 * TRX), owner)
    await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=5 * TRX), owner)
    await advance_days(devnet, 14)
    before = (await tron.get_account(owner.address))["balance"]
    info = await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=TRX), owner)
    assert info["withdraw_expire_amount"] == 15 * TRX
    account = await tron.get_account(owner.address)
    assert account["balance"] == before + 15 * TRX
    assert [entry["unfreeze_amount"] for entry in account["unfrozenV2"]] == [TRX]


async def test_the_33rd_unfreeze_is_refused(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    await devnet.send(tron.trx.freeze_balance(owner.address, 1_000 * TRX, "BANDWIDTH"), owner)
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    for index in range(32):
        builder = tron.trx.unfreeze_balance(owner.address, "ENERGY", unfreeze_balance=TRX + index)
        await devnet.send(builder, owner)
    query = {"owner_address": owner.address, "visible": True}
    assert await devnet.post("wallet/getavailableunfreezecount", query) == {}
    builder = tron.trx.unfreeze_balance(owner.address, "ENERGY", unfreeze_balance=TRX)
    assert await rejected(devnet, builder, owner) == (
        PREFIX + "Invalid unfreeze operation, unfreezing times is over limit"
    )


async def test_a_lock_ends_after_lock_period_blocks(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    await mined(
        devnet,
        tron.trx.delegate_resource(
            owner.address, receiver.address, 5 * TRX, "ENERGY", lock=True, lock_period=10
        ),
        owner,
    )
    # The delegation ran with now = block 1's timestamp, so the lock expires at block 11's
    # timestamp; an undelegation passes once the head is strictly later (block 12).
    undelegate = tron.trx.undelegate_resource(owner.address, receiver.address, 5 * TRX, "ENERGY")
    locked = (
        PREFIX + "insufficient delegateFrozenBalance(Energy), request=5000000, unlock_balance=0"
    )
    assert await rejected(devnet, undelegate, owner) == locked
    await devnet.mine(9)
    assert await tron.get_latest_block_number() == 11
    assert await rejected(devnet, undelegate, owner) == locked
    await devnet.mine(1)
    info = await mined(devnet, undelegate, owner)
    assert "id" in info
    assert await tron.get_delegated_resource_v2(owner.address, receiver.address) == {}


async def test_pending_state_is_visible_before_the_block(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await devnet.send(tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    ret = await devnet.send(
        tron.trx.delegate_resource(owner.address, receiver.address, 100 * TRX, "ENERGY"), owner
    )
    account = await tron.get_account(receiver.address)
    assert account["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"] == (
        100 * TRX
    )
    assert await devnet.post("wallet/gettransactioninfobyid", {"value": ret.txid}) == {}
    await devnet.mine(1)
    info = await ret.wait(timeout=10, interval=0.2)
    assert info["blockNumber"] == 1


async def test_solid_state_lags_the_head(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    body = {"address": owner.address, "visible": True}
    solid = await devnet.post("walletsolidity/getaccount", body)
    assert "amount" not in solid["frozenV2"][1]
    await devnet.mine(18)
    solid = await devnet.post("walletsolidity/getaccount", body)
    assert "amount" not in solid["frozenV2"][1]
    await devnet.mine(1)
    solid = await devnet.post("walletsolidity/getaccount", body)
    assert solid["frozenV2"][1] == {"type": "ENERGY", "amount": 100 * TRX}
    assert await tron.get_latest_solid_block_number() == 1
