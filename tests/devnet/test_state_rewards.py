"""Voting rewards over HTTP with tronpy: accrual from the maintenance after the vote,
``getReward``, claiming through WithdrawBalance and the 24-hour rule."""

from __future__ import annotations

import pytest
from tronpy import AsyncTron

from tests.devnet.test_contracts_stake import PREFIX, TRX, mined, rejected
from tests.support.devnet import Devnet, DevnetAccount

pytestmark = pytest.mark.anyio

SIX_HOURS_S = 6 * 3600


async def reward_of(devnet: Devnet, account: DevnetAccount) -> int:
    body = await devnet.post("wallet/getReward", {"address": account.address})
    return int(body["reward"])


async def close_cycle(devnet: Devnet) -> None:
    await devnet.advance_time(SIX_HOURS_S)
    await devnet.mine(1)


async def test_rewards_start_after_the_next_maintenance(devnet: Devnet, tron: AsyncTron) -> None:
    owner, witness = devnet.accounts[0], devnet.witnesses[0]
    await devnet.send(tron.trx.freeze_balance(owner.address, 10_000 * TRX, "ENERGY"), owner)
    await mined(devnet, tron.trx.vote_witness(owner.address, (witness.address, 10_000)), owner)
    await devnet.mine(3)
    assert await reward_of(devnet, owner) == 0
    await close_cycle(devnet)  # the votes are tallied: they count from this cycle on
    await devnet.mine(3)
    assert await reward_of(devnet, owner) == 0  # the cycle is still open
    await close_cycle(devnet)
    reward = await reward_of(devnet, owner)
    assert reward > 0
    # An upper bound: the 4 blocks of the cycle could pay at most (128 + 8) TRX each to the
    # witness, of which my share is 10,000 of its 1,010,000 votes.
    assert reward < 4 * (128 + 8) * TRX * 10_000 // 1_010_000


async def test_claim_once_a_day(devnet: Devnet, tron: AsyncTron) -> None:
    owner, witness = devnet.accounts[0], devnet.witnesses[0]
    await devnet.send(tron.trx.freeze_balance(owner.address, 10_000 * TRX, "ENERGY"), owner)
    await mined(devnet, tron.trx.vote_witness(owner.address, (witness.address, 10_000)), owner)
    await close_cycle(devnet)
    await devnet.mine(4)
    await close_cycle(devnet)
    reward = await reward_of(devnet, owner)
    before = (await tron.get_account(owner.address))["balance"]
    head_ms = await devnet.head_time_ms()
    info = await mined(devnet, tron.trx.withdraw_rewards(owner.address), owner)
    assert info["withdraw_amount"] == reward
    account = await tron.get_account(owner.address)
    assert account["balance"] == before + reward
    assert account["latest_withdraw_time"] == head_ms
    assert await rejected(devnet, tron.trx.withdraw_rewards(owner.address), owner) == (
        PREFIX + f"The last withdraw time is {head_ms}, less than 24 hours"
    )
    await devnet.advance_time(24 * 3600)
    await devnet.mine(1)
    assert await reward_of(devnet, owner) > 0
    info = await mined(devnet, tron.trx.withdraw_rewards(owner.address), owner)
    assert info["withdraw_amount"] > 0


async def test_witness_brokerage(devnet: Devnet) -> None:
    witness = devnet.witnesses[0]
    brokerage = await devnet.post("wallet/getBrokerage", {"address": witness.address})
    assert brokerage == {"brokerage": 20}
    await devnet.mine(2)
    assert await reward_of(devnet, witness) > 0
