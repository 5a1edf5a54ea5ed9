"""A dependent transaction (an unfreeze or a delegate) that rode on a freeze or an undelegate
which was then dropped must never land on another position's stake: while it is not final
and its positions' stake is not in the pool on the head, nothing grows that pool."""

from __future__ import annotations

from tests.unit.controller import builders as b
from tests.unit.controller.builders import Kind, State
from tests.unit.controller.harness import Fate, World
from tests.unit.controller.model import worlds as w
from tron_staking.domain.enums import OperationState, StakingOperationType, StakingResourceType

Res = StakingResourceType
ROUNDS_WHILE_THE_UNDELEGATE_IS_UNPROVEN = 10
"""Healthy rounds after the dropped undelegate: it is still non-final (broadcast) after them."""


def owner() -> w.Owner:
    return w.Owner(
        address=b.OWNER,
        spare_trx=60,
        unmanaged_trx={Res.ENERGY: 0, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )


def ops_of(world: World, kind: StakingOperationType, pid: str) -> list[OperationState]:
    return [
        op.state for op in world.operations.values() if op.kind is kind and pid in op.position_ids
    ]


def test_an_unfreeze_riding_on_a_dropped_undelegate_never_lands_on_stake_frozen_later() -> None:
    """P (20 TRX, delegated to R1) drops its delegate; the node accepts and then drops the
    undelegate. While that undelegate is non-final, P is unstaked: the unfreeze rides on it
    and its first send is lost, so its bytes are re-sent until they expire. A new position C
    (30 TRX) is declared. Seen before the fix: C's freeze landed in block 1033 and P's old
    unfreeze took 20 TRX of it in block 1034, so P was undelegated and unfrozen again and
    C's missing 20 TRX frozen again (the audit: each took effect 2 times). The stray-delegate
    hold looked only at delegates, and C's freeze went out while the undelegate was still
    in flight."""
    world = w.build_world(owner(), [b.spec(20, delegate=b.RECEIVER)])
    assert world.settle(60) >= 0, world.not_ready()
    (p,) = world.positions.values()
    assert p.state is State.DELEGATED

    world.positions[p.id] = p.with_spec(p.spec.with_delegate(None), at=world.now)
    world.reconcile(fates=[Fate.DROPPED])
    world.mine()
    for _ in range(ROUNDS_WHILE_THE_UNDELEGATE_IS_UNPROVEN):
        world.reconcile()
        world.mine()
    assert ops_of(world, Kind.UNDELEGATE, p.id) == [OperationState.BROADCAST]

    p = world.positions[p.id]
    world.positions[p.id] = p.with_unstake_requested(at=world.now)
    world.reconcile(fates=[Fate.LOST_BEFORE_NODE])
    world.mine()
    assert ops_of(world, Kind.UNFREEZE, p.id) == [OperationState.RECORDED]
    assert ops_of(world, Kind.UNDELEGATE, p.id) == [OperationState.BROADCAST]

    c = b.position("c", b.spec(30))
    world.positions[c.id] = c
    assert world.settle(300) >= 0, world.not_ready()

    assert world.violations == world.audit.violations == []
    assert world.positions[p.id].state is State.WITHDRAWN
    assert world.positions[c.id].state is State.FROZEN
    account = world.chain.state.accounts[b.OWNER]
    assert account.frozen_sun[Res.ENERGY] == 30 * w.SUN
    assert account.delegated_sun[Res.ENERGY] == 0
    landed_freezes = [
        op
        for op in world.operations.values()
        if op.kind is Kind.FREEZE and c.id in op.position_ids and op.state.landed
    ]
    assert [op.params.get("frozen_balance") for op in landed_freezes] == [30 * w.SUN]
    landed_unfreezes = [
        op
        for op in world.operations.values()
        if op.kind is Kind.UNFREEZE and p.id in op.position_ids and op.state.landed
    ]
    assert len(landed_unfreezes) == 1
