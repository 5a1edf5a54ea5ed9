"""DelegateResource and UnDelegateResource over HTTP with tronpy: messages, records, locks."""

from __future__ import annotations

import pytest
from tronpy import AsyncTron

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


async def staked(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    await devnet.send(tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "BANDWIDTH"), owner)


async def test_delegate_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    delegate = tron.trx.delegate_resource
    await staked(devnet, tron)
    cases = [
        (
            delegate(owner.address, receiver.address, TRX - 1, "ENERGY"),
            "delegateBalance must be greater than or equal to 1 TRX",
        ),
        (
            delegate(owner.address, receiver.address, 100 * TRX + 1, "ENERGY"),
            "delegateBalance must be less than or equal to available FreezeEnergyV2 balance",
        ),
        (
            delegate(owner.address, receiver.address, 100 * TRX + 1, "BANDWIDTH"),
            "delegateBalance must be less than or equal to available FreezeBandwidthV2 balance",
        ),
        (
            delegate(owner.address, owner.address, TRX, "ENERGY"),
            "receiverAddress must not be the same as ownerAddress",
        ),
        (
            delegate(
                owner.address, receiver.address, TRX, "ENERGY", lock=True, lock_period=864_001
            ),
            "The lock period of delegate resource cannot be less than 0 and cannot exceed 864000!",
        ),
    ]
    for builder, message in cases:
        assert await rejected(devnet, builder, owner) == PREFIX + message
    missing = stranger()
    assert await rejected(devnet, delegate(owner.address, missing, TRX, "ENERGY"), owner) == (
        PREFIX + f"Account[{crypto.parse_address(missing).hex()}] not exists"
    )


async def test_delegate_for_missing_owner(tron: AsyncTron, devnet: Devnet) -> None:
    address = stranger()
    body = {
        "owner_address": address,
        "receiver_address": devnet.accounts[1].address,
        "balance": TRX,
        "resource": "ENERGY",
    }
    assert await build_refused(tron, "wallet/delegateresource", body) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists"
    )


async def test_lock_cannot_be_shortened(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await staked(devnet, tron)
    delegate = tron.trx.delegate_resource
    await mined(
        devnet,
        delegate(owner.address, receiver.address, TRX, "ENERGY", lock=True, lock_period=1_000),
        owner,
    )
    short = delegate(owner.address, receiver.address, TRX, "ENERGY", lock=True, lock_period=10)
    assert await rejected(devnet, short, owner) == (
        PREFIX + "The lock period for ENERGY this time cannot be less than the remaining "
        "time[2997000ms] of the last lock period for ENERGY!"
    )


async def test_delegation_records_and_index(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await staked(devnet, tron)
    delegate = tron.trx.delegate_resource
    await devnet.send(delegate(owner.address, receiver.address, 30 * TRX, "ENERGY"), owner)
    await mined(
        devnet, delegate(owner.address, receiver.address, 7 * TRX, "ENERGY", lock=True), owner
    )
    head = await devnet.head_time_ms()
    records = await tron.get_delegated_resource_v2(owner.address, receiver.address)
    assert records == {
        "delegatedResource": [
            {"from": owner.address, "to": receiver.address, "frozen_balance_for_energy": 30 * TRX},
            {
                "from": owner.address,
                "to": receiver.address,
                "frozen_balance_for_energy": 7 * TRX,
                "expire_time_for_energy": head - 3_000 + 86_400 * 3_000,
            },
        ]
    }
    index = await tron.get_delegated_resource_account_index_v2(owner.address)
    assert index == {"account": owner.address, "toAccounts": [receiver.address]}
    index = await tron.get_delegated_resource_account_index_v2(receiver.address)
    assert index == {"account": receiver.address, "fromAccounts": [owner.address]}
    owner_json = await tron.get_account(owner.address)
    assert owner_json["account_resource"]["delegated_frozenV2_balance_for_energy"] == 37 * TRX
    assert owner_json["frozenV2"][1] == {"type": "ENERGY", "amount": 63 * TRX}
    receiver_json = await tron.get_account(receiver.address)
    assert receiver_json["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"] == (
        37 * TRX
    )
    maximum = await tron.get_can_delegated_max_size(owner.address, "ENERGY")
    assert maximum == {"max_size": 63 * TRX}


async def test_undelegate_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    undelegate = tron.trx.undelegate_resource
    assert (
        await rejected(devnet, undelegate(owner.address, receiver.address, TRX, "ENERGY"), owner)
        == PREFIX + "delegated Resource does not exist"
    )
    await staked(devnet, tron)
    await mined(
        devnet,
        tron.trx.delegate_resource(owner.address, receiver.address, 5 * TRX, "ENERGY"),
        owner,
    )
    assert (
        await rejected(devnet, undelegate(owner.address, receiver.address, 0, "ENERGY"), owner)
        == PREFIX + "unDelegateBalance must be more than 0 TRX"
    )
    assert (
        await rejected(
            devnet, undelegate(owner.address, receiver.address, 6 * TRX, "ENERGY"), owner
        )
        == PREFIX
        + "insufficient delegateFrozenBalance(Energy), request=6000000, unlock_balance=5000000"
    )
    assert (
        await rejected(devnet, undelegate(owner.address, receiver.address, TRX, "BANDWIDTH"), owner)
        == PREFIX
        + "insufficient delegatedFrozenBalance(BANDWIDTH), request=1000000, unlock_balance=0"
    )
    assert (
        await rejected(devnet, undelegate(owner.address, owner.address, TRX, "ENERGY"), owner)
        == PREFIX + "receiverAddress must not be the same as ownerAddress"
    )


async def test_undelegate_for_missing_owner(tron: AsyncTron, devnet: Devnet) -> None:
    address = stranger()
    body = {
        "owner_address": address,
        "receiver_address": devnet.accounts[1].address,
        "balance": TRX,
        "resource": "ENERGY",
    }
    assert await build_refused(tron, "wallet/undelegateresource", body) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] does not exist"
    )


async def test_undelegate_restores_the_stake(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    await staked(devnet, tron)
    await mined(
        devnet,
        tron.trx.delegate_resource(owner.address, receiver.address, 20 * TRX, "BANDWIDTH"),
        owner,
    )
    await mined(
        devnet,
        tron.trx.undelegate_resource(owner.address, receiver.address, 20 * TRX, "BANDWIDTH"),
        owner,
    )
    account = await tron.get_account(owner.address)
    assert account["frozenV2"][0] == {"amount": 100 * TRX}
    assert "delegated_frozenV2_balance_for_bandwidth" not in account
    assert await tron.get_delegated_resource_v2(owner.address, receiver.address) == {}
    index = await tron.get_delegated_resource_account_index_v2(owner.address)
    assert index == {"account": owner.address}
