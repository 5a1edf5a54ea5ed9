"""The latency targets of one-block convergence (issue 8, Build 1), counted in blocks on the
chain model with a reconcile per block and every transaction packed in the next block.

* declare freeze + votes + delegation: in effect on the head 1 block later (2 when unmanaged
  frozen stake could cover the delegate, so it waits for the freeze), Ready within solid lag
  + 2 blocks;
* unstake a delegated, voting position: ``unfreezing`` final within solid lag + 2 blocks, and
  java-tron never had to rescale votes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.unit.controller import builders as b
from tests.unit.controller.builders import Kind, State
from tests.unit.controller.chain_model import SOLID_LAG_BLOCKS
from tests.unit.controller.harness import World
from tests.unit.controller.model import worlds as w
from tron_staking.domain.enums import OperationState, StakingResourceType
from tron_staking.domain.position import Position

Res = StakingResourceType


def blocks_until(world: World, done: Callable[[World], bool], limit: int = 60) -> int:
    """Reconcile, and mine one block, until ``done``; the number of blocks mined."""
    for mined in range(limit):
        world.reconcile()
        if done(world):
            return mined
        world.mine()
    raise AssertionError(f"not done after {limit} blocks: {world.not_ready()}")


def declared(unmanaged_energy_trx: int) -> World:
    owner = w.Owner(
        address=b.OWNER,
        spare_trx=500,
        unmanaged_trx={Res.ENERGY: unmanaged_energy_trx, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )
    delegated = b.spec(1000, votes={w.WITNESSES[0]: 1}, delegate=b.RECEIVER)
    voting = b.spec(500, votes={w.WITNESSES[1]: 1})
    return w.build_world(owner, [delegated, voting])


def first(world: World) -> Position:
    return min(world.positions.values(), key=lambda p: p.created_at)


def in_effect(world: World) -> bool:
    return all(p.state is p.target_state for p in world.positions.values())


def ready(world: World) -> bool:
    return world.converged()


@pytest.mark.parametrize(
    ("unmanaged_energy_trx", "blocks_to_effect"),
    [(0, 1), (5000, 2)],
    ids=["only-managed-stake", "unmanaged-stake-guard"],
)
def test_declared_freeze_votes_and_delegation(
    unmanaged_energy_trx: int, blocks_to_effect: int
) -> None:
    world = declared(unmanaged_energy_trx)
    effective = blocks_until(world, in_effect)
    final = blocks_until(world, ready) + effective
    assert (effective, world.refusals) == (blocks_to_effect, [])
    assert final <= SOLID_LAG_BLOCKS + 2
    assert world.violations == world.audit.violations == []


def test_unstake_reaches_a_final_unfreeze_without_a_rescale() -> None:
    """The unstaked position's votes go in a re-vote sent with the undelegate and the
    unfreeze; the other position keeps its votes untouched."""
    world = declared(0)
    blocks_until(world, ready)
    position = first(world)
    world.positions[position.id] = position.with_unstake_requested(at=world.now)

    def unfreeze_final(x: World) -> bool:
        unfreezes = [op for op in x.operations.values() if op.kind is Kind.UNFREEZE]
        return first(x).state is State.UNFREEZING and any(
            op.state is OperationState.SOLIDIFIED for op in unfreezes
        )

    blocks = blocks_until(world, unfreeze_final)
    assert blocks <= SOLID_LAG_BLOCKS + 2
    assert not any(i.rescaled_votes for i in world.chain.included.values())
    assert world.chain.state.accounts[b.OWNER].votes == [(w.WITNESSES[1], 500)]
    assert world.violations == world.audit.violations == world.refusals == []
