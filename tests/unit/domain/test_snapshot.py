"""Account snapshots: derived amounts the planner relies on."""

from __future__ import annotations

import dataclasses

from tests.unit.controller.builders import (
    CHAIN_T0,
    OWNER,
    RECEIVER,
    RECEIVER2,
    SUN,
    W1,
    W2,
    snapshot,
    wv,
)
from tron_staking.domain import bandwidth
from tron_staking.domain.enums import StakingOperationType, StakingResourceType
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry

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


def test_tron_power_counts_stake_delegated_to_receivers_nobody_observes() -> None:
    """Stake the owner delegated by hand to a receiver the service does not read keeps its
    tron power on chain: the vote limit must count it, or a re-vote drops the owner's votes."""
    energy = StakingResourceType.ENERGY
    observed = AccountSnapshot(
        owner=OWNER,
        exists=True,
        head_block_number=10,
        head_block_time_ms=30_000,
        solid_block_number=1,
        solid_block_time_ms=3_000,
        balance_sun=0,
        frozen_sun={energy: 1_000 * SUN},
        delegated_out_total_sun={energy: 500 * SUN},
    )
    assert observed.delegated_out(energy) == 0
    assert observed.delegated_out_all(energy) == 500 * SUN
    assert observed.tron_power_sun == 1_500 * SUN
    # The observed records are part of the node's total, never added to it.
    record = DelegationOut(receiver=RECEIVER, resource=energy, locked=False, amount_sun=200 * SUN)
    with_record = dataclasses.replace(observed, delegations=(record,))
    assert with_record.tron_power_sun == 1_500 * SUN
    # A node that reports no total: the observed records count.
    no_total = dataclasses.replace(with_record, delegated_out_total_sun={})
    assert no_total.tron_power_sun == 1_200 * SUN
