"""The exactly-once and dependency gate, step by step: the same intent, the same position,
the dependency table, the basis digest and the back-off per intent.

Written to kill the mutants ``make mutate`` left alive in ``planner/gate.py``: each test pins
one comparison (final or not, same kind or not, the boundary of the sure pool, the doubling
and the cap of the back-off)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    EN,
    NOW,
    OWNER,
    POLICY,
    RECEIVER,
    SUN,
    Kind,
    OpState,
    State,
    operation,
    position,
    snapshot,
    spec,
)
from tron_staking.controller import planner
from tron_staking.controller.planner import gate
from tron_staking.controller.planner.work import Round, Work
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot

KEY = f"delegate:{OWNER}:{RECEIVER}:ENERGY:unlocked"

P1 = position("p1", spec(100, delegate=RECEIVER), state=State.FROZEN)
P2 = position("p2", spec(200, delegate=RECEIVER), state=State.FROZEN, created_minute=1)


def round_of(
    operations: Sequence[Operation] = (),
    *,
    positions: Sequence[Position] = (P1, P2),
    observed: AccountSnapshot | None = None,
    policy: planner.PlannerPolicy = POLICY,
) -> Round:
    seen = observed if observed is not None else snapshot(frozen={EN: 300 * SUN})
    return Round(positions, seen, operations, NOW, policy, False)


def op(
    name: str,
    kind: Kind = Kind.DELEGATE,
    positions: Sequence[Position] = (P1,),
    *,
    state: OpState = OpState.BROADCAST,
    key: str = KEY,
    basis: str = "",
    final_at_ms: int | None = None,
    expiration_ms: int = NOW + 60_000,
    error: str | None = None,
) -> Operation:
    built = operation(
        name,
        kind,
        positions,
        {"balance": 100 * SUN},
        state=state,
        intent_key=key,
        expiration_ms=expiration_ms,
    )
    return dataclasses.replace(built, basis=basis, final_at_ms=final_at_ms, error=error)


# -- step 1: the same intent --------------------------------------------------------------------


def test_intent_in_flight_is_the_first_non_final_holder_of_the_key() -> None:
    done = op("done", state=OpState.SOLIDIFIED)
    other = op("other", key="other-key")
    first = op("first", state=OpState.RECORDED)
    second = op("second", state=OpState.INCLUDED)
    assert gate.intent_in_flight(round_of([done, other, first, second]), KEY) is first
    assert gate.intent_in_flight(round_of([done, other]), KEY) is None
    assert gate.intent_in_flight(round_of([op("x", state=OpState.EXPIRED)]), KEY) is None


# -- step 2: the same position ------------------------------------------------------------------


def test_position_in_flight_only_for_additive_kinds_of_the_same_kind() -> None:
    rnd = round_of(
        [
            op("vote", Kind.VOTE, state=OpState.BROADCAST),
            op("final-delegate", state=OpState.SOLIDIFIED),
            op("freeze", Kind.FREEZE, positions=(P1, P2), state=OpState.RECORDED),
            op("delegate-p2", positions=(P2,), state=OpState.INCLUDED),
        ]
    )
    w1, w2 = rnd.works[P1.id], rnd.works[P2.id]
    assert gate.position_in_flight(rnd, Kind.VOTE, w1) is None
    assert gate.position_in_flight(rnd, Kind.DELEGATE, w1) is None
    found = gate.position_in_flight(rnd, Kind.DELEGATE, w2)
    assert found is not None
    assert found.txid == rnd.operations[3].txid
    freeze = gate.position_in_flight(rnd, Kind.FREEZE, w1)
    assert freeze is not None
    assert freeze.kind is Kind.FREEZE
    assert gate.position_in_flight(rnd, Kind.UNFREEZE, w1) is None
    assert {Kind.FREEZE, Kind.UNFREEZE, Kind.DELEGATE, Kind.UNDELEGATE} == gate.ADDITIVE


def test_admit_holds_everything_behind_the_same_intent() -> None:
    held = op("held", positions=(P2,), state=OpState.BROADCAST)
    rnd = round_of([held])
    works = [rnd.works[P1.id], rnd.works[P2.id]]
    assert gate.admit(rnd, Kind.DELEGATE, KEY, iter(works), "delegate") == []
    assert [n.code for n in rnd.waiting] == ["OperationInFlight"]
    assert rnd.waiting[0].position_ids == (P1.id, P2.id)
    assert rnd.waiting[0].message == (
        f"delegate: delegate {held.txid} is broadcast; nothing equivalent is planned until it "
        "is final"
    )
    assert works[0].progress == [f"delegate {held.txid} is broadcast"]
    assert works[1].progress == [f"delegate {held.txid} is broadcast"]


def test_admit_holds_only_the_position_already_named() -> None:
    other = op("other", positions=(P2,), key="delegate:elsewhere", state=OpState.RECORDED)
    rnd = round_of([other])
    w1, w2 = rnd.works[P1.id], rnd.works[P2.id]
    assert gate.admit(rnd, Kind.DELEGATE, KEY, [w1, w2], "delegate") == [w1]
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (P2.id,))]
    assert rnd.waiting[0].message.startswith(f"delegate: delegate {other.txid} is recorded;")
    assert w1.progress == []
    assert w2.progress == [f"delegate {other.txid} is recorded"]
    # a vote names positions without blocking them
    assert gate.admit(round_of([other]), Kind.VOTE, KEY, [w1, w2], "vote") == [w1, w2]


# -- step 3: dependencies -----------------------------------------------------------------------


def test_dependency_table() -> None:
    assert gate.DEPENDS_ON[Kind.DELEGATE] == {Kind.FREEZE, Kind.UNDELEGATE}
    assert gate.DEPENDS_ON[Kind.UNFREEZE] == {Kind.UNDELEGATE}
    for kind in (Kind.FREEZE, Kind.UNDELEGATE, Kind.VOTE, Kind.CLAIM_REWARDS):
        assert gate.DEPENDS_ON[kind] == frozenset()
    assert gate.DEPENDS_ON[Kind.WITHDRAW_EXPIRE_UNFREEZE] == frozenset()


def arriving(rnd: Round, by: Kind | None) -> list[Work]:
    w = rnd.works[P1.id]
    w.arriving_by = by
    return [w]


def test_rides_with_dependency_only_when_the_sure_pool_cannot_cover() -> None:
    rnd = round_of(observed=snapshot(frozen={EN: 100 * SUN, BW: 0}))
    # nothing arriving: served now, whatever the pool
    assert gate.rides_with_dependency(rnd, Kind.DELEGATE, arriving(rnd, None), 10**18)
    # arriving by a kind the action does not depend on
    assert gate.rides_with_dependency(rnd, Kind.UNFREEZE, arriving(rnd, Kind.FREEZE), 1)
    # arriving by a freeze: rides only if the sure pool is short
    works = arriving(rnd, Kind.FREEZE)
    assert not gate.rides_with_dependency(rnd, Kind.DELEGATE, works, 100 * SUN)
    assert gate.rides_with_dependency(rnd, Kind.DELEGATE, works, 100 * SUN + 1)
    undelegated = arriving(rnd, Kind.UNDELEGATE)
    assert not gate.rides_with_dependency(rnd, Kind.UNFREEZE, undelegated, 100 * SUN)
    assert gate.rides_with_dependency(rnd, Kind.UNFREEZE, undelegated, 100 * SUN + 1)


def test_rides_with_dependency_reads_the_pool_of_the_works_resource() -> None:
    bw_pos = position("bw", spec(100, resource=BW, delegate=RECEIVER), state=State.FROZEN)
    rnd = round_of(positions=(bw_pos,), observed=snapshot(frozen={EN: 500 * SUN, BW: 0}))
    w = rnd.works[bw_pos.id]
    w.arriving_by = Kind.FREEZE
    assert gate.rides_with_dependency(rnd, Kind.DELEGATE, [w], 100 * SUN)


# -- the basis ----------------------------------------------------------------------------------


def test_basis_changes_with_every_input_and_not_with_the_order_of_works() -> None:
    rnd = round_of()
    w1, w2 = rnd.works[P1.id], rnd.works[P2.id]
    base = gate.basis_of(Kind.DELEGATE, {"balance": 1}, [w1, w2], {"x": 1})
    # Bases are stored with operations: a rejection recorded before an upgrade must still
    # hold back the same decision after it, so the digest of a decision never changes.
    assert base == "204cb1a8503243631e1acc8e"
    assert int(base, 16) >= 0
    assert gate.basis_of(Kind.DELEGATE, {"balance": 1}, [w2, w1], {"x": 1}) == base
    assert gate.basis_of(Kind.UNDELEGATE, {"balance": 1}, [w1, w2], {"x": 1}) != base
    assert gate.basis_of(Kind.DELEGATE, {"balance": 2}, [w1, w2], {"x": 1}) != base
    assert gate.basis_of(Kind.DELEGATE, {"balance": 1}, [w1], {"x": 1}) != base
    assert gate.basis_of(Kind.DELEGATE, {"balance": 1}, [w1, w2], {"x": 2}) != base
    newer = round_of(positions=(P1, dataclasses.replace(P2, generation=2)))
    moved = [newer.works[P1.id], newer.works[P2.id]]
    assert gate.basis_of(Kind.DELEGATE, {"balance": 1}, moved, {"x": 1}) != base


# -- back-off -----------------------------------------------------------------------------------


def rejected(
    name: str, at: int | None, *, expiration_ms: int = NOW + 60_000, error: str | None = None
) -> Operation:
    return op(
        name,
        state=OpState.REJECTED,
        basis="b",
        final_at_ms=at,
        expiration_ms=expiration_ms,
        error=error,
    )


def test_no_backoff_without_a_matching_rejection() -> None:
    same = rejected("r", NOW - 1000)
    assert gate.backoff(round_of([same]), KEY, "other-basis") is None
    assert gate.backoff(round_of([same]), "other-key", "b") is None
    included = dataclasses.replace(same, state=OpState.INCLUDED)
    assert gate.backoff(round_of([included]), KEY, "b") is None
    assert gate.backoff(round_of([]), KEY, "b") is None


def test_backoff_is_one_resync_period_after_the_rejection() -> None:
    last = rejected("r", NOW - 1000)
    assert gate.backoff(round_of([last]), KEY, "b") == (NOW - 1000 + 300_000, last)
    at_edge = rejected("r", NOW - 300_000)
    assert gate.backoff(round_of([at_edge]), KEY, "b") is None
    just_in = rejected("r", NOW - 299_999)
    assert gate.backoff(round_of([just_in]), KEY, "b") == (NOW + 1, just_in)
    # without a final time, the rejection counts from the expiration
    unknown = rejected("r", None, expiration_ms=NOW - 5000)
    assert gate.backoff(round_of([unknown]), KEY, "b") == (NOW - 5000 + 300_000, unknown)


def test_backoff_doubles_per_rejection_from_the_latest_and_is_capped() -> None:
    early = rejected("r1", NOW - 9000, expiration_ms=NOW + 1)
    late = rejected("r2", NOW - 2000, expiration_ms=NOW + 2)
    middle = rejected("r3", NOW - 5000, expiration_ms=NOW + 3)
    ops = [early, late, middle]
    assert gate.backoff(round_of(ops), KEY, "b") == (NOW - 2000 + 4 * 300_000, late)
    assert gate.backoff(round_of(ops[:2]), KEY, "b") == (NOW - 2000 + 2 * 300_000, late)
    capped = dataclasses.replace(POLICY, max_backoff_s=700)
    assert gate.backoff(round_of(ops, policy=capped), KEY, "b") == (NOW - 2000 + 700_000, late)
    uncapped = dataclasses.replace(POLICY, max_backoff_s=1200)
    assert gate.backoff(round_of(ops, policy=uncapped), KEY, "b") == (
        NOW - 2000 + 1_200_000,
        late,
    )


def test_a_rejection_that_rode_with_another_additive_intent_is_not_held_against_it() -> None:
    mine = rejected("r", NOW - 1000, expiration_ms=NOW + 7)

    def companion(kind: Kind, key: str, expiration_ms: int) -> Operation:
        return op("c", kind, key=key, expiration_ms=expiration_ms, state=OpState.INCLUDED)

    rode = companion(Kind.FREEZE, "freeze-key", NOW + 7)
    assert gate.backoff(round_of([mine, rode]), KEY, "b") is None
    for other in (
        companion(Kind.VOTE, "vote-key", NOW + 7),  # not additive
        companion(Kind.FREEZE, "freeze-key", NOW + 8),  # another batch
        companion(Kind.DELEGATE, KEY, NOW + 7),  # the same intent
    ):
        assert gate.backoff(round_of([mine, other]), KEY, "b") == (NOW - 1000 + 300_000, mine)


def test_held_back_stalls_with_the_decoded_reason_and_requeues_at_the_retry() -> None:
    last = rejected("r", NOW - 1000, error="CONTRACT_VALIDATE_ERROR: no")
    rnd = round_of([last])
    works = [rnd.works[P1.id]]
    assert gate.held_back(rnd, KEY, "b", works)
    message = f"delegate {last.txid} was rejected: CONTRACT_VALIDATE_ERROR: no"
    assert works[0].problems == [("Rejected", message)]
    assert [(n.code, n.until_ms, n.position_ids) for n in rnd.waiting] == [
        ("Rejected", NOW + 299_000, (P1.id,))
    ]
    assert rnd.waiting[0].message == f"{message}; retrying at {NOW + 299_000}"
    assert rnd.requeue == [300, 299]
    silent = round_of([rejected("r", NOW - 1000)])
    w = silent.works[P1.id]
    assert gate.held_back(silent, KEY, "b", [w])
    assert w.problems[0][1].endswith("was rejected: no reason given")
    free = round_of([])
    assert not gate.held_back(free, KEY, "b", [free.works[P1.id]])
    assert free.waiting == []
    assert free.works[P1.id].problems == []
