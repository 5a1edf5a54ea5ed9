"""Stake 2.0 contracts over HTTP with tronpy: FreezeBalanceV2, UnfreezeBalanceV2,
WithdrawExpireUnfreeze and CancelAllUnfreezeV2 — the messages tronpy surfaces and the state.

Broadcast refusals reach tronpy as ``ValidationError("Contract validate error : …")``; the
node-side builders (``wallet/freezebalancev2`` …) answer ``{"Error": …}``, which tronpy turns
into ``ApiError``. The module also holds the small helpers the other acceptance modules use.
"""

from __future__ import annotations

from typing import Any

import pytest
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransactionBuilder
from tronpy.exceptions import ApiError, ValidationError

from tests.support.devnet import Devnet, DevnetAccount
from tron_devnet import crypto, genesis, params

pytestmark = pytest.mark.anyio

TRX = 1_000_000
DAY_S = 86_400
PREFIX = "Contract validate error : "
BUILD_PREFIX = "class org.tron.core.exception.ContractValidateException : "


# ---- helpers shared by the acceptance modules ----


async def rejected(devnet: Devnet, builder: AsyncTransactionBuilder, signer: DevnetAccount) -> str:
    """Broadcast through tronpy and return the ``ValidationError`` text."""
    with pytest.raises(ValidationError) as caught:
        await devnet.send(builder, signer)
    return str(caught.value)


async def build_refused(tron: AsyncTron, path: str, body: dict[str, Any]) -> str:
    """Call a node-side builder; return the ``ApiError`` text tronpy raises for its answer."""
    payload = await tron.provider.make_request(path, {**body, "visible": True})
    with pytest.raises(ApiError) as caught:
        tron._handle_api_error(payload)
    return str(caught.value)


async def mined(devnet: Devnet, builder: AsyncTransactionBuilder, signer: DevnetAccount) -> Any:
    """Send, mine one block, return the transaction info."""
    return await devnet.send_and_mine(builder, signer)


def cancel_all(tron: AsyncTron, owner: str) -> AsyncTransactionBuilder:
    """tronpy has no CancelAllUnfreezeV2 helper; its generic builder takes any contract."""
    return tron.trx._build_transaction(
        "CancelAllUnfreezeV2Contract", {"owner_address": crypto.parse_address(owner).hex()}
    )


def stranger() -> str:
    """A valid address with no account on chain."""
    return crypto.address_to_base58(
        crypto.private_key_to_address(crypto.derive_private_key("acceptance", 7, "stranger"))
    )


async def advance_days(devnet: Devnet, days: float) -> None:
    await devnet.advance_time(days * DAY_S)
    await devnet.mine(1)


# ---- FreezeBalanceV2 ----


async def test_freeze_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    freeze = tron.trx.freeze_balance
    assert await rejected(devnet, freeze(owner.address, 0, "ENERGY"), owner) == (
        PREFIX + "frozenBalance must be positive"
    )
    assert await rejected(devnet, freeze(owner.address, TRX - 1, "ENERGY"), owner) == (
        PREFIX + "frozenBalance must be greater than or equal to 1 TRX"
    )
    balance = (await tron.get_account(owner.address))["balance"]
    assert await rejected(devnet, freeze(owner.address, balance + 1, "ENERGY"), owner) == (
        PREFIX + "frozenBalance must be less than or equal to accountBalance"
    )
    assert await rejected(devnet, freeze(owner.address, TRX, "TRON_POWER"), owner) == (
        PREFIX + "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]"
    )


async def test_freeze_for_missing_account(tron: AsyncTron) -> None:
    address = stranger()
    body = {"owner_address": address, "frozen_balance": TRX, "resource": "ENERGY"}
    assert await build_refused(tron, "wallet/freezebalancev2", body) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists"
    )


async def test_freeze_state(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    before = (await tron.get_account(owner.address))["balance"]
    info = await mined(devnet, tron.trx.freeze_balance(owner.address, 1_000 * TRX, "ENERGY"), owner)
    assert info["receipt"] == {"net_usage": 254}
    account = await tron.get_account(owner.address)
    assert account["balance"] == before - 1_000 * TRX
    assert account["frozenV2"] == [
        {},
        {"type": "ENERGY", "amount": 1_000 * TRX},
        {"type": "TRON_POWER"},
    ]
    resource = await tron.get_account_resource(owner.address)
    assert resource["TotalEnergyWeight"] == 1_000
    assert resource["tronPowerLimit"] == 1_000
    assert resource["EnergyLimit"] == 180_000_000_000


# ---- UnfreezeBalanceV2 ----


async def test_unfreeze_rules(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    unfreeze = tron.trx.unfreeze_balance
    assert await rejected(
        devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=TRX), owner
    ) == (PREFIX + "no frozenBalance(Energy)")
    assert (
        await rejected(devnet, unfreeze(owner.address, "BANDWIDTH", unfreeze_balance=TRX), owner)
        == PREFIX + "no frozenBalance(BANDWIDTH)"
    )
    await mined(devnet, tron.trx.freeze_balance(owner.address, 10 * TRX, "ENERGY"), owner)
    assert (
        await rejected(
            devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=10 * TRX + 1), owner
        )
        == PREFIX + f"Invalid unfreeze_balance, [{10 * TRX + 1}] is error"
    )
    assert (
        await rejected(devnet, unfreeze(owner.address, "TRON_POWER", unfreeze_balance=TRX), owner)
        == PREFIX + "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]"
    )


async def test_unfreeze_for_missing_account(tron: AsyncTron) -> None:
    address = stranger()
    body = {"owner_address": address, "unfreeze_balance": TRX, "resource": "ENERGY"}
    assert await build_refused(tron, "wallet/unfreezebalancev2", body) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] does not exist"
    )


async def test_unfreeze_state_and_withdraw_after_the_delay(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    await mined(
        devnet, tron.trx.unfreeze_balance(owner.address, "ENERGY", unfreeze_balance=40 * TRX), owner
    )
    account = await tron.get_account(owner.address)
    entry = account["unfrozenV2"][0]
    assert entry["type"] == "ENERGY"
    assert entry["unfreeze_amount"] == 40 * TRX
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 60 * TRX}
    withdraw = tron.trx.withdraw_stake_balance
    assert await rejected(devnet, withdraw(owner.address), owner) == (
        PREFIX + "no unFreeze balance to withdraw "
    )
    query = {"owner_address": owner.address, "visible": True}
    assert await devnet.post("wallet/getavailableunfreezecount", query) == {"count": 31}
    assert await devnet.post("wallet/getcanwithdrawunfreezeamount", query) == {}
    await advance_days(devnet, 14)
    assert await devnet.post("wallet/getcanwithdrawunfreezeamount", query) == {"amount": 40 * TRX}
    before = (await tron.get_account(owner.address))["balance"]
    info = await mined(devnet, withdraw(owner.address), owner)
    assert info["withdraw_expire_amount"] == 40 * TRX
    account = await tron.get_account(owner.address)
    assert account["balance"] == before + 40 * TRX
    assert "unfrozenV2" not in account


async def test_withdraw_expire_for_missing_account(tron: AsyncTron) -> None:
    address = stranger()
    assert await build_refused(
        tron, "wallet/withdrawexpireunfreeze", {"owner_address": address}
    ) == (f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists")


# ---- CancelAllUnfreezeV2 ----


async def test_cancel_all(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    assert await rejected(devnet, cancel_all(tron, owner.address), owner) == (
        PREFIX + "No unfreezeV2 list to cancel"
    )
    await mined(devnet, tron.trx.freeze_balance(owner.address, 100 * TRX, "ENERGY"), owner)
    unfreeze = tron.trx.unfreeze_balance
    await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=4 * TRX), owner)
    await advance_days(devnet, 14)
    await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=10 * TRX), owner)
    await mined(devnet, unfreeze(owner.address, "ENERGY", unfreeze_balance=3 * TRX), owner)
    info = await mined(devnet, cancel_all(tron, owner.address), owner)
    assert "withdraw_expire_amount" not in info  # the matured 4 TRX were swept by an unfreeze
    assert info["cancel_unfreezeV2_amount"] == [
        {"key": "ENERGY", "value": 13 * TRX},
        {"key": "TRON_POWER", "value": 0},
        {"key": "BANDWIDTH", "value": 0},
    ]
    account = await tron.get_account(owner.address)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 96 * TRX}
    assert "unfrozenV2" not in account


async def test_cancel_all_for_missing_account(tron: AsyncTron) -> None:
    address = stranger()
    assert await build_refused(tron, "wallet/cancelallunfreezev2", {"owner_address": address}) == (
        f"{BUILD_PREFIX}Account[{crypto.parse_address(address).hex()}] not exists"
    )


def with_parameters(**chain_parameters: int) -> dict[str, Any]:
    """``devnet_options`` for a devnet whose genesis overrides some chain parameters."""
    gen = genesis.default_genesis()
    gen.chain_parameters = params.chain_parameters(chain_parameters)
    return {"genesis": gen}


@pytest.mark.parametrize("devnet_options", [with_parameters(getAllowCancelAllUnfreezeV2=0)])
async def test_cancel_all_can_be_disabled(devnet: Devnet, tron: AsyncTron) -> None:
    owner = devnet.accounts[0]
    assert await rejected(devnet, cancel_all(tron, owner.address), owner) == (
        PREFIX + "Not support CancelAllUnfreezeV2 transaction, need to be opened by the committee"
    )
