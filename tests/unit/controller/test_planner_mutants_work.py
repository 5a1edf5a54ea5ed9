"""The working state of one plan call: a position's working view (facts, transitions, moves,
copies), the round's inputs (owner check, order, terminal positions, unresolved operations),
its queries, notices and requeue times, and first-fit selection.

Written to kill the mutants ``make mutate`` left alive in ``planner/work.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from tests.unit.controller.builders import (
    BW,
    EN,
    HEAD,
    NOW,
    POLICY,
    SUN,
    W1,
    Kind,
    OpState,
    State,
    address,
    operation,
    position,
    snapshot,
    spec,
    wv,
)
from tron_staking.controller import planner
from tron_staking.controller.planner.work import Location, Round, first_fit, unresolved, work_of
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import UnfreezingEntry
from tron_staking.statemachine.position import Facts, Trigger


def round_of(positions: Sequence[Position], operations: Sequence[Operation] = ()) -> Round:
    return Round(positions, snapshot(), operations, NOW, POLICY, False)


def test_work_of_copies_the_positions_facets_and_facts_read_them() -> None:
    p = position(
        "p",
        spec(7),
        state=State.VOTING,
        votes_cast=(wv(W1, 7),),
        unstake=True,
        unfreeze_expire_time_ms=55,
    )
    w = work_of(p)
    assert (w.state, w.votes_cast, w.delegation, w.unfreeze_expire_time_ms) == (
        State.VOTING,
        (wv(W1, 7),),
        None,
        55,
    )
    assert (w.id, w.resource, w.amount_sun, w.unstaking) == (p.id, EN, 7 * SUN, True)
    assert (w.location, w.arriving_by) == (Location.NONE, None)
    assert w.facts(9) == Facts(
        votes_cast=True,
        unstake_requested=True,
        freeze_in_flight=False,
        chain_time_ms=9,
        unfreeze_expire_time_ms=55,
    )
    assert w.facts(9, freeze_in_flight=True).freeze_in_flight is True
    assert work_of(position("q", spec(1))).facts(1).votes_cast is False


def test_fire_records_an_allowed_transition_and_refuses_the_others() -> None:
    w = work_of(position("p", spec(1)))
    op = operation("f", Kind.FREEZE, [w.position], {})
    assert w.fire(Trigger.FREEZE_INCLUDED, "landed", 77, operation=op)
    (t,) = w.transitions
    assert (t.trigger, t.from_state, t.to_state, t.reason) == (
        Trigger.FREEZE_INCLUDED,
        State.PENDING,
        State.FROZEN,
        "landed",
    )
    assert (t.txid, t.block, t.operation_id) == (op.txid, HEAD - 1, op.id)
    assert t.facts == w.facts(77)
    assert w.state is State.FROZEN
    assert not w.fire(Trigger.FREEZE_INCLUDED, "again", 78)
    assert len(w.transitions) == 1
    assert w.fire(Trigger.SPEC_CHANGED, "spec", 79)
    assert (w.transitions[1].txid, w.transitions[1].block, w.transitions[1].operation_id) == (
        None,
        None,
        None,
    )
    unstaking = work_of(position("u", spec(1), state=State.FROZEN))
    assert not unstaking.fire(Trigger.UNFREEZE_INCLUDED, "no unstake", 1)
    assert unstaking.fire(Trigger.STAKE_LOST, "gone", 1, freeze_in_flight=False)


def test_move_follows_additive_kinds_only() -> None:
    w = work_of(position("p", spec(1)))
    w.move(Kind.FREEZE)
    assert (w.location, w.arriving_by) == (Location.POOL, Kind.FREEZE)
    w.move(Kind.VOTE)
    assert (w.location, w.arriving_by) == (Location.POOL, Kind.FREEZE)
    w.move(Kind.DELEGATE)
    assert (w.location, w.arriving_by) == (Location.DELEGATED, None)
    w.move(Kind.UNDELEGATE)
    assert (w.location, w.arriving_by) == (Location.POOL, Kind.UNDELEGATE)
    w.move(Kind.UNFREEZE)
    assert (w.location, w.arriving_by) == (Location.NONE, None)


def test_copy_is_independent() -> None:
    w = work_of(position("p", spec(1)))
    w.stall("A", "a")
    twin = w.copy()
    for lst in (twin.transitions, twin.applied, twin.problems, twin.progress, twin.drifted):
        lst.append(("x", "y"))  # type: ignore[arg-type]
    assert (w.transitions, w.applied, w.problems, w.progress, w.drifted) == (
        [],
        [],
        [("A", "a")],
        [],
        [],
    )
    assert twin.problems == [("A", "a"), ("x", "y")]


def test_round_refuses_a_position_of_another_owner() -> None:
    stranger = position("s", spec(1, owner=address("someone")))
    with pytest.raises(ValueError, match=f"position {stranger.id} belongs to"):
        round_of([stranger])


def test_round_orders_positions_and_splits_off_finished_ones() -> None:
    late = position("late", spec(1), created_minute=5)
    early = position("early", spec(1), created_minute=1)
    done = position("done", spec(1), state=State.WITHDRAWN, unstake=True)
    rnd = round_of([late, done, early])
    assert list(rnd.works) == [early.id, late.id]
    assert rnd.finished == [done]
    assert (rnd.owner, rnd.head, rnd.now, rnd.claim_requested) == (late.owner, HEAD, NOW, False)
    same_minute = [position(n, spec(1)) for n in ("b", "a", "c")]
    assert list(round_of(same_minute).works) == sorted(p.id for p in same_minute)


def test_round_keeps_the_owners_operations_and_the_unresolved_ones() -> None:
    p = position("p", spec(1))
    mine = operation("m", Kind.FREEZE, [p], {}, state=OpState.BROADCAST)
    other = dataclasses.replace(mine, owner=address("someone"))
    visible = operation("v", Kind.FREEZE, [p], {}, block=HEAD)
    above = operation("a", Kind.FREEZE, [p], {}, block=HEAD + 1)
    rnd = round_of([p], [mine, other, visible, above])
    assert rnd.operations == [mine, visible, above]
    assert rnd.unresolved == [mine, above]
    assert rnd.requeue == [POLICY.resync_period_s]
    assert rnd.ledger.balance_sun == snapshot().balance_sun


def test_unresolved() -> None:
    p = position("p", spec(1))
    assert unresolved(operation("r", Kind.FREEZE, [p], {}, state=OpState.RECORDED), HEAD)
    assert not unresolved(operation("s", Kind.FREEZE, [p], {}, state=OpState.SOLIDIFIED), HEAD)
    assert not unresolved(operation("x", Kind.FREEZE, [p], {}, state=OpState.EXPIRED), HEAD)
    assert not unresolved(operation("i", Kind.FREEZE, [p], {}, block=HEAD), HEAD)
    assert unresolved(operation("i", Kind.FREEZE, [p], {}, block=HEAD + 1), HEAD)
    no_block = dataclasses.replace(operation("n", Kind.FREEZE, [p], {}), block=None)
    assert unresolved(no_block, HEAD)


def test_queries() -> None:
    a = position("a", spec(10), state=State.FROZEN)
    b = position("b", spec(20), state=State.VOTING, created_minute=1)
    c = position("c", spec(40, resource=BW), state=State.FROZEN, created_minute=2)
    rnd = round_of([a, b, c])
    assert [w.id for w in rnd.active()] == [a.id, b.id, c.id]
    assert [w.id for w in rnd.active(State.VOTING, State.DELEGATED)] == [b.id]
    for w in rnd.works.values():
        w.location = Location.POOL
    rnd.works[b.id].location = Location.DELEGATED
    assert rnd.pool_claims(EN) == 10 * SUN
    assert rnd.pool_claims(BW) == 40 * SUN
    assert rnd.planned(Kind.FREEZE) == []


def test_notices_and_requeue_times() -> None:
    a = position("a", spec(1))
    rnd = round_of([a])
    w = rnd.works[a.id]
    rnd.wait("Code", "msg", [w])
    rnd.warn("Warn", "careful", [w])
    assert rnd.waiting == [planner.Notice("Code", "msg", (a.id,), None)]
    assert rnd.warnings == [planner.Notice("Warn", "careful", (a.id,))]
    rnd.wait("Later", "then", until_ms=NOW + 2001)
    assert rnd.waiting[1] == planner.Notice("Later", "then", (), NOW + 2001)
    rnd.requeue_at(NOW + 1000)
    rnd.requeue_at(NOW + 1)
    rnd.requeue_at(NOW - 5000)
    assert rnd.requeue == [POLICY.resync_period_s, 3, 1, 1, 1]
    rnd.stall_all(iter([w]), "Short", "not enough")
    assert w.problems == [("Short", "not enough")]
    assert rnd.waiting[2] == planner.Notice("Short", "not enough", (a.id,), None)


def test_first_fit_takes_in_order_while_they_fit() -> None:
    ws = [work_of(position(n, spec(x))) for n, x in (("a", 3), ("b", 5), ("c", 2), ("d", 1))]
    chosen, left = first_fit(ws, 6 * SUN)
    assert [w.amount_sun for w in chosen] == [3 * SUN, 2 * SUN, 1 * SUN]
    assert [(w.amount_sun, room) for w, room in left] == [(5 * SUN, 3 * SUN)]
    chosen, left = first_fit(ws, 3 * SUN)
    assert [w.amount_sun for w in chosen] == [3 * SUN]
    assert [room for _, room in left] == [0, 0, 0]


def test_a_stall_without_contention_is_retried_after_the_stall_retry() -> None:
    a = position("a", spec(1))
    rnd = round_of([a])
    rnd.stall_all([rnd.works[a.id]], "Short", "not enough")
    assert rnd.retries == [((a.id,), False)]
    rnd.stall_all([rnd.works[a.id]], "Busy", "later", contention=True)
    assert rnd.retries[1] == ((a.id,), True)


def test_a_delegate_moves_no_stake_that_is_not_there_or_on_its_way() -> None:
    w = work_of(position("p", spec(1)))
    w.move(Kind.DELEGATE)
    assert (w.location, w.arriving_by) == (Location.NONE, None)


def frees_at(needed_trx: int) -> int | None:
    # 10 TRX balance, 5 TRX matured (withdrawable), 3 TRX maturing after 4 TRX
    observed = dataclasses.replace(
        snapshot(balance_trx=10),
        unfreezing=(
            UnfreezingEntry(EN, 5 * SUN, NOW - 1),
            UnfreezingEntry(EN, 3 * SUN, NOW + 5_000),
            UnfreezingEntry(BW, 4 * SUN, NOW + 2_000),
        ),
    )
    rnd = Round([], observed, [], NOW, POLICY, False)
    return rnd.balance_frees_at(needed_trx * SUN)


def test_balance_frees_at_the_maturity_that_brings_the_balance_to_the_need() -> None:
    assert frees_at(10) is None  # the balance covers it now
    assert frees_at(15) is None  # with the withdrawable 5 TRX: exactly enough now
    assert frees_at(18) == NOW + 2_000 + 3_000  # the earliest maturity is enough
    assert frees_at(19) == NOW + 2_000 + 3_000  # exactly enough
    assert frees_at(20) == NOW + 5_000 + 3_000
    assert frees_at(23) is None  # never


def test_fire_passes_a_freeze_in_flight_to_the_guards() -> None:
    leaving = work_of(position("u", spec(1), unstake=True))
    assert not leaving.fire(Trigger.UNSTAKE, "freeze may land", 1, freeze_in_flight=True)
    assert leaving.state is State.PENDING
    assert leaving.fire(Trigger.UNSTAKE, "nothing in flight", 1)
    assert [t.to_state for t in leaving.transitions] == [State.WITHDRAWN]
