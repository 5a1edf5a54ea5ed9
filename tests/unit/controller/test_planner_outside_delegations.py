"""Stake the owner delegated by hand to a receiver the service never reads still gives tron
power on chain (reference §3.0): the vote the service casts must leave room for the owner's
own votes on that power instead of scaling them down."""

from __future__ import annotations

import dataclasses

from tests.unit.controller.builders import (
    CHAIN_T0,
    POLICY,
    SUN,
    W1,
    W2,
    position,
    snapshot,
    spec,
    wv,
)
from tron_staking.controller import planner
from tron_staking.domain.enums import StakingOperationType, StakingResourceType, StakingStatusType

ENERGY = StakingResourceType.ENERGY


def test_a_re_vote_keeps_the_owner_s_votes_on_stake_delegated_to_an_unobserved_receiver() -> None:
    frozen = position("p", spec(1_000, votes={W1: 1}), state=StakingStatusType.FROZEN)
    observed = dataclasses.replace(
        snapshot(frozen={ENERGY: 1_000 * SUN}, votes=[wv(W2, 500)], tron_power_limit=1_500),
        delegated_out_total_sun={ENERGY: 500 * SUN},
    )
    plan = planner.plan([frozen], observed, [], CHAIN_T0, POLICY)
    (vote,) = [a for a in plan.actions if a.kind is StakingOperationType.VOTE]
    assert vote.params["votes"] == [
        {"vote_address": W1, "vote_count": 1_000},
        {"vote_address": W2, "vote_count": 500},
    ]
    assert [n.code for n in plan.warnings if n.code == "UnmanagedVotesScaledDown"] == []
