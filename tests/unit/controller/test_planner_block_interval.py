"""The requeue delay follows the chain's block interval (``STAKING_BLOCK_INTERVAL_S``): one
block while anything is in flight, never sooner than one block or one second, whichever is
shorter, and a non-positive interval is refused."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.controller.builders import CHAIN_T0, POLICY, operation, position, snapshot, spec
from tron_staking.controller import planner
from tron_staking.controller.planner import status
from tron_staking.controller.planner.work import Round
from tron_staking.domain.enums import OperationState, StakingOperationType, StakingStatusType
from tron_staking.domain.position import Position


def frozen_position() -> Position:
    return position("p", spec(100), state=StakingStatusType.FROZEN)


def requeue(policy: planner.PlannerPolicy, *, in_flight: bool) -> float:
    p = frozen_position()
    ops = (
        [operation("f", StakingOperationType.FREEZE, [p], {}, state=OperationState.BROADCAST)]
        if in_flight
        else []
    )
    return status.result(Round([p], snapshot(), ops, CHAIN_T0, policy, False)).requeue_after_s


def test_the_default_block_is_tron_s_three_seconds() -> None:
    assert POLICY.block_interval_s == 3.0
    assert requeue(POLICY, in_flight=True) == 3.0


@pytest.mark.parametrize("interval_s", [0.3, 0.5, 1.0, 1.5, 6.0])
def test_an_owner_with_a_transaction_in_flight_is_looked_at_after_one_block(
    interval_s: float,
) -> None:
    policy = dataclasses.replace(POLICY, block_interval_s=interval_s)
    assert requeue(policy, in_flight=True) == interval_s
    assert requeue(policy, in_flight=False) == POLICY.resync_period_s


@pytest.mark.parametrize(("interval_s", "floor"), [(0.3, 0.3), (1.0, 1.0), (3.0, 1.0)])
def test_never_sooner_than_one_block_or_one_second(interval_s: float, floor: float) -> None:
    policy = dataclasses.replace(POLICY, block_interval_s=interval_s, resync_period_s=0)
    assert requeue(policy, in_flight=False) == floor


@pytest.mark.parametrize("interval_s", [0.0, -1.0])
def test_a_block_interval_that_is_not_positive_is_refused(interval_s: float) -> None:
    with pytest.raises(ValueError, match="block_interval_s must be positive"):
        planner.PlannerPolicy(block_interval_s=interval_s)
