"""Account snapshots: derived amounts the planner relies on."""

from __future__ import annotations

import dataclasses

from tests.unit.controller.builders import CHAIN_T0, RECEIVER, RECEIVER2, W1, W2, snapshot, wv
from tron_staking.domain import bandwidth
from tron_staking.domain.enums import StakingOperationType, StakingResourceType
from tron_staking.domain.snapshot import DelegationOut, UnfreezingEntry

EN, BW = StakingResourceType.ENERGY, StakingResourceType.BANDWIDTH


def test_derived_amounts() -> None:
    observed = snapshot(
        frozen={EN: 5_000_000, BW: 1_000_000},
        delegations=[
            DelegationOut(RECEIVER, EN, False, 2_000_000),
            DelegationOut(RECEIVER, EN, True, 3_000_000, CHAIN_T0 - 1),
            DelegationOut(RECEIVER2, EN, True, 4_000_000, CHAIN_T0 + 1),
        ],
        unfreezing=[
            UnfreezingEntry(EN, 7, CHAIN_T0),
            UnfreezingEntry(BW, 9, CHAIN_T0 + 1),
        ],
        votes=[wv(W1, 2), wv(W2, 3), wv(W1, 1)],
    )
    assert observed.delegated_out(EN) == 9_000_000
    assert observed.staked(EN) == 14_000_000
    assert observed.tron_power_sun == 15_000_000
    assert observed.delegated_to(RECEIVER, EN) == 5_000_000
    assert observed.undelegatable(RECEIVER, EN, CHAIN_T0) == 5_000_000  # lock ended before now
    assert observed.undelegatable(RECEIVER, EN, CHAIN_T0 - 1) == 2_000_000  # not strictly before
    assert observed.undelegatable(RECEIVER2, EN, CHAIN_T0) == 0
    locked = observed.locked_record(RECEIVER2, EN)
    assert locked is not None
    assert locked.amount_sun == 4_000_000
    assert observed.locked_record(RECEIVER, BW) is None
    assert observed.votes_by_witness == {W1: 3, W2: 3}
    assert observed.total_votes == 6
    assert observed.withdrawable_sun(CHAIN_T0) == 7
    assert observed.unfreezing_pending(CHAIN_T0) == (UnfreezingEntry(BW, 9, CHAIN_T0 + 1),)
    assert observed.chain_time_ms == CHAIN_T0
    assert observed.balance_trx == "100000"


def test_bandwidth_estimates_cover_the_reference_sizes() -> None:
    kind = StakingOperationType
    assert bandwidth.estimate_bytes(kind.FREEZE, resource=EN) >= 254
    assert bandwidth.estimate_bytes(kind.FREEZE, resource=BW) >= 252
    assert bandwidth.estimate_bytes(kind.DELEGATE, resource=EN, lock=True) >= 285
    assert bandwidth.estimate_bytes(kind.VOTE, vote_entries=5) >= 386
    assert bandwidth.estimate_bytes(kind.CLAIM_REWARDS) >= 246
    assert bandwidth.burn_fee_sun(254) == 254_000


def test_energy_available_is_the_limit_less_the_usage_never_negative() -> None:
    assert snapshot().energy_available == 0
    assert dataclasses.replace(snapshot(), energy_limit=50, energy_used=20).energy_available == 30
    assert dataclasses.replace(snapshot(), energy_limit=5, energy_used=20).energy_available == 0
