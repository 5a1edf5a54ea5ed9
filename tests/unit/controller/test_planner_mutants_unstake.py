"""The unstake rules at their edges: which leaving positions an unfreeze batches per resource,
a re-vote that must go first, the 32 pending unfreezes, the pool that must still cover every
other position, a stake still arriving by an undelegate; and when matured unfreezes are
withdrawn (claimable positions, or pending freezes short of balance).

Written to kill the mutants ``make mutate`` left alive in ``planner/rules/unstake.py``."""

from __future__ import annotations

from tests.unit.controller.builders import (
    BW,
    EN,
    NOW,
    OWNER,
    RECEIVER,
    SUN,
    Kind,
    State,
    delegation_of,
    operation,
    position,
    snapshot,
    spec,
)
from tests.unit.controller.rounds import located, planned_by
from tron_staking.controller.planner import gate
from tron_staking.controller.planner.model import Notice, intent_key
from tron_staking.controller.planner.rules.unstake import plan_unfreezes, plan_withdraw_expired
from tron_staking.controller.planner.work import Location
from tron_staking.domain.enums import OperationState
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import UnfreezingEntry

unfreezes = planned_by(plan_unfreezes)
withdraws = planned_by(plan_withdraw_expired)


def unfreeze_params(amount_sun: int, resource: str = "ENERGY") -> dict[str, JsonValue]:
    return {"owner_address": OWNER, "unfreeze_balance": amount_sun, "resource": resource}


def entry(amount_trx: int, expire_time_ms: int) -> UnfreezingEntry:
    return UnfreezingEntry(resource=EN, amount_sun=amount_trx * SUN, expire_time_ms=expire_time_ms)


# -- unfreeze -----------------------------------------------------------------------------------


def test_an_unfreeze_per_resource_batches_the_leaving_pooled_positions() -> None:
    a = position("a", spec(100), state=State.FROZEN, unstake=True)
    b = position("b", spec(50), state=State.VOTING, unstake=True, created_minute=1)
    c = position("c", spec(30, resource=BW), state=State.FROZEN, unstake=True, created_minute=2)
    staying = position("d", spec(20), state=State.FROZEN, created_minute=3)
    pending = position("e", spec(10), unstake=True, created_minute=4)
    observed = snapshot(frozen={EN: 170 * SUN, BW: 30 * SUN})
    rnd = unfreezes([a, b, c, staying, pending], observed)
    assert [(x.params, x.position_ids) for x in rnd.actions] == [
        (unfreeze_params(150 * SUN), tuple(sorted([a.id, b.id]))),
        (unfreeze_params(30 * SUN, "BANDWIDTH"), (c.id,)),
    ] or [(x.params, x.position_ids) for x in rnd.actions] == [
        (unfreeze_params(30 * SUN, "BANDWIDTH"), (c.id,)),
        (unfreeze_params(150 * SUN), tuple(sorted([a.id, b.id]))),
    ]
    energy = next(x for x in rnd.actions if x.params["resource"] == "ENERGY")
    assert energy.kind is Kind.UNFREEZE
    assert energy.intent_key == intent_key(Kind.UNFREEZE, OWNER, EN)
    assert energy.reason == f"unfreeze {150 * SUN} sun of {EN} for 2 unstaked positions"
    works = [rnd.works[a.id], rnd.works[b.id]]
    facts: dict[str, JsonValue] = {"staked": 170 * SUN}
    assert energy.basis == gate.basis_of(Kind.UNFREEZE, unfreeze_params(150 * SUN), works, facts)
    assert rnd.works[a.id].location is Location.NONE
    assert rnd.works[staying.id].location is Location.POOL
    assert rnd.waiting == []


def test_only_leaving_stake_in_the_pool_in_a_holding_state_is_unfrozen() -> None:
    s = spec(100, delegate=RECEIVER)
    # delegated and its undelegate planned: the stake is in the pool by then
    delegated = position("a", s, state=State.DELEGATED, delegation=delegation_of(s), unstake=True)
    rnd = located([delegated], snapshot(frozen={EN: 100 * SUN}))
    rnd.works[delegated.id].location = Location.POOL
    plan_unfreezes(rnd)
    assert [x.params["unfreeze_balance"] for x in rnd.actions] == [100 * SUN]
    # still delegated: nothing
    rnd = unfreezes([delegated], snapshot(frozen={EN: 100 * SUN}))
    assert (rnd.actions, rnd.waiting) == ([], [])
    # already unfreezing (its stake in no pool any more), or in a state that holds none
    for state in (State.UNFREEZING, State.CLAIMABLE, State.PENDING):
        gone = position("b", spec(100), state=state, unstake=True)
        rnd = located([gone], snapshot(frozen={EN: 100 * SUN}))
        rnd.works[gone.id].location = Location.POOL
        plan_unfreezes(rnd)
        assert (rnd.actions, rnd.waiting) == ([], []), state


def test_an_unfreeze_waits_for_its_re_vote() -> None:
    a = position("a", spec(100), state=State.FROZEN, unstake=True)
    b = position("b", spec(30, resource=BW), state=State.FROZEN, unstake=True, created_minute=1)
    rnd = located([a, b], snapshot(frozen={EN: 100 * SUN, BW: 30 * SUN}))
    rnd.held_unfreezes.add(EN)
    plan_unfreezes(rnd)
    assert [x.params["resource"] for x in rnd.actions] == ["BANDWIDTH"]
    assert rnd.waiting == [
        Notice("VoteFirst", "the unfreeze would rescale other positions' votes", (a.id,))
    ]
    assert rnd.works[a.id].progress == ["the unfreeze waits for a re-vote"]


def test_an_unfreeze_in_flight_holds_the_batch() -> None:
    a = position("a", spec(100), state=State.FROZEN, unstake=True)
    key = intent_key(Kind.UNFREEZE, OWNER, EN)
    sent = operation(
        "u", Kind.UNFREEZE, [], unfreeze_params(1), state=OperationState.BROADCAST, intent_key=key
    )
    rnd = unfreezes([a], snapshot(frozen={EN: 100 * SUN}), [sent])
    assert rnd.actions == []
    assert [n.code for n in rnd.waiting] == ["OperationInFlight"]
    assert rnd.waiting[0].message.startswith("unfreeze: ")
    # an unfreeze naming the position, included (visible) but not final: not unfrozen twice
    named = operation(
        "u2",
        Kind.UNFREEZE,
        [a],
        unfreeze_params(100 * SUN),
        state=OperationState.INCLUDED,
        intent_key="unfreeze:another",
    )
    rnd = unfreezes([a], snapshot(frozen={EN: 100 * SUN}), [named])
    assert rnd.actions == []
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (a.id,))]


def test_the_32_pending_unfreezes_hold_the_next_one_until_the_soonest_matures() -> None:
    a = position("a", spec(100), state=State.FROZEN, unstake=True)
    pending = [entry(1, NOW), entry(1, NOW + 9000), entry(1, NOW + 5000), entry(1, NOW + 7000)]
    observed = snapshot(frozen={EN: 100 * SUN}, unfreezing=pending, available_unfreeze_count=0)
    rnd = unfreezes([a], observed)
    assert rnd.actions == []
    assert rnd.works[a.id].problems == [
        ("UnfreezeLimit", "32 unfreezes are pending on this account")
    ]
    assert rnd.warnings == [
        Notice(
            "UnfreezeLimit", f"32 unfreezes are pending; the next frees at {NOW + 5000}", (a.id,)
        )
    ]
    assert rnd.waiting == [
        Notice("UnfreezeLimit", "waiting for a pending unfreeze to mature", (a.id,), NOW + 5000)
    ]
    assert rnd.requeue[-1] == 5
    # no pending entry seen: look again now
    observed = snapshot(frozen={EN: 100 * SUN}, available_unfreeze_count=0)
    rnd = unfreezes([a], observed)
    assert rnd.waiting[-1].until_ms == NOW
    assert rnd.warnings[-1].message == f"32 unfreezes are pending; the next frees at {NOW}"
    # one slot left is enough
    observed = snapshot(frozen={EN: 100 * SUN}, available_unfreeze_count=1)
    assert [x.params["unfreeze_balance"] for x in unfreezes([a], observed).actions] == [100 * SUN]


def test_an_unfreeze_leaves_every_other_positions_stake_in_the_pool() -> None:
    keeper = position("k", spec(100), state=State.FROZEN)
    a = position("a", spec(150), state=State.FROZEN, unstake=True, created_minute=1)
    b = position("b", spec(40), state=State.FROZEN, unstake=True, created_minute=2)
    other = position("o", spec(500, resource=BW), state=State.FROZEN, created_minute=3)
    rnd = unfreezes([keeper, a, b, other], snapshot(frozen={EN: 200 * SUN, BW: 500 * SUN}))
    assert [(x.position_ids, x.params["unfreeze_balance"]) for x in rnd.actions] == [
        ((b.id,), 40 * SUN)
    ]
    assert rnd.actions[0].reason == f"unfreeze {40 * SUN} sun of {EN} for 1 unstaked positions"
    assert rnd.works[a.id].problems == [
        (
            "FrozenBalanceInUse",
            f"frozen {EN} on chain does not cover this position besides the others",
        )
    ]
    assert rnd.retries == [((a.id,), True)]
    assert rnd.works[b.id].problems == []
    # exactly enough for both
    rnd = unfreezes([keeper, a, b, other], snapshot(frozen={EN: 290 * SUN, BW: 500 * SUN}))
    assert [x.params["unfreeze_balance"] for x in rnd.actions] == [190 * SUN]
    assert rnd.retries == []


def test_an_unfreeze_of_stake_still_arriving_rides_only_when_it_must() -> None:
    s = spec(100, delegate=RECEIVER)
    a = position("a", s, state=State.DELEGATED, delegation=delegation_of(s), unstake=True)
    undelegate = operation(
        "u",
        Kind.UNDELEGATE,
        [a],
        {"receiver_address": RECEIVER, "balance": 100 * SUN, "resource": "ENERGY"},
        state=OperationState.BROADCAST,
        intent_key=intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER),
    )
    # the pool covers it without the undelegate: it waits for the undelegate
    rnd = unfreezes([a], snapshot(frozen={EN: 100 * SUN}), [undelegate])
    assert rnd.actions == []
    assert rnd.works[a.id].progress == [
        f"the unfreeze waits for the {Kind.UNDELEGATE} to be included"
    ]
    assert rnd.waiting == [
        Notice(
            "AwaitingInclusion",
            "the frozen pool could cover this unfreeze without the pending undelegate: it "
            "waits for its inclusion",
            (a.id,),
        )
    ]
    # it does not: it rides
    rnd = unfreezes([a], snapshot(frozen={EN: 0}), [undelegate])
    assert [x.params["unfreeze_balance"] for x in rnd.actions] == [100 * SUN]
    assert rnd.waiting == []
    # one in the pool already goes alone, with its own amount
    b = position("b", spec(40), state=State.FROZEN, unstake=True, created_minute=1)
    rnd = unfreezes([a, b], snapshot(frozen={EN: 140 * SUN}), [undelegate])
    assert [(x.position_ids, x.params["unfreeze_balance"]) for x in rnd.actions] == [
        ((b.id,), 40 * SUN)
    ]
    assert rnd.actions[0].reason == f"unfreeze {40 * SUN} sun of {EN} for 1 unstaked positions"
    assert [n.position_ids for n in rnd.waiting] == [(a.id,)]


# -- withdraw -----------------------------------------------------------------------------------


def claimable(name: str, amount_trx: int = 100, minute: int = 0) -> Position:
    return position(
        name,
        spec(amount_trx),
        state=State.CLAIMABLE,
        unstake=True,
        unfreeze_expire_time_ms=NOW - 1,
        created_minute=minute,
    )


def test_matured_unstakes_are_withdrawn() -> None:
    a = claimable("a")
    b = claimable("b", 50, minute=1)
    unfreezing = position("c", spec(10), state=State.UNFREEZING, unstake=True, created_minute=2)
    observed = snapshot(unfreezing=[entry(100, NOW), entry(50, NOW - 1), entry(10, NOW + 1)])
    rnd = withdraws([a, b, unfreezing], observed)
    (action,) = rnd.actions
    key = intent_key(Kind.WITHDRAW_EXPIRE_UNFREEZE, OWNER)
    assert action.kind is Kind.WITHDRAW_EXPIRE_UNFREEZE
    assert action.intent_key == key
    assert action.params == {"owner_address": OWNER}
    assert action.position_ids == tuple(sorted([a.id, b.id]))
    assert action.amount_sun == 150 * SUN
    assert action.reason == f"withdraw {150 * SUN} sun of matured unfreezes (matured unstakes)"
    works = [rnd.works[a.id], rnd.works[b.id]]
    facts: dict[str, JsonValue] = {"withdrawable": 150 * SUN}
    assert action.basis == gate.basis_of(
        Kind.WITHDRAW_EXPIRE_UNFREEZE, {"owner_address": OWNER}, works, facts
    )


def test_a_withdraw_needs_something_matured_and_someone_to_pay() -> None:
    a = claimable("a")
    assert withdraws([a], snapshot(unfreezing=[entry(100, NOW + 1)])).actions == []
    one = snapshot(unfreezing=[UnfreezingEntry(resource=EN, amount_sun=1, expire_time_ms=NOW)])
    assert [x.amount_sun for x in withdraws([a], one).actions] == [1]
    # matured entries, but no claimable position and no freeze short of balance
    frozen = position("b", spec(100), state=State.FROZEN)
    rnd = withdraws([frozen], snapshot(unfreezing=[entry(100, NOW)]))
    assert (rnd.actions, rnd.waiting) == ([], [])


def test_matured_outside_unfreezes_pay_for_freezes_short_of_balance() -> None:
    observed = snapshot(balance_trx=500, unfreezing=[entry(700, NOW)])
    short = position("a", spec(600))
    rnd = withdraws([short], observed)
    (action,) = rnd.actions
    assert action.position_ids == ()
    assert action.amount_sun == 700 * SUN
    assert action.reason == (
        f"withdraw {700 * SUN} sun of matured unfreezes (balance for pending freezes)"
    )
    # exactly covered, or leaving, or not pending: no withdraw
    for p in (
        position("b", spec(500)),
        position("c", spec(600), unstake=True),
        position("d", spec(600), state=State.FROZEN),
    ):
        assert withdraws([p], observed).actions == [], p.id
    # a claimable one as well: the withdraw is for the matured unstakes
    rnd = withdraws([short, claimable("e", minute=1)], observed)
    assert rnd.actions[0].reason.endswith("(matured unstakes)")


def test_no_withdraw_beside_a_planned_unfreeze_which_sweeps_the_matured_entries() -> None:
    a = claimable("a")
    leaving = position("b", spec(100), state=State.FROZEN, unstake=True, created_minute=1)
    rnd = located([a, leaving], snapshot(frozen={EN: 100 * SUN}, unfreezing=[entry(100, NOW)]))
    plan_unfreezes(rnd)
    plan_withdraw_expired(rnd)
    assert [x.kind for x in rnd.actions] == [Kind.UNFREEZE]


def test_a_withdraw_in_flight_holds_the_claimable_positions() -> None:
    a = claimable("a")
    key = intent_key(Kind.WITHDRAW_EXPIRE_UNFREEZE, OWNER)
    # included and visible, not final yet; an entry matured since
    sent = operation(
        "w", Kind.WITHDRAW_EXPIRE_UNFREEZE, [a], {}, state=OperationState.INCLUDED, intent_key=key
    )
    rnd = withdraws([a], snapshot(unfreezing=[entry(100, NOW)]), [sent])
    assert rnd.actions == []
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (a.id,))]
    assert rnd.waiting[0].message.startswith("withdraw: ")
    done = operation(
        "w", Kind.WITHDRAW_EXPIRE_UNFREEZE, [a], {}, state=OperationState.SOLIDIFIED, intent_key=key
    )
    assert len(withdraws([a], snapshot(unfreezing=[entry(100, NOW)]), [done]).actions) == 1
