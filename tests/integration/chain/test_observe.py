"""``observe`` and ``observe_solid`` against the devnet's own answers after freeze, vote,
delegate and unfreeze, and the requests one observation costs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.chain.support import DevnetSigner, RequestLog, send_and_mine
from tests.support.devnet import Devnet
from tron_staking.chain.client import TronChainClient
from tron_staking.chain.transactions import TxKind
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.snapshot import DelegationOut, UnfreezingEntry
from tron_staking.domain.votes import WitnessVote

pytestmark = pytest.mark.anyio

TRX = 1_000_000
ENERGY = StakingResourceType.ENERGY
BANDWIDTH = StakingResourceType.BANDWIDTH


async def _account(devnet: Devnet, address: str) -> dict[str, Any]:
    body: dict[str, Any] = await devnet.post(
        "wallet/getaccount", {"address": address, "visible": True}
    )
    return body


async def _stake(devnet: Devnet, client: TronChainClient, signer: DevnetSigner) -> None:
    owner, receiver = devnet.accounts[0].address, devnet.accounts[1].address
    witness = devnet.witnesses[0].address
    steps: list[tuple[TxKind, dict[str, Any]]] = [
        (TxKind.FREEZE, {"frozen_balance": 300 * TRX, "resource": "ENERGY"}),
        (TxKind.FREEZE, {"frozen_balance": 40 * TRX, "resource": "BANDWIDTH"}),
        (TxKind.VOTE, {"votes": [{"vote_address": witness, "vote_count": 250}]}),
        (
            TxKind.DELEGATE,
            {"receiver_address": receiver, "balance": 100 * TRX, "resource": "ENERGY"},
        ),
        (TxKind.UNFREEZE, {"unfreeze_balance": 25 * TRX, "resource": "ENERGY"}),
    ]
    for kind, params in steps:
        await send_and_mine(devnet, client, signer, owner, kind, params)


async def test_observe_matches_the_chain(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    await _stake(devnet, client, signer)
    owner, receiver = Address(devnet.accounts[0].address), Address(devnet.accounts[1].address)
    stranger = Address(devnet.accounts[2].address)
    observed = await client.observe(owner, [receiver, stranger])
    account = await _account(devnet, owner)
    head = await client.head()
    unfrozen = account["unfrozenV2"][0]

    assert observed.exists
    assert observed.head_block_number == head.number
    assert observed.head_block_time_ms == head.timestamp_ms
    assert observed.solid_block_number == (await client.solid_head()).number
    assert observed.balance_sun == account["balance"]
    assert dict(observed.frozen_sun) == {ENERGY: 175 * TRX, BANDWIDTH: 40 * TRX}
    assert observed.votes == (WitnessVote(Address(devnet.witnesses[0].address), 250),)
    assert observed.delegations == (
        DelegationOut(receiver=receiver, resource=ENERGY, locked=False, amount_sun=100 * TRX),
    )
    assert observed.unfreezing == (
        UnfreezingEntry(ENERGY, 25 * TRX, unfrozen["unfreeze_expire_time"]),
    )
    assert observed.available_unfreeze_count == 31
    assert observed.tron_power_limit == 315
    assert observed.tron_power_used == 250
    assert observed.receivers_activated == {receiver: True, stranger: True}
    assert observed.can_delegate(ENERGY) == 175 * TRX
    assert observed.can_delegate(BANDWIDTH) > 0
    assert Address(devnet.witnesses[0].address) in observed.witnesses
    reward: dict[str, Any] = await devnet.post("wallet/getReward", {"address": owner})
    assert observed.reward_sun == reward["reward"]


async def test_an_unknown_owner_and_receiver(devnet: Devnet, client: TronChainClient) -> None:
    nobody = Address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    observed = await client.observe(nobody, [])
    assert not observed.exists
    assert observed.balance_sun == 0
    owner = Address(devnet.accounts[3].address)
    with_receiver = await client.observe(owner, [nobody])
    assert with_receiver.receivers_activated == {nobody: False}
    assert with_receiver.delegations == ()


async def test_observe_costs_few_requests(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner, request_log: RequestLog
) -> None:
    await _stake(devnet, client, signer)
    owner, receiver = Address(devnet.accounts[0].address), Address(devnet.accounts[1].address)
    request_log.clear()
    await client.observe(owner, [receiver])
    assert sorted(request_log.paths()) == sorted(
        [
            "wallet/getnowblock",
            "walletsolidity/getnowblock",
            "wallet/getaccount",
            "wallet/getaccountresource",
            "wallet/getReward",  # the account votes
            "wallet/getdelegatedresourcev2",  # the delegation proves the receiver exists
            "wallet/getcandelegatedmaxsize",  # ENERGY
            "wallet/getcandelegatedmaxsize",  # BANDWIDTH
            "wallet/listwitnesses",
        ]
    )
    request_log.clear()
    idle = Address(devnet.accounts[5].address)
    await client.observe(idle, [])
    assert sorted(request_log.paths()) == sorted(
        [
            "wallet/getnowblock",
            "walletsolidity/getnowblock",
            "wallet/getaccount",
            "wallet/getaccountresource",
            "wallet/listwitnesses",
        ]
    )


async def test_observe_solid_trails_the_head(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner, receiver = devnet.accounts[0].address, devnet.accounts[1].address
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.FREEZE,
        {"frozen_balance": 50 * TRX, "resource": "ENERGY"},
    )
    await send_and_mine(
        devnet,
        client,
        signer,
        owner,
        TxKind.DELEGATE,
        {"receiver_address": receiver, "balance": 20 * TRX, "resource": "ENERGY"},
    )
    head_view = await client.observe(Address(owner), [Address(receiver)])
    solid_view = await client.observe_solid(Address(owner), [Address(receiver)])
    assert head_view.delegated_to(Address(receiver), ENERGY) == 20 * TRX
    assert solid_view.frozen(ENERGY) == 0
    assert solid_view.delegations == ()
    assert solid_view.head_block_number == head_view.solid_block_number
    await devnet.mine(20)
    solid_view = await client.observe_solid(Address(owner), [Address(receiver)])
    assert solid_view.frozen(ENERGY) == 30 * TRX
    assert solid_view.delegated_to(Address(receiver), ENERGY) == 20 * TRX
    assert solid_view.balance_sun == (await _account(devnet, owner))["balance"]
