"""``/resources/{address}`` after real Stake 2.0 transactions on the devnet: energy and
bandwidth ``limit``/``used``/``available`` are the chain's figures, checked against the
reference's resource formula (§5) over the network totals the devnet reports, and against the
bandwidth the transactions' receipts say they consumed."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
import redis.asyncio
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransactionRet

from tests.api import harness
from tests.support.devnet import Devnet, DevnetAccount

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
SUN = 1_000_000
ENERGY_STAKE_SUN = 1_000 * SUN
BANDWIDTH_STAKE_SUN = 500 * SUN
DELEGATED_SUN = 100 * SUN
FREE_NET_LIMIT = 600
"""``getFreeNetLimit`` on mainnet (reference §4), the devnet's default."""
WINDOW = 28_800
"""Slots (3 s) over which usage recovers, for a fresh account's window too."""


def increased(last_usage: int, usage: int, slots_since: int) -> int:
    """Reference §5: ``last_usage`` decayed over ``slots_since`` slots of the 28,800-slot
    window, plus ``usage`` (bytes or energy): averages are kept ×1e6 per slot, rounded up when
    added, rounded (Java ``Math.round``) when decayed, and truncated back to usage."""
    average = -(-last_usage * 1_000_000 // WINDOW)
    if slots_since:
        average = math.floor(average * (WINDOW - slots_since) / WINDOW + 0.5)
    average += -(-usage * 1_000_000 // WINDOW)
    return average * WINDOW // 1_000_000


def limit_of(stake_sun: int, total_limit: int, total_weight: int) -> int:
    """Reference §5: ``(long)((stake_sun / 1e6 as double) × TotalLimit / TotalWeight)``."""
    if total_weight == 0:
        return 0
    return int(stake_sun / 1e6 * total_limit / total_weight)


async def net_usage(devnet: Devnet, txid: str) -> int:
    info = await devnet.post("wallet/gettransactioninfobyid", {"value": txid})
    assert info["blockNumber"] > 0
    return int(info["receipt"]["net_usage"])


async def forget_views(redis_url: str, *addresses: str) -> None:
    """The session's Redis outlives other modules' devnets (same seeded addresses)."""
    connection = redis.asyncio.Redis.from_url(redis_url)
    try:
        await connection.delete(*(f"resource_info:{a}" for a in addresses))
    finally:
        await connection.aclose()


async def stake_and_delegate(
    devnet: Devnet, tron: AsyncTron, owner: DevnetAccount, receiver: DevnetAccount
) -> list[AsyncTransactionRet]:
    # Three transactions in one block, each seeing the previous ones' effect: the two freezes
    # pay with free bandwidth (no staked bandwidth yet), the delegation with staked bandwidth.
    return [
        await devnet.send(
            tron.trx.freeze_balance(owner.address, ENERGY_STAKE_SUN, "ENERGY"), owner
        ),
        await devnet.send(
            tron.trx.freeze_balance(owner.address, BANDWIDTH_STAKE_SUN, "BANDWIDTH"), owner
        ),
        await devnet.send(
            tron.trx.delegate_resource(owner.address, receiver.address, DELEGATED_SUN, "ENERGY"),
            owner,
        ),
    ]


async def test_resources_are_the_chains_figures_after_a_freeze_and_a_delegation(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    devnet_module: Devnet,
    redis_url: str,
) -> None:
    owner: DevnetAccount = devnet_module.accounts[2]
    receiver: DevnetAccount = devnet_module.accounts[3]
    tron = devnet_module.client()
    try:
        sent = await stake_and_delegate(devnet_module, tron, owner, receiver)
    finally:
        await tron.close()
    await devnet_module.mine(1)
    freeze_energy, freeze_bandwidth, delegate = [
        await net_usage(devnet_module, r.txid) for r in sent
    ]
    totals = await devnet_module.post(
        "wallet/getaccountresource", {"address": owner.address, "visible": True}
    )
    account = await devnet_module.post(
        "wallet/getaccount", {"address": owner.address, "visible": True}
    )
    head_slot = await devnet_module.head_time_ms() // 3000
    # The three transactions ran in one block (one slot); the usage decays to the head's slot.
    free_used = increased(
        increased(increased(0, freeze_energy, 0), freeze_bandwidth, 0),
        0,
        head_slot - account["latest_consume_free_time"] // 3000,
    )
    net_used = increased(
        increased(0, delegate, 0), 0, head_slot - account["latest_consume_time"] // 3000
    )
    assert free_used in (freeze_energy + freeze_bandwidth, freeze_energy + freeze_bandwidth - 1)
    await forget_views(redis_url, owner.address, receiver.address)

    response = await client.get(
        f"{P}/resources/{owner.address}", headers=harness.bearer(api.token(owner.address))
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    energy_limit = limit_of(
        ENERGY_STAKE_SUN - DELEGATED_SUN, totals["TotalEnergyLimit"], totals["TotalEnergyWeight"]
    )
    net_limit = limit_of(BANDWIDTH_STAKE_SUN, totals["TotalNetLimit"], totals["TotalNetWeight"])
    assert energy_limit > 0
    assert net_limit > net_used > 0
    assert body["energy"] == {
        "limit": energy_limit,
        "used": 0,
        "available": energy_limit,
        "staked_sun": ENERGY_STAKE_SUN,
        "delegatable_sun": 0,  # read only when the owner's positions name a receiver
        "delegated_out_sun": DELEGATED_SUN,
        "delegated_in_sun": 0,
    }
    assert body["bandwidth"] == {
        "limit": net_limit,
        "used": net_used,
        "available": net_limit - net_used,
        "free_limit": FREE_NET_LIMIT,
        "free_used": free_used,
        "free_available": FREE_NET_LIMIT - free_used,
        "staked_sun": BANDWIDTH_STAKE_SUN,
        "delegatable_sun": 0,
        "delegated_out_sun": 0,
        "delegated_in_sun": 0,
    }
    assert body["address"] == owner.address
    assert body["observed_block"] == (await devnet_module.state())["head"]["number"]

    received = await client.get(
        f"{P}/resources/{receiver.address}", headers=harness.bearer(api.token(receiver.address))
    )
    assert received.status_code == 200
    energy_in = received.json()["energy"]
    assert energy_in["limit"] == limit_of(
        DELEGATED_SUN, totals["TotalEnergyLimit"], totals["TotalEnergyWeight"]
    )
    assert energy_in["delegated_in_sun"] == DELEGATED_SUN
    assert energy_in["staked_sun"] == 0
