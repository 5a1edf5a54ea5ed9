"""Regressions found by the fleet benchmark (issue 12): an owner whose positions arrive one
after the other while earlier ones are already Ready.

* A new position needs a new vote list for the whole account (VoteWitness replaces it). The
  positions whose own votes that list leaves unchanged must keep ``Ready=True``: the new vote
  neither changes their effect when it lands nor when it is dropped or rejected, so it is not
  theirs to wait for.
* A single new position with no unmanaged stake gets its freeze, its vote and its delegate in
  the same plan (one reconcile), the vote and delegate sized against the freeze they ride with.
"""

from __future__ import annotations

from tests.unit.controller.builders import (
    BW,
    CHAIN_T0,
    EN,
    OWNER,
    POLICY,
    RECEIVER,
    RECEIVER2,
    SUN,
    W1,
    W2,
    Kind,
    State,
    delegation_of,
    position,
    snapshot,
    spec,
    wv,
)
from tests.unit.controller.model import worlds
from tron_staking.controller import planner
from tron_staking.domain.enums import ConditionStatus, ConditionType
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import DelegationOut

FIRST_SPEC = spec(10, votes={W1: 1}, delegate=RECEIVER)
FIRST = position(
    "fleet-first",
    FIRST_SPEC,
    state=State.DELEGATED,
    votes_cast=(wv(W1, 10),),
    delegation=delegation_of(FIRST_SPEC),
)
"""Ready: frozen, voted and delegated, every operation final."""
SECOND = position("fleet-second", spec(11, votes={W2: 1}, delegate=RECEIVER2), created_minute=1)
"""Declared later in the same burst: pending."""

CHAIN_WITH_FIRST = snapshot(
    frozen={EN: 0},
    delegations=[DelegationOut(RECEIVER, EN, False, 10 * SUN)],
    votes=[wv(W1, 10)],
)


def ready(plan: planner.Plan, p: Position) -> tuple[str, str]:
    update = plan.update_for(p.id)
    assert update is not None
    for c in update.conditions:
        if c.type is ConditionType.READY:
            return c.status.value, c.reason
    raise AssertionError(f"no Ready condition for {p.id}")


def test_new_position_gets_freeze_vote_and_delegate_in_one_plan() -> None:
    plan = planner.plan([SECOND], snapshot(), [], CHAIN_T0, POLICY)
    assert [a.kind for a in plan.actions] == [Kind.FREEZE, Kind.VOTE, Kind.DELEGATE]
    freeze, vote, delegate = plan.actions
    assert freeze.params["frozen_balance"] == 11 * SUN
    assert vote.params["votes"] == [{"vote_address": W2, "vote_count": 11}]
    assert delegate.params["balance"] == 11 * SUN
    assert delegate.params["receiver_address"] == RECEIVER2


def test_ready_position_stays_ready_while_a_later_position_is_planned() -> None:
    plan = planner.plan([FIRST, SECOND], CHAIN_WITH_FIRST, [], CHAIN_T0, POLICY)
    assert [a.kind for a in plan.actions] == [Kind.FREEZE, Kind.VOTE, Kind.DELEGATE]
    vote = plan.actions[1]
    # the account's vote list keeps the first position's votes ...
    assert vote.params["votes"] == [
        {"vote_address": W1, "vote_count": 10},
        {"vote_address": W2, "vote_count": 11},
    ]
    assert vote.position_votes[FIRST.id] == (wv(W1, 10),)
    # ... as they are, so the vote is not the first position's to wait for
    assert ready(plan, FIRST) == (ConditionStatus.TRUE.value, "Converged")


def test_ready_position_stays_ready_through_a_later_positions_whole_convergence() -> None:
    """The fleet's burst on the chain model: the first position converges, a second one of
    the same owner is declared, and every reconcile until it is Ready keeps the first Ready
    (the benchmark saw the Ready count fall while later positions converged)."""
    owner = worlds.Owner(
        address=OWNER,
        spare_trx=100,
        unmanaged_trx={EN: 0, BW: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )
    first_spec = spec(10, votes={worlds.WITNESSES[0]: 1}, delegate=RECEIVER)
    second_spec = spec(11, votes={worlds.WITNESSES[1]: 1}, delegate=RECEIVER2)
    world = worlds.build_world(owner, [first_spec])
    world.chain.state.accounts[OWNER].balance_sun += second_spec.amount_sun
    assert world.settle(60) >= 0, world.not_ready()
    (first,) = world.positions.values()
    second = position("fleet-later", second_spec, created_minute=5)
    world.positions[second.id] = second
    for _ in range(60):
        world.reconcile()
        assert world.positions[first.id].ready, world.log[-1]
        if world.converged():
            break
        world.wait()
    assert world.converged(), world.not_ready()
    assert not world.violations
