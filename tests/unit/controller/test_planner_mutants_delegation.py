"""The delegation rules at their edges: which delegated positions an undelegate takes (per
receiver, resource and lock), a lock that has not ended, what the chain lets it take without
touching other delegations; which pooled positions a delegate batches, an unready receiver,
a lock shorter than the existing one, the room the pool leaves, and a stake still arriving.

Written to kill the mutants ``make mutate`` left alive in ``planner/rules/delegation.py``."""

from __future__ import annotations

from tests.unit.controller.builders import (
    BW,
    EN,
    NOW,
    OWNER,
    RECEIVER,
    RECEIVER2,
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
from tron_staking.controller.planner.rules.delegation import plan_delegations, plan_undelegations
from tron_staking.controller.planner.work import Location
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingResourceType
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import DelegationOut
from tron_staking.domain.spec import PositionSpec

BLOCK_MS = 3000


undelegations = planned_by(plan_undelegations)
delegations = planned_by(plan_delegations)


def delegated(
    name: str,
    s: PositionSpec,
    *,
    unstake: bool = False,
    minute: int = 0,
    to: PositionSpec | None = None,
) -> Position:
    """A delegated position; ``to``: the spec its delegation on chain was made for."""
    return position(
        name,
        s,
        state=State.DELEGATED,
        delegation=delegation_of(to or s),
        unstake=unstake,
        created_minute=minute,
    )


def out(
    amount_trx: int,
    *,
    receiver: Address = RECEIVER,
    resource: StakingResourceType = EN,
    ends: int | None = None,
) -> DelegationOut:
    return DelegationOut(
        receiver=receiver,
        resource=resource,
        locked=ends is not None,
        amount_sun=amount_trx * SUN,
        lock_expire_time_ms=ends,
    )


def undelegate_params(amount_sun: int, receiver: str = RECEIVER) -> dict[str, JsonValue]:
    return {
        "owner_address": OWNER,
        "receiver_address": receiver,
        "balance": amount_sun,
        "resource": "ENERGY",
    }


# -- undelegate ---------------------------------------------------------------------------------


def test_an_unstake_undelegates_exactly_what_the_position_delegated() -> None:
    s = spec(100, delegate=RECEIVER)
    a = delegated("a", s, unstake=True)
    rnd = undelegations([a], snapshot(delegations=[out(100), out(50, receiver=RECEIVER2)]))
    (action,) = rnd.actions
    key = intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER)
    assert action.kind is Kind.UNDELEGATE
    assert action.intent_key == key
    assert action.params == undelegate_params(100 * SUN)
    assert action.position_ids == (a.id,)
    assert action.reason == f"undelegate {100 * SUN} sun of {EN} from {RECEIVER} (unstake)"
    works = [rnd.works[a.id]]
    params = undelegate_params(100 * SUN)
    assert action.basis == gate.basis_of(Kind.UNDELEGATE, params, works, {"delegated": 100 * SUN})
    assert rnd.works[a.id].location is Location.POOL
    assert rnd.waiting == []


def test_a_changed_delegation_is_undone_and_a_matching_one_is_kept() -> None:
    moved = delegated("a", spec(100, delegate=RECEIVER2), to=spec(100, delegate=RECEIVER))
    kept = delegated("b", spec(30, delegate=RECEIVER), minute=1)
    leaving = delegated("c", spec(20, delegate=RECEIVER), unstake=True, minute=2)
    relocked = delegated(
        "d", spec(10, delegate=RECEIVER, lock=True), to=spec(10, delegate=RECEIVER), minute=3
    )
    unlocked = delegated(
        "e",
        spec(5, delegate=RECEIVER2),
        to=spec(5, delegate=RECEIVER2, lock=True, lock_period_blocks=600),
        minute=4,
    )
    observed = snapshot(
        delegations=[out(160), out(5, receiver=RECEIVER2, ends=NOW - 1)],
    )
    rnd = undelegations([moved, kept, leaving, relocked, unlocked], observed)
    by_receiver = {(a.params["receiver_address"], a.intent_key): a for a in rnd.actions}
    unlocked_key = intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER)
    locked_key = intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER2, lock=True)
    assert set(by_receiver) == {(RECEIVER, unlocked_key), (RECEIVER2, locked_key)}
    mixed = by_receiver[(RECEIVER, unlocked_key)]
    assert mixed.position_ids == tuple(sorted([moved.id, leaving.id, relocked.id]))
    assert mixed.params["balance"] == 130 * SUN
    assert (
        mixed.reason == f"undelegate {130 * SUN} sun of {EN} from {RECEIVER} (delegation changed)"
    )
    assert by_receiver[(RECEIVER2, locked_key)].params["balance"] == 5 * SUN
    assert rnd.works[kept.id].location is Location.DELEGATED
    # groups go out sorted by receiver, resource and lock
    assert [a.params["receiver_address"] for a in rnd.actions] == sorted([RECEIVER, RECEIVER2])


def test_only_delegated_positions_whose_stake_is_delegated_are_undone() -> None:
    s = spec(100, delegate=RECEIVER)
    # state delegated without a recorded delegation: nothing to take
    bare = position("a", s, state=State.DELEGATED, unstake=True)
    # a recorded delegation on a position no longer delegated
    frozen = position("b", s, state=State.FROZEN, delegation=delegation_of(s), unstake=True)
    rnd = located([bare, frozen], snapshot(delegations=[out(100)]))
    rnd.works[frozen.id].location = Location.DELEGATED
    plan_undelegations(rnd)
    assert (rnd.actions, rnd.waiting) == ([], [])
    # one skipped does not end the look: a later leaving position is undone
    later = delegated("g", s, unstake=True, minute=5)
    rnd = located([bare, frozen, later], snapshot(delegations=[out(100)]))
    rnd.works[frozen.id].location = Location.DELEGATED
    plan_undelegations(rnd)
    assert [x.position_ids for x in rnd.actions] == [(later.id,)]
    # its undelegate already planned or sent: the stake is on its way to the pool
    leaving = delegated("c", s, unstake=True)
    rnd = located([leaving], snapshot(delegations=[out(100)]))
    rnd.works[leaving.id].location = Location.POOL
    plan_undelegations(rnd)
    assert (rnd.actions, rnd.waiting) == ([], [])


def test_an_undelegate_in_flight_holds_the_group() -> None:
    s = spec(100, delegate=RECEIVER)
    a = delegated("a", s, unstake=True)
    key = intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER)
    sent = operation(
        "u",
        Kind.UNDELEGATE,
        [],
        undelegate_params(1),
        state=OperationState.BROADCAST,
        intent_key=key,
    )
    rnd = undelegations([a], snapshot(delegations=[out(100)]), [sent])
    assert rnd.actions == []
    assert [n.code for n in rnd.waiting] == ["OperationInFlight"]
    assert rnd.waiting[0].message.startswith("undelegate: ")


def test_a_locked_delegation_waits_for_its_lock_to_end() -> None:
    s = spec(100, delegate=RECEIVER, lock=True)
    a = delegated("a", s, unstake=True)
    rnd = undelegations([a], snapshot(delegations=[out(100, ends=NOW)]))
    assert rnd.actions == []
    assert rnd.works[a.id].problems == [
        ("LockNotExpired", f"the delegation to {RECEIVER} is locked until {NOW}")
    ]
    assert rnd.waiting == [
        Notice(
            "LockNotExpired",
            f"the locked delegation to {RECEIVER} can be undone after {NOW}",
            (a.id,),
            NOW + BLOCK_MS,
        )
    ]
    assert rnd.requeue[-1] == 3
    # one millisecond after the lock ended it is undone
    rnd = undelegations([a], snapshot(delegations=[out(100, ends=NOW - 1)]))
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    assert rnd.actions[0].intent_key == intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER, lock=True)
    # a locked position without a locked record on chain is not held
    rnd = undelegations([a], snapshot(delegations=[out(100)]))
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    # an unlocked position is not held by another position's lock
    b = delegated("b", spec(40, delegate=RECEIVER), unstake=True)
    rnd = undelegations([b], snapshot(delegations=[out(40), out(100, ends=NOW + 60_000)]))
    assert [x.params["balance"] for x in rnd.actions] == [40 * SUN]


def test_an_undelegate_takes_only_what_the_chain_lets_it_take_now() -> None:
    a = delegated("a", spec(100, delegate=RECEIVER), unstake=True)
    message = (
        f"only {50 * SUN} sun of {EN} delegated to {RECEIVER} can be undelegated now without "
        "touching other delegations"
    )
    rnd = undelegations([a], snapshot(delegations=[out(50)]))
    assert rnd.actions == []
    assert rnd.works[a.id].problems == [("DelegationUnavailable", message)]
    assert rnd.waiting == [Notice("DelegationUnavailable", message, (a.id,), None)]
    assert rnd.retries == [((a.id,), True)]
    # the rest is locked: look again when the lock ends
    rnd = undelegations([a], snapshot(delegations=[out(50), out(70, ends=NOW + 10_000)]))
    assert rnd.waiting == [
        Notice("DelegationUnavailable", message, (a.id,), NOW + 10_000 + BLOCK_MS)
    ]
    assert rnd.retries == []
    # a lock ending right now is no later time to look at
    rnd = undelegations([a], snapshot(delegations=[out(50), out(70, ends=NOW)]))
    assert rnd.waiting == [Notice("DelegationUnavailable", message, (a.id,), None)]
    # exactly enough
    rnd = undelegations([a], snapshot(delegations=[out(100)]))
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]


def test_an_undelegate_never_takes_other_positions_delegations() -> None:
    s = spec(100, delegate=RECEIVER)
    a = delegated("a", s, unstake=True)
    b = delegated("b", spec(200, delegate=RECEIVER), minute=1)
    # someone undid 50 of it outside: the rest belongs to b
    short = snapshot(delegations=[out(250)])
    rnd = undelegations([a, b], short)
    assert rnd.actions == []
    assert [n.code for n in rnd.waiting] == ["DelegationUnavailable"]
    assert rnd.works[a.id].problems[0][0] == "DelegationUnavailable"
    assert rnd.works[b.id].problems == []
    # exactly b's delegation remains
    rnd = undelegations([a, b], snapshot(delegations=[out(300)]))
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    # others: only positions delegated to the same receiver and resource, still delegated
    other_receiver = delegated("c", spec(500, delegate=RECEIVER2), minute=2)
    other_resource = delegated("d", spec(500, delegate=RECEIVER, resource=BW), minute=3)
    on_its_way = delegated("e", spec(500, delegate=RECEIVER), minute=4)
    rnd = located(
        [a, other_receiver, other_resource, on_its_way],
        snapshot(
            delegations=[out(100), out(500, receiver=RECEIVER2), out(500, resource=BW)],
        ),
    )
    rnd.works[on_its_way.id].location = Location.POOL
    plan_undelegations(rnd)
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    # a position recorded as delegated but no longer in the delegated state is not counted
    stale = position(
        "f",
        spec(500, delegate=RECEIVER),
        state=State.FROZEN,
        delegation=delegation_of(spec(500, delegate=RECEIVER)),
    )
    rnd = located([a, stale], snapshot(delegations=[out(100)]))
    rnd.works[stale.id].location = Location.DELEGATED
    plan_undelegations(rnd)
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]


def test_a_delegation_gone_from_the_chain_is_not_undone() -> None:
    a = delegated("a", spec(100, delegate=RECEIVER), unstake=True)
    rnd = undelegations([a], snapshot(delegations=[out(100, receiver=RECEIVER2)]))
    assert rnd.actions == []
    assert rnd.works[a.id].problems == [
        (
            "DelegationUnavailable",
            f"only 0 sun of {EN} delegated to {RECEIVER} can be undelegated now without "
            "touching other delegations",
        )
    ]


def test_an_undelegate_naming_the_position_under_another_intent_holds_it() -> None:
    # included (visible, so the position still shows delegated) but not final yet
    a = delegated("a", spec(100, delegate=RECEIVER), unstake=True)
    other = operation(
        "u2",
        Kind.UNDELEGATE,
        [a],
        undelegate_params(100 * SUN),
        state=OperationState.INCLUDED,
        intent_key=intent_key(Kind.UNDELEGATE, OWNER, EN, RECEIVER, lock=True),
    )
    rnd = undelegations([a], snapshot(delegations=[out(100)]), [other])
    assert rnd.actions == []
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (a.id,))]


def test_a_stray_delegate_holds_undelegates_of_its_resource_only() -> None:
    # a delegate in flight names a position whose stake is in no pool (its freeze is gone)
    stranded = position("p", spec(10, delegate=LAST))
    a = delegated("a", spec(100, delegate=FIRST), unstake=True, minute=1)
    b = delegated("b", spec(30, delegate=LAST, resource=BW), unstake=True, minute=2)
    stray = operation(
        "s",
        Kind.DELEGATE,
        [stranded],
        delegate_params(1, LAST),
        state=OperationState.BROADCAST,
        intent_key=intent_key(Kind.DELEGATE, OWNER, EN, LAST),
    )
    observed = snapshot(
        frozen={EN: 1}, delegations=[out(100, receiver=FIRST), out(30, receiver=LAST, resource=BW)]
    )
    rnd = undelegations([stranded, a, b], observed, [stray])
    assert [x.position_ids for x in rnd.actions] == [(b.id,)]
    assert rnd.waiting == [
        Notice(
            "StrayDependentInFlight",
            f"undelegate: delegate {stray.txid} (broadcast) names positions whose stake is not "
            f"in the pool on the head; the {EN} pool does not grow until it is final or that "
            "stake is there",
            (a.id,),
        )
    ]
    assert rnd.works[a.id].progress == [f"delegate {stray.txid} is broadcast"]
    # a delegate in flight that names the very positions this undelegate brings back is no stray
    own = operation(
        "o",
        Kind.DELEGATE,
        [a],
        delegate_params(1, FIRST),
        state=OperationState.BROADCAST,
        intent_key=intent_key(Kind.DELEGATE, OWNER, EN, FIRST),
    )
    rnd = undelegations(
        [a], snapshot(frozen={EN: 1}, delegations=[out(100, receiver=FIRST)]), [own]
    )
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]


# -- delegate -----------------------------------------------------------------------------------


def delegate_params(
    amount_sun: int, receiver: str = RECEIVER, *, lock: bool = False, period: int | None = None
) -> dict[str, JsonValue]:
    params: dict[str, JsonValue] = {
        "owner_address": OWNER,
        "receiver_address": receiver,
        "balance": amount_sun,
        "resource": "ENERGY",
        "lock": lock,
    }
    if period is not None:
        params["lock_period"] = period
    return params


def test_a_delegate_batches_the_pooled_positions_per_receiver_and_lock() -> None:
    a = position("a", spec(100, delegate=RECEIVER), state=State.FROZEN)
    b = position("b", spec(50, delegate=RECEIVER), state=State.VOTING, created_minute=1)
    c = position("c", spec(30, delegate=RECEIVER, lock=True), state=State.FROZEN, created_minute=2)
    d = position(
        "d",
        spec(20, delegate=RECEIVER2, lock=True, lock_period_blocks=1200),
        state=State.FROZEN,
        created_minute=3,
    )
    leaving = position(
        "e", spec(7, delegate=RECEIVER), state=State.FROZEN, unstake=True, created_minute=4
    )
    pending = position("f", spec(9, delegate=RECEIVER), created_minute=5)
    plain = position("g", spec(11), state=State.FROZEN, created_minute=6)
    observed = snapshot(frozen={EN: 300 * SUN})
    rnd = delegations([a, b, c, d, leaving, pending, plain], observed)
    # positions skipped first do not end the look
    early = [
        position(
            "x1", spec(1, delegate=RECEIVER), state=State.FROZEN, unstake=True, created_minute=-3
        ),
        position("x2", spec(1, delegate=RECEIVER), created_minute=-2),
        position("x3", spec(1), state=State.FROZEN, created_minute=-1),
    ]
    again = delegations([*early, a], snapshot(frozen={EN: 102 * SUN}))
    assert [x.position_ids for x in again.actions] == [(a.id,)]
    got = {(x.intent_key, x.params["balance"]): x for x in rnd.actions}
    unlocked = intent_key(Kind.DELEGATE, OWNER, EN, RECEIVER)
    locked = intent_key(Kind.DELEGATE, OWNER, EN, RECEIVER, lock=True)
    locked2 = intent_key(Kind.DELEGATE, OWNER, EN, RECEIVER2, lock=True)
    assert set(got) == {(unlocked, 150 * SUN), (locked, 30 * SUN), (locked2, 20 * SUN)}
    first = got[(unlocked, 150 * SUN)]
    assert first.params == delegate_params(150 * SUN)
    assert first.position_ids == tuple(sorted([a.id, b.id]))
    assert first.reason == f"delegate {150 * SUN} sun of {EN} to {RECEIVER}"
    works = [rnd.works[a.id], rnd.works[b.id]]
    facts: dict[str, JsonValue] = {"receiver_activated": True, "staked": 300 * SUN}
    assert first.basis == gate.basis_of(Kind.DELEGATE, delegate_params(150 * SUN), works, facts)
    second = got[(locked, 30 * SUN)]
    assert second.params == delegate_params(30 * SUN, lock=True, period=86_400)
    assert second.reason == f"delegate {30 * SUN} sun of {EN} to {RECEIVER} locked for 86400 blocks"
    third = got[(locked2, 20 * SUN)]
    assert third.params == delegate_params(20 * SUN, RECEIVER2, lock=True, period=1200)
    assert third.reason == f"delegate {20 * SUN} sun of {EN} to {RECEIVER2} locked for 1200 blocks"
    # in the order of receiver, resource, lock and lock period
    order = sorted([(RECEIVER, False), (RECEIVER, True), (RECEIVER2, True)])
    assert [(x.params["receiver_address"], x.params["lock"]) for x in rnd.actions] == order
    assert rnd.waiting == []
    assert rnd.works[a.id].location is Location.DELEGATED


FIRST, LAST = sorted((RECEIVER, RECEIVER2))


def test_a_delegate_in_flight_holds_the_group_and_only_it() -> None:
    a = position("a", spec(100, delegate=FIRST), state=State.FROZEN)
    b = position("b", spec(40, delegate=LAST), state=State.FROZEN, created_minute=1)
    key = intent_key(Kind.DELEGATE, OWNER, EN, FIRST)
    sent = operation(
        "d", Kind.DELEGATE, [], delegate_params(1), state=OperationState.BROADCAST, intent_key=key
    )
    # (the one sun it delegates is taken from the pool until it lands)
    rnd = delegations([a, b], snapshot(frozen={EN: 140 * SUN + 1}), [sent])
    assert [x.position_ids for x in rnd.actions] == [(b.id,)]
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (a.id,))]
    assert rnd.waiting[0].message.startswith("delegate: ")
    # a delegate naming the position, sent under another intent (its lock changed since), is
    # included but not final: the position is not delegated twice
    other = operation(
        "d2",
        Kind.DELEGATE,
        [a],
        delegate_params(100 * SUN, FIRST, lock=True, period=86_400),
        state=OperationState.INCLUDED,
        intent_key=intent_key(Kind.DELEGATE, OWNER, EN, FIRST, lock=True),
    )
    rnd = delegations([a, b], snapshot(frozen={EN: 140 * SUN}), [other])
    assert [x.position_ids for x in rnd.actions] == [(b.id,)]
    assert [(n.code, n.position_ids) for n in rnd.waiting] == [("OperationInFlight", (a.id,))]


def test_one_locked_delegation_to_a_receiver_at_a_time() -> None:
    # the longer lock was asked first: the shorter still goes first (ordered by period)
    long = position(
        "b", spec(50, delegate=FIRST, lock=True, lock_period_blocks=2400), state=State.FROZEN
    )
    short = position(
        "a",
        spec(100, delegate=FIRST, lock=True, lock_period_blocks=1200),
        state=State.FROZEN,
        created_minute=1,
    )
    after = position("c", spec(10, delegate=LAST), state=State.FROZEN, created_minute=2)
    rnd = delegations([long, short, after], snapshot(frozen={EN: 160 * SUN}))
    assert [x.position_ids for x in rnd.actions] == [(short.id,), (after.id,)]
    key = intent_key(Kind.DELEGATE, OWNER, EN, FIRST, lock=True)
    assert rnd.waiting == [
        Notice("SameIntentPlanned", f"{key} is planned with another lock period", (long.id,))
    ]
    assert rnd.works[long.id].progress == ["waiting for the other locked delegation to land"]
    # the shorter lock could not be delegated: the longer goes
    rnd = delegations([long, short], snapshot(frozen={EN: 150 * SUN}, can_delegate={EN: 60 * SUN}))
    assert [x.position_ids for x in rnd.actions] == [(long.id,)]
    assert [n.code for n in rnd.waiting] == []


def test_a_receiver_not_activated_or_not_observed_is_not_delegated_to() -> None:
    a = position("a", spec(100, delegate=RECEIVER), state=State.FROZEN)
    for seen, code, message in [
        (
            {RECEIVER: False},
            "ReceiverNotActivated",
            f"the receiver {RECEIVER} is not an activated account",
        ),
        ({}, "ReceiverUnknown", f"the receiver {RECEIVER} was not observed"),
    ]:
        rnd = delegations([a], snapshot(frozen={EN: 100 * SUN}, receivers=seen))
        assert rnd.actions == []
        assert rnd.works[a.id].problems == [(code, message)]
        assert rnd.warnings == [Notice(code, message, (a.id,))]
        assert rnd.retries == [((a.id,), False)]
        assert rnd.waiting == []


def test_a_receiver_not_ready_holds_only_its_own_group() -> None:
    a = position("a", spec(100, delegate=FIRST), state=State.FROZEN)
    b = position("b", spec(40, delegate=LAST), state=State.FROZEN, created_minute=1)
    rnd = delegations([a, b], snapshot(frozen={EN: 140 * SUN}, receivers={LAST: True}))
    assert [x.position_ids for x in rnd.actions] == [(b.id,)]
    assert [n.code for n in rnd.warnings] == ["ReceiverUnknown"]


def test_a_new_lock_must_not_end_before_the_existing_one() -> None:
    period = 1200
    a = position(
        "a",
        spec(100, delegate=RECEIVER, lock=True, lock_period_blocks=period),
        state=State.FROZEN,
    )
    span = period * BLOCK_MS
    observed = snapshot(frozen={EN: 100 * SUN}, delegations=[out(10, ends=NOW + span + 1)])
    rnd = delegations([a], observed)
    assert rnd.actions == []
    assert rnd.works[a.id].problems == [
        (
            "LockPeriodTooShort",
            f"a lock of {period} blocks is shorter than the {span + 1} ms left on the existing "
            f"lock to {RECEIVER}",
        )
    ]
    assert rnd.waiting == [
        Notice(
            "LockPeriodTooShort",
            "the new lock must not end before the existing one",
            (a.id,),
            NOW + 1,
        )
    ]
    # ending together is allowed
    observed = snapshot(frozen={EN: 100 * SUN}, delegations=[out(10, ends=NOW + span)])
    assert [x.params["balance"] for x in delegations([a], observed).actions] == [100 * SUN]
    # an unlocked delegate ignores the lock; so does another receiver's or resource's lock
    b = position("b", spec(100, delegate=RECEIVER), state=State.FROZEN)
    observed = snapshot(frozen={EN: 100 * SUN}, delegations=[out(10, ends=NOW + 10 * span)])
    assert [x.params["balance"] for x in delegations([b], observed).actions] == [100 * SUN]
    for other in (
        out(10, receiver=RECEIVER2, ends=NOW + 10 * span),
        out(10, resource=BW, ends=NOW + 10 * span),
    ):
        observed = snapshot(frozen={EN: 100 * SUN}, delegations=[other])
        assert [x.params["balance"] for x in delegations([a], observed).actions] == [100 * SUN]


def test_a_new_lock_warns_that_it_restarts_the_locked_amount() -> None:
    period = 1200
    a = position(
        "a",
        spec(100, delegate=RECEIVER, lock=True, lock_period_blocks=period),
        state=State.FROZEN,
    )
    held = delegated("b", spec(10, delegate=RECEIVER, lock=True), minute=1)
    unlocked = delegated("c", spec(10, delegate=RECEIVER), minute=2)
    elsewhere = delegated("d", spec(10, delegate=RECEIVER2, lock=True), minute=3)
    other_resource = delegated("e", spec(10, delegate=RECEIVER, lock=True, resource=BW), minute=4)
    records = [
        out(10, ends=NOW + 1),
        out(10),
        out(10, receiver=RECEIVER2, ends=NOW + 1),
        out(10, resource=BW, ends=NOW + 1),
    ]
    rnd = delegations(
        [a, held, unlocked, elsewhere, other_resource],
        snapshot(frozen={EN: 100 * SUN}, delegations=records),
    )
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    assert rnd.warnings == [
        Notice(
            "LockReset",
            f"a new locked delegation to {RECEIVER} restarts the lock of the whole locked "
            f"{EN} amount ({period} blocks)",
            (held.id,),
        )
    ]
    # an existing lock that has ended (even right now) is not restarted
    records[0] = out(10, ends=NOW)
    rnd = delegations([a, held], snapshot(frozen={EN: 100 * SUN}, delegations=records[:1]))
    assert len(rnd.actions) == 1
    assert rnd.warnings == []
    # no locked delegation on chain: nothing to restart
    rnd = delegations([a, held], snapshot(frozen={EN: 100 * SUN}, delegations=[out(10)]))
    assert len(rnd.actions) == 1
    assert rnd.warnings == []


def test_a_delegate_takes_only_the_room_the_pool_leaves() -> None:
    keeper = position("k", spec(100), state=State.FROZEN)
    a = position("a", spec(150, delegate=RECEIVER), state=State.FROZEN, created_minute=1)
    b = position("b", spec(100, delegate=RECEIVER), state=State.FROZEN, created_minute=2)
    rnd = delegations([keeper, a, b], snapshot(frozen={EN: 300 * SUN}))
    assert [(x.position_ids, x.params["balance"]) for x in rnd.actions] == [((a.id,), 150 * SUN)]
    assert rnd.works[b.id].problems == [
        (
            "CanDelegateInsufficient",
            f"only {50 * SUN} sun of {EN} can be delegated now (resource usage or stake held "
            "elsewhere)",
        )
    ]
    assert rnd.retries == [((b.id,), True)]
    assert rnd.works[a.id].problems == []
    # what the chain lets delegate (resource in use) bounds it too
    rnd = delegations(
        [keeper, a, b], snapshot(frozen={EN: 300 * SUN}, can_delegate={EN: 120 * SUN})
    )
    assert [(x.position_ids, x.params["balance"]) for x in rnd.actions] == [((b.id,), 100 * SUN)]
    assert rnd.works[a.id].problems[0][1].startswith(f"only {120 * SUN} sun of ")
    # the pool does not even cover the others: no negative room is shown
    rnd = delegations([keeper, a], snapshot(frozen={EN: 50 * SUN}))
    assert rnd.actions == []
    assert rnd.works[a.id].problems[0][1].startswith(f"only 0 sun of {EN} ")


def test_a_delegate_of_stake_still_arriving_rides_only_when_it_must() -> None:
    s = spec(100, delegate=RECEIVER)
    a = position("a", s)
    freeze = operation(
        "f",
        Kind.FREEZE,
        [a],
        {"frozen_balance": 100 * SUN, "resource": "ENERGY"},
        state=OperationState.BROADCAST,
        intent_key=intent_key(Kind.FREEZE, OWNER, EN),
    )
    # the chain's frozen pool covers it without the freeze: it waits for the freeze
    rnd = delegations([a], snapshot(frozen={EN: 100 * SUN}), [freeze])
    assert rnd.actions == []
    assert rnd.works[a.id].progress == [f"the delegate waits for the {Kind.FREEZE} to be included"]
    assert rnd.waiting == [
        Notice(
            "AwaitingInclusion",
            "the frozen pool could cover this delegate without the pending transaction: it "
            "waits for its inclusion so that a dropped transaction cannot leave it using "
            "stake the service does not manage",
            (a.id,),
        )
    ]
    # it does not: it rides
    rnd = delegations([a], snapshot(frozen={EN: 0}), [freeze])
    assert [x.params["balance"] for x in rnd.actions] == [100 * SUN]
    assert rnd.waiting == []
    # a visible one goes alone with the amount it delegates
    b = position("b", spec(40, delegate=RECEIVER), state=State.FROZEN, created_minute=1)
    rnd = delegations([a, b], snapshot(frozen={EN: 140 * SUN}), [freeze])
    assert [(x.position_ids, x.params["balance"]) for x in rnd.actions] == [((b.id,), 40 * SUN)]
    assert rnd.actions[0].reason == f"delegate {40 * SUN} sun of {EN} to {RECEIVER}"
    assert [n.position_ids for n in rnd.waiting] == [(a.id,)]
    assert rnd.works[b.id].progress == ["delegate planned"]
