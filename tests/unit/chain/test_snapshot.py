"""The chain snapshot mapping against the verbatim node answers of reference §6 and §10."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from tron_staking.chain import snapshot
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.snapshot import DelegationOut, UnfreezingEntry
from tron_staking.domain.votes import WitnessVote
from tron_staking.errors import ChainUnavailableError

ENERGY = StakingResourceType.ENERGY
BANDWIDTH = StakingResourceType.BANDWIDTH

NILE = Address("TWAFRfZFmhVQZjxM3De7Mp5UZ9sLqWqpHp")
OWNER = Address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
FROM = Address("TDsCgUWZkyBLEEJXP2B1X81bASueT1Uqtf")
TO = Address("TMHy1fRsYsD4gCgTZbysd9yH9AQFQnTZQS")


class Blocks(TypedDict):
    head_block_number: int
    head_block_time_ms: int
    solid_block_number: int
    solid_block_time_ms: int


BLOCKS: Blocks = {
    "head_block_number": 66987565,
    "head_block_time_ms": 1_777_444_812_000,
    "solid_block_number": 66987547,
    "solid_block_time_ms": 1_777_444_758_000,
}

# E1, verbatim (visible=false)
E1_ACCOUNT: dict[str, Any] = {
    "address": "41dd791d6b49e190062d650e6a23c575510d35f2f9",
    "balance": 1793227200,
    "create_time": 1776933207000,
    "latest_opration_time": 1777444809000,
    "free_net_usage": 441,
    "latest_consume_free_time": 1777431471000,
    "net_window_size": 28800000,
    "net_window_optimized": True,
    "account_resource": {
        "latest_consume_time_for_energy": 1777444809000,
        "energy_window_size": 28800000,
        "energy_window_optimized": True,
    },
    "owner_permission": {
        "permission_name": "owner",
        "threshold": 1,
        "keys": [{"address": "41dd791d6b49e190062d650e6a23c575510d35f2f9", "weight": 1}],
    },
    "active_permission": [
        {
            "type": "Active",
            "id": 2,
            "permission_name": "active",
            "threshold": 1,
            "operations": "7fff1fc0033efb0f000000000000000000000000000000000000000000000000",
            "keys": [{"address": "41dd791d6b49e190062d650e6a23c575510d35f2f9", "weight": 1}],
        }
    ],
    "frozenV2": [{}, {"type": "ENERGY"}, {"type": "TRON_POWER"}],
    "assetV2": [{"key": "1005416", "value": 100000000}],
    "free_asset_net_usageV2": [{"key": "1005416", "value": 0}],
    "asset_optimized": True,
}
# E3, verbatim
E3_RESOURCE: dict[str, Any] = {
    "freeNetUsed": 441,
    "freeNetLimit": 600,
    "assetNetUsed": [{"key": "1005416", "value": 0}],
    "assetNetLimit": [{"key": "1005416", "value": 10000}],
    "TotalNetLimit": 43200000000,
    "TotalNetWeight": 68305209098,
    "TotalEnergyLimit": 180000000000,
    "TotalEnergyWeight": 2411528185,
}
# E2, verbatim (stake shape and delegation fields)
E2_ACCOUNT: dict[str, Any] = {
    "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "balance": 42,
    "frozenV2": [
        {"amount": 13000000000},
        {"type": "ENERGY", "amount": 75550000000},
        {"type": "TRON_POWER"},
    ],
    "unfrozenV2": [
        {"type": "ENERGY", "unfreeze_amount": 5000000, "unfreeze_expire_time": 1785236015936}
    ],
    "account_resource": {
        "energy_usage": 7,
        "latest_consume_time_for_energy": 1778753271000,
        "energy_window_size": 28800000,
        "delegated_frozenV2_balance_for_energy": 5000000,
        "acquired_delegated_frozenV2_balance_for_energy": 1000000,
        "energy_window_optimized": True,
    },
}
# E5, verbatim
E5_RECORD: dict[str, Any] = {
    "delegatedResource": [
        {
            "from": "TDsCgUWZkyBLEEJXP2B1X81bASueT1Uqtf",
            "to": "TMHy1fRsYsD4gCgTZbysd9yH9AQFQnTZQS",
            "frozen_balance_for_bandwidth": 308593660,
            "frozen_balance_for_energy": 677377195,
            "expire_time_for_energy": 1785353340000,
        }
    ]
}
# E10, verbatim
E10_WITNESSES: dict[str, Any] = {
    "witnesses": [
        {
            "address": "419c7c7049d26108be0dcb5f78479c6ff27ba101d1",
            "voteCount": 2320142029,
            "url": "http://sr-15.com",
            "totalProduced": 1897834,
            "totalMissed": 252,
            "latestBlockNum": 66987961,
            "latestSlotNum": 592482103,
            "isJobs": True,
        }
    ]
}


def test_unknown_account_is_all_absent() -> None:
    """§6.15: every endpoint answers ``{}`` (getReward ``{"reward": 0}``) for an unknown
    account."""
    observed = snapshot.build(
        OWNER,
        account={},
        account_resource={},
        delegated_resources={TO: {}},
        can_delegated_max_size={ENERGY: {}, BANDWIDTH: {}},
        available_unfreeze_count={},
        reward={"reward": 0},
        witnesses={"witnesses": []},
        receiver_accounts={TO: {}},
        **BLOCKS,
    )
    assert not observed.exists
    assert observed.balance_sun == 0
    assert dict(observed.frozen_sun) == {}
    assert observed.unfreezing == ()
    assert observed.delegations == ()
    assert observed.votes == ()
    assert observed.tron_power_limit == observed.tron_power_used == 0
    assert observed.available_unfreeze_count == 0
    assert observed.free_bandwidth_available_bytes == 0
    assert observed.staked_bandwidth_available_bytes == 0
    assert dict(observed.can_delegate_max_sun) == {ENERGY: 0, BANDWIDTH: 0}
    assert dict(observed.receivers_activated) == {TO: False}
    assert observed.witnesses == frozenset()
    assert observed.latest_withdraw_time_ms is None
    assert observed.head_block_number == 66987565
    assert observed.solid_block_time_ms == 1_777_444_758_000


def test_e1_e3_e4_account_without_stake() -> None:
    observed = snapshot.build(
        OWNER,
        account=E1_ACCOUNT,
        account_resource=E3_RESOURCE,
        delegated_resources={TO: {}},
        can_delegated_max_size={ENERGY: {}},
        available_unfreeze_count={"count": 32},
        reward={"reward": 0},
        **BLOCKS,
    )
    assert observed.exists
    assert observed.balance_sun == 1793227200
    # {} is a zero BANDWIDTH entry, {"type": "ENERGY"} a zero ENERGY one, TRON_POWER ignored
    assert dict(observed.frozen_sun) == {}
    assert observed.tron_power_sun == 0
    assert observed.free_bandwidth_available_bytes == 600 - 441
    assert observed.staked_bandwidth_available_bytes == 0
    assert (observed.free_net_limit, observed.free_net_used) == (600, 441)
    assert (observed.net_limit, observed.net_used) == (0, 0)
    assert (observed.energy_limit, observed.energy_used, observed.energy_available) == (0, 0, 0)
    assert dict(observed.delegated_out_total_sun) == {}
    assert observed.available_unfreeze_count == 32
    assert observed.can_delegate(ENERGY) == 0
    assert observed.delegations == ()
    assert dict(observed.acquired_sun) == {}


def test_e2_stake_shape() -> None:
    observed = snapshot.build(
        OWNER,
        account=E2_ACCOUNT,
        account_resource={"freeNetLimit": 600, "NetUsed": 100, "NetLimit": 1500},
        **BLOCKS,
    )
    assert observed.balance_sun == 42
    assert dict(observed.frozen_sun) == {BANDWIDTH: 13000000000, ENERGY: 75550000000}
    assert observed.unfreezing == (UnfreezingEntry(ENERGY, 5000000, 1785236015936),)
    assert dict(observed.acquired_sun) == {ENERGY: 1000000}
    assert observed.free_bandwidth_available_bytes == 600
    assert observed.staked_bandwidth_available_bytes == 1400
    assert (observed.net_limit, observed.net_used) == (1500, 100)
    assert dict(observed.delegated_out_total_sun) == {ENERGY: 5000000}
    # not read: derived from the pending entries
    assert observed.available_unfreeze_count == 31


def test_bandwidth_unfreeze_entry_has_no_type() -> None:
    account = {
        "address": OWNER,
        "unfrozenV2": [
            {"unfreeze_amount": 7, "unfreeze_expire_time": 1},
            {"type": "TRON_POWER", "unfreeze_amount": 9, "unfreeze_expire_time": 1},
        ],
    }
    observed = snapshot.build(OWNER, account=account, account_resource={}, **BLOCKS)
    assert observed.unfreezing == (UnfreezingEntry(BANDWIDTH, 7, 1),)
    assert observed.withdrawable_sun(observed.chain_time_ms) == 7


def test_e5_delegation_record_locked_per_resource() -> None:
    observed = snapshot.build(
        FROM,
        account={"address": FROM},
        account_resource={},
        delegated_resources={TO: E5_RECORD},
        **BLOCKS,
    )
    assert observed.delegations == (
        DelegationOut(TO, BANDWIDTH, False, 308593660, None),
        DelegationOut(TO, ENERGY, True, 677377195, 1785353340000),
    )
    assert observed.locked_record(TO, ENERGY) == observed.delegations[1]
    assert observed.delegated_to(TO, ENERGY) == 677377195


def test_unlocked_and_locked_records_of_one_pair() -> None:
    body = {
        "delegatedResource": [
            {"from": FROM, "to": TO, "frozen_balance_for_energy": 5_000_000},
            {
                "from": FROM,
                "to": TO,
                "frozen_balance_for_energy": 2_000_000,
                "expire_time_for_energy": 1_000,
            },
        ]
    }
    observed = snapshot.build(
        FROM,
        account={"address": FROM},
        account_resource={},
        delegated_resources={TO: body},
        **BLOCKS,
    )
    assert observed.delegated_to(TO, ENERGY) == 7_000_000
    # the lock (time 1000) has passed: both records may be undelegated
    assert observed.undelegatable(TO, ENERGY, 2_000) == 7_000_000
    assert observed.undelegatable(TO, ENERGY, 1_000) == 5_000_000


def test_votes_resource_reward_and_witnesses() -> None:
    account = {
        "address": OWNER,
        "balance": 5,
        "votes": [
            {"vote_address": "TMHy1fRsYsD4gCgTZbysd9yH9AQFQnTZQS", "vote_count": 700},
            {"vote_address": "41dd791d6b49e190062d650e6a23c575510d35f2f9", "vote_count": 300},
        ],
        "allowance": 11,
        "latest_withdraw_time": 1_777_000_000_000,
    }
    resource = {"freeNetLimit": 600, "tronPowerUsed": 1000, "tronPowerLimit": 1200}
    observed = snapshot.build(
        OWNER,
        account=account,
        account_resource=resource,
        reward={"reward": 29994831460307},
        witnesses=E10_WITNESSES,
        can_delegated_max_size={BANDWIDTH: {"max_size": 3_000_000}},
        receiver_accounts={TO: {"address": TO, "balance": 1}},
        **BLOCKS,
    )
    assert observed.votes == (WitnessVote(TO, 700), WitnessVote(NILE, 300))
    assert observed.tron_power_used == 1000
    assert observed.tron_power_limit == 1200
    assert observed.allowance_sun == 11
    assert observed.reward_sun == 29994831460307
    assert observed.latest_withdraw_time_ms == 1_777_000_000_000
    assert observed.witnesses == frozenset({Address("TQEdV8bvHgtuEqUCbC8N2S6ad6KizNBMtB")})
    assert observed.can_delegate(BANDWIDTH) == 3_000_000
    assert dict(observed.receivers_activated) == {TO: True}


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("account", {"Error": "class org.tron.core.exception.BadItemException : nope"}),
        ("account", {"balance": "lots"}),
        ("account", {"frozenV2": [{"type": "GAS", "amount": 1}]}),
        ("account", {"votes": [{"vote_address": "nope", "vote_count": 1}]}),
        ("account_resource", {"freeNetLimit": True}),
    ],
)
def test_unusable_answers_are_transient(field: str, body: dict[str, Any]) -> None:
    bodies: dict[str, Any] = {"account": {"address": OWNER}, "account_resource": {}, field: body}
    with pytest.raises(ChainUnavailableError):
        snapshot.build(OWNER, **bodies, **BLOCKS)


def test_energy_and_bandwidth_figures_of_getaccountresource() -> None:
    """EnergyLimit/EnergyUsed, NetLimit/NetUsed and freeNetLimit/freeNetUsed are carried as
    the node computed them (usage already decayed to the head); available never goes below
    zero (a limit that shrank under the usage, e.g. after an unfreeze)."""
    account = {**E2_ACCOUNT, "delegated_frozenV2_balance_for_bandwidth": 7}
    resource = {
        "freeNetUsed": 12,
        "freeNetLimit": 600,
        "NetUsed": 300,
        "NetLimit": 200,
        "EnergyUsed": 1_000,
        "EnergyLimit": "180000000000",
        "TotalEnergyLimit": 180000000000,
        "TotalEnergyWeight": 75550,
    }
    observed = snapshot.build(OWNER, account=account, account_resource=resource, **BLOCKS)
    assert (observed.energy_limit, observed.energy_used) == (180_000_000_000, 1_000)
    assert observed.energy_available == 180_000_000_000 - 1_000
    assert (observed.net_limit, observed.net_used) == (200, 300)
    assert observed.staked_bandwidth_available_bytes == 0
    assert (observed.free_net_limit, observed.free_net_used) == (600, 12)
    assert dict(observed.delegated_out_total_sun) == {BANDWIDTH: 7, ENERGY: 5000000}
    over = snapshot.build(
        OWNER, account=account, account_resource={**resource, "EnergyUsed": 9, "EnergyLimit": 5},
        **BLOCKS,
    )  # fmt: skip
    assert over.energy_available == 0
