"""Status, condition by condition: when a position is converged, when its operations are
final (the solid block's exact edge), the reasons of every not-ready state, drift, finished
positions, the hold answer, and the requeue delay.

Written to kill the mutants ``make mutate`` left alive in ``planner/status.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    HEAD,
    NOW,
    POLICY,
    RECEIVER,
    RECEIVER2,
    W1,
    W2,
    Kind,
    OpState,
    State,
    delegation_of,
    operation,
    position,
    snapshot,
    spec,
    wv,
)
from tron_staking.controller import planner
from tron_staking.controller.planner import status
from tron_staking.controller.planner.work import Round
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import ChainDelegation, Position
from tron_staking.domain.votes import WitnessVote

READY, PROGRESSING, STALLED, DRIFTED = (
    ConditionType.READY,
    ConditionType.PROGRESSING,
    ConditionType.STALLED,
    ConditionType.DRIFTED,
)
SOLID = HEAD - 19


def round_of(
    positions: Sequence[Position],
    operations: Sequence[Operation] = (),
    policy: planner.PlannerPolicy = POLICY,
) -> Round:
    return Round(positions, snapshot(), operations, NOW, policy, False)


def conditions(rnd: Round, p: Position) -> dict[ConditionType, ConditionUpdate]:
    update = status.result(rnd).update_for(p.id)
    assert update is not None
    return {c.type: c for c in update.conditions}


def ready(rnd: Round, p: Position) -> bool:
    return conditions(rnd, p)[READY].status.value == "True"


def frozen(
    name: str = "p",
    *,
    votes_cast: tuple[WitnessVote, ...] = (),
    delegation: ChainDelegation | None = None,
) -> Position:
    return position(
        name,
        spec(100),
        state=State.FROZEN,
        generation=4,
        votes_cast=votes_cast,
        delegation=delegation,
    )


# -- converged ------------------------------------------------------------------------------------


def test_ready_when_converged_with_every_condition_and_the_generation() -> None:
    p = frozen()
    rnd = round_of([p])
    plan = status.result(rnd)
    update = plan.update_for(p.id)
    assert update is not None
    assert update.conditions == (
        ConditionUpdate.true(
            READY, "Converged", f"the chain matches the spec ({State.FROZEN}), final"
        ),
        ConditionUpdate.false(PROGRESSING, "Converged", "nothing to do"),
        ConditionUpdate.false(STALLED, "NoProblem"),
        ConditionUpdate.false(DRIFTED, "InSync", "the chain matches"),
    )
    assert update.observed_generation == 4
    assert (plan.owner, plan.chain_block, plan.chain_time_ms) == (p.owner, HEAD, NOW)


def test_converged_compares_votes_and_delegation_with_the_spec() -> None:
    voting = position("v", spec(100, votes={W1: 1}), state=State.VOTING)
    assert ready(round_of([dataclasses.replace(voting, votes_cast=(wv(W1, 100),))]), voting)
    assert not ready(round_of([dataclasses.replace(voting, votes_cast=(wv(W1, 99),))]), voting)
    assert not ready(round_of([voting]), voting)
    stray = frozen(votes_cast=(wv(W2, 100),))
    assert not ready(round_of([stray]), stray)
    assert not ready(
        round_of([frozen(delegation=delegation_of(spec(100, delegate=RECEIVER)))]), stray
    )
    s = spec(100, delegate=RECEIVER)
    delegated = position("d", s, state=State.DELEGATED, delegation=delegation_of(s))
    assert ready(round_of([delegated]), delegated)
    other = dataclasses.replace(delegated, delegation=delegation_of(spec(100, delegate=RECEIVER2)))
    assert not ready(round_of([other]), other)
    bare = dataclasses.replace(delegated, delegation=None)
    assert not ready(round_of([bare]), bare)
    behind = position("b", s, state=State.FROZEN)
    assert not ready(round_of([behind]), behind)


# -- finality -------------------------------------------------------------------------------------


def served(block: int, *, state: OpState = OpState.INCLUDED, kind: Kind = Kind.FREEZE) -> Round:
    p = frozen()
    op = operation("f", kind, [p], {}, state=state, block=block)
    return round_of([p], [op])


def test_ready_only_once_every_operation_serving_it_is_at_or_below_the_solid_block() -> None:
    p = frozen()
    assert ready(served(SOLID), p)
    assert not ready(served(SOLID + 1), p)
    assert not ready(served(HEAD), p)
    assert ready(served(SOLID + 1, state=OpState.SOLIDIFIED), p)
    assert ready(served(HEAD, kind=Kind.CLAIM_REWARDS), p)
    op = served(HEAD).operations[0]
    found = conditions(served(HEAD), p)
    assert found[READY] == ConditionUpdate.false(
        READY, "AwaitingFinality", f"freeze {op.txid}: not final yet"
    )
    assert found[PROGRESSING] == ConditionUpdate.true(
        PROGRESSING, "AwaitingFinality", f"waiting for freeze {op.txid}"
    )
    assert found[STALLED] == ConditionUpdate.false(STALLED, "NoProblem")
    assert found[DRIFTED] == ConditionUpdate.false(DRIFTED, "InSync", "the chain matches")
    update = status.result(served(HEAD)).update_for(p.id)
    assert update is not None
    assert update.observed_generation is None


def test_an_operation_naming_the_position_only_by_its_votes_serves_it_too() -> None:
    p = position("v", spec(100, votes={W1: 1}), state=State.VOTING, votes_cast=(wv(W1, 100),))
    vote = operation("v", Kind.VOTE, [], {}, block=HEAD, position_votes={p.id: (wv(W1, 100),)})
    assert not ready(round_of([p], [vote]), p)
    stranger = operation("s", Kind.VOTE, [], {}, block=HEAD)
    assert ready(round_of([p], [stranger]), p)


# -- not ready ------------------------------------------------------------------------------------


def test_unresolved_operations_serving_it_are_its_progress() -> None:
    p = frozen()
    op = operation("f", Kind.FREEZE, [p], {}, state=OpState.BROADCAST)
    found = conditions(round_of([p], [op]), p)
    assert found[READY] == ConditionUpdate.false(
        READY, "Frozen", f"{State.FROZEN} on the way to {State.FROZEN}"
    )
    assert found[STALLED] == ConditionUpdate.false(STALLED, "NoProblem")
    assert found[PROGRESSING] == ConditionUpdate.true(
        PROGRESSING, "Reconciling", f"freeze {op.txid} is broadcast"
    )
    assert DRIFTED not in found
    claim = operation("c", Kind.CLAIM_REWARDS, [p], {}, state=OpState.BROADCAST)
    assert ready(round_of([p], [claim]), p)


def test_problems_stall_and_name_every_message() -> None:
    p = frozen()
    rnd = round_of([p])
    w = rnd.works[p.id]
    w.stall("First", "one")
    w.stall("Second", "two")
    w.drifted.append(("StakeLost", "gone"))
    found = conditions(rnd, p)
    assert found[READY].reason == "First"
    assert found[STALLED] == ConditionUpdate.true(STALLED, "First", "one; two")
    assert found[PROGRESSING] == ConditionUpdate.false(PROGRESSING, "First", "one")
    assert found[DRIFTED] == ConditionUpdate.true(DRIFTED, "StakeLost", "gone")


def test_progress_is_deduplicated_in_order_or_names_the_target() -> None:
    p = position("p", spec(100, votes={W1: 1}))
    rnd = round_of([p])
    rnd.works[p.id].progress += ["b", "a", "b"]
    found = conditions(rnd, p)
    assert found[PROGRESSING] == ConditionUpdate.true(PROGRESSING, "Reconciling", "b; a")
    assert found[READY] == ConditionUpdate.false(
        READY, "Pending", f"{State.PENDING} on the way to {State.VOTING}"
    )
    found = conditions(round_of([p]), p)
    assert found[PROGRESSING].message == f"moving to {State.VOTING}"


def reason(p: Position, drift: bool = False) -> str:
    rnd = round_of([p])
    if drift:
        rnd.works[p.id].drifted.append(("VotesLost", "x"))
    return conditions(rnd, p)[READY].reason


def test_not_ready_reasons() -> None:
    target = spec(100, votes={W1: 1}, delegate=RECEIVER)
    assert reason(position("a", target)) == "Pending"
    assert reason(position("a", target, state=State.FROZEN)) == "Frozen"
    assert reason(position("a", target, state=State.VOTING)) == "Voting"
    assert reason(position("a", target, state=State.DELEGATED)) == "Delegated"
    assert reason(position("a", target, state=State.UNFREEZING)) == "Converging"
    assert reason(position("a", target, state=State.FROZEN, unstake=True)) == "Unstaking"
    assert reason(position("a", target, state=State.FROZEN), drift=True) == "VotesLost"


def test_an_unfreezing_position_requeues_at_its_maturity() -> None:
    p = position(
        "u", spec(100), state=State.UNFREEZING, unstake=True, unfreeze_expire_time_ms=NOW + 9_500
    )
    rnd = round_of([p])
    plan = status.result(rnd)
    assert plan.requeue_after_s == 10
    update = plan.update_for(p.id)
    assert update is not None
    progressing = {c.type: c for c in update.conditions}[PROGRESSING]
    assert progressing.message == f"unfreezing until {NOW + 9_500}"
    assert update.unfreeze_expire_time_ms == NOW + 9_500
    unknown = dataclasses.replace(p, unfreeze_expire_time_ms=None)
    assert status.result(round_of([unknown])).requeue_after_s == 300


# -- finished positions, hold, requeue ------------------------------------------------------------


def test_a_finished_position_is_reported_ready_once() -> None:
    done = position("w", spec(100), state=State.WITHDRAWN, unstake=True, generation=3)
    plan = status.result(round_of([done]))
    (update,) = plan.updates
    assert update.position_id == done.id
    assert update.observed_generation == 3
    assert update.transitions == ()
    assert update.applied_operations == ()
    assert update.conditions == (
        ConditionUpdate.true(
            READY, "Withdrawn", f"the chain matches the spec ({State.WITHDRAWN}), final"
        ),
        ConditionUpdate.false(PROGRESSING, "Withdrawn", "nothing to do"),
        ConditionUpdate.false(STALLED, "NoProblem"),
        ConditionUpdate.false(DRIFTED, "InSync", "the chain matches"),
    )


def test_hold_decides_nothing_and_looks_again_after_one_block() -> None:
    s = spec(100, delegate=RECEIVER)
    p = position(
        "p", s, state=State.DELEGATED, delegation=delegation_of(s), unfreeze_expire_time_ms=7
    )
    q = position("q", spec(100), created_minute=1)
    rnd = round_of([p, q], policy=dataclasses.replace(POLICY, block_interval_s=4))
    rnd.works[p.id].state = State.FROZEN  # working changes are dropped
    rnd.works[p.id].delegation = None
    plan = status.hold(rnd, "Glitch", "look again", needs_confirmation=True)
    assert plan.actions == ()
    assert plan.requeue_after_s == 4
    assert plan.needs_confirmation is True
    assert (plan.owner, plan.chain_block, plan.chain_time_ms) == (p.owner, HEAD, NOW)
    assert plan.waiting_for == (planner.Notice("Glitch", "look again", (p.id, q.id)),)
    assert (plan.drift, plan.warnings) == ((), ())
    first = plan.updates[0]
    assert first.position_id == p.id
    assert first.delegation == delegation_of(s)
    assert first.unfreeze_expire_time_ms == 7
    assert first.transitions == ()
    assert first.conditions == (ConditionUpdate.true(PROGRESSING, "Glitch", "look again"),)
    assert status.hold(rnd, "G", "m", needs_confirmation=False).needs_confirmation is False


def test_requeue_after_one_block_while_anything_is_planned_or_in_flight() -> None:
    p = frozen()
    assert status.result(round_of([p])).requeue_after_s == 300
    sent = operation("f", Kind.FREEZE, [p], {}, state=OpState.BROADCAST)
    assert status.result(round_of([p], [sent])).requeue_after_s == 3
    final = operation("f", Kind.FREEZE, [p], {}, state=OpState.SOLIDIFIED)
    assert status.result(round_of([p], [final])).requeue_after_s == 300
    zero = dataclasses.replace(POLICY, resync_period_s=0)
    assert status.result(round_of([p], policy=zero)).requeue_after_s == 1


def test_hold_and_finished_positions_keep_their_facets() -> None:
    s = spec(100, votes={W1: 1}, delegate=RECEIVER)
    voted = position(
        "v",
        s,
        state=State.DELEGATED,
        votes_cast=(wv(W1, 100),),
        delegation=delegation_of(s),
        applied=(operation("f", Kind.FREEZE, [], {}).id,),
    )
    rnd = round_of([voted])
    rnd.works[voted.id].applied.append(operation("g", Kind.VOTE, [], {}).id)
    (held,) = status.hold(rnd, "G", "m", needs_confirmation=False).updates
    assert (held.votes_cast, held.applied_operations) == ((wv(W1, 100),), ())
    done = dataclasses.replace(
        voted, state=State.WITHDRAWN, unstake_requested=True, unfreeze_expire_time_ms=9
    )
    (finished,) = status.result(round_of([done])).updates
    assert finished.position_id == done.id
    assert (finished.votes_cast, finished.delegation, finished.unfreeze_expire_time_ms) == (
        (wv(W1, 100),),
        delegation_of(s),
        9,
    )
