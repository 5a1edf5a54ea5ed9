"""VoteWitness, WithdrawBalance and Transfer over HTTP with tronpy: messages and state."""

from __future__ import annotations

import pytest
from tronpy import AsyncTron
from tronpy.exceptions import UnknownError

from tests.devnet.test_contracts_stake import (
    BUILD_PREFIX,
    PREFIX,
    TRX,
    build_refused,
    mined,
    rejected,
    stranger,
)
from tests.support.devnet import Devnet
from tron_devnet import crypto

pytestmark = pytest.mark.anyio


# ---- VoteWitness ----


async def test_vote_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner, other = devnet.accounts[0], devnet.accounts[1]
    witness = devnet.witnesses[0]
    vote = tron.trx.vote_witness
    assert await rejected(devnet, vote(owner.address), owner) == (
        PREFIX + "VoteNumber must more than 0"
    )
    too_many = [(w.address, 1) for w in devnet.witnesses] + [(witness.address, 1)]
    assert await rejected(devnet, vote(owner.address, *too_many), owner) == (
        PREFIX + "VoteNumber more than maxVoteNumber 30"
    )
    assert await rejected(devnet, vote(owner.address, (witness.address, 0)), owner) == (
        PREFIX + "vote count must be greater than 0"
    )
    missing = stranger()
    assert await rejected(devnet, vote(owner.address, (missing, 1)), owner) == (
        PREFIX + f"Account[{crypto.parse_address(missing).hex()}] not exists"
    )
    assert await rejected(devnet, vote(owner.address, (other.address, 1)), owner) == (
        PREFIX + f"Witness[{other.hex_address}] not exists"
    )
    assert await rejected(devnet, vote(owner.address, (witness.address, 100)), owner) == (
        PREFIX + "The total number of votes[100000000] is greater than the tronPower[0]"
    )


async def test_vote_for_missing_owner(tron: AsyncTron, devnet: Devnet) -> None:
    address = stranger()
    body = {
        "owner_address": address,
        "votes": [{"vote_address": devnet.witnesses[0].address, "vote_count": 1}],
    }
    assert await build_refused(tron, "wallet/votewitnessaccount", body) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists"
    )


async def test_votes_count_at_the_next_maintenance(devnet: Devnet, tron: AsyncTron) -> None:
    owner, witness = devnet.accounts[0], devnet.witnesses[0]

    async def votes_of_witness() -> int:
        listed = await tron.list_witnesses()
        return int(next(w["voteCount"] for w in listed if w["address"] == witness.address))

    before = await votes_of_witness()
    await devnet.send(tron.trx.freeze_balance(owner.address, 500 * TRX, "ENERGY"), owner)
    await mined(devnet, tron.trx.vote_witness(owner.address, (witness.address, 500)), owner)
    account = await tron.get_account(owner.address)
    assert account["votes"] == [{"vote_address": witness.address, "vote_count": 500}]
    resource = await tron.get_account_resource(owner.address)
    assert (resource["tronPowerUsed"], resource["tronPowerLimit"]) == (500, 500)
    assert await votes_of_witness() == before
    await devnet.advance_time(6 * 3600)
    await devnet.mine(1)
    assert await votes_of_witness() == before + 500


# ---- WithdrawBalance ----


async def test_withdraw_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner, witness = devnet.accounts[0], devnet.witnesses[0]
    withdraw = tron.trx.withdraw_rewards
    assert await rejected(devnet, withdraw(owner.address), owner) == (
        PREFIX + "witnessAccount does not have any reward"
    )
    await devnet.mine(2)
    assert await rejected(devnet, withdraw(witness.address), witness) == (
        PREFIX + f"Account[{witness.hex_address}] is a guard representative and is not allowed "
        "to withdraw Balance"
    )
    address = stranger()
    assert await build_refused(tron, "wallet/withdrawbalance", {"owner_address": address}) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists"
    )


# ---- Transfer ----


async def test_transfer_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner, other = devnet.accounts[0], devnet.accounts[1]
    transfer = tron.trx.transfer
    assert await rejected(devnet, transfer(owner.address, owner.address, TRX), owner) == (
        PREFIX + "Cannot transfer TRX to yourself."
    )
    assert await rejected(devnet, transfer(owner.address, other.address, 0), owner) == (
        PREFIX + "Amount must be greater than 0."
    )
    balance = (await tron.get_account(owner.address))["balance"]
    assert await rejected(devnet, transfer(owner.address, other.address, balance + 1), owner) == (
        PREFIX + "Validate TransferContract error, balance is not sufficient."
    )
    address = stranger()
    body = {"owner_address": address, "to_address": other.address, "amount": TRX}
    assert await build_refused(tron, "wallet/createtransaction", body) == (
        f"{BUILD_PREFIX}Validate TransferContract error, no OwnerAccount."
    )


async def test_transfer_activates_an_account(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    fresh = stranger()
    assert await devnet.post("wallet/getaccount", {"address": fresh, "visible": True}) == {}
    before = (await tron.get_account(owner.address))["balance"]
    info = await mined(devnet, tron.trx.transfer(owner.address, fresh, 3 * TRX), owner)
    assert info["fee"] == 1_100_000
    assert info["receipt"] == {"net_fee": 100_000}
    assert (await tron.get_account(owner.address))["balance"] == before - 3 * TRX - 1_100_000
    assert (await tron.get_account(fresh))["balance"] == 3 * TRX


async def test_bandwidth_runs_out(devnet: Devnet, tron: AsyncTron) -> None:
    poor, other = devnet.accounts[1], devnet.accounts[0]
    balance = (await tron.get_account(poor.address))["balance"]
    await devnet.send(tron.trx.freeze_balance(poor.address, balance - 200_000, "ENERGY"), poor)
    await devnet.send(tron.trx.transfer(poor.address, other.address, 100_000), poor)
    with pytest.raises(UnknownError) as caught:
        await devnet.send(tron.trx.transfer(poor.address, other.address, 1), poor)
    assert caught.value.args == ("Account resource insufficient error.", "BANDWITH_ERROR")
