"""The evidence ledger, edge by edge: which operations count as landed, the chain order they
are applied in, what each kind does to a position, the unfreeze entry it created, and where
every position's stake is expected once the unresolved operations land (with their fees).

Written to kill the mutants ``make mutate`` left alive in ``planner/evidence.py``: each test
pins the exact transitions, facets and tallies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    DAY_MS,
    EN,
    HEAD,
    NOW,
    POLICY,
    RECEIVER,
    RECEIVER2,
    SUN,
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
from tron_staking.controller.planner import evidence
from tron_staking.controller.planner.work import Location, Round
from tron_staking.domain.operation import JsonValue, Operation
from tron_staking.domain.position import ChainDelegation, Position
from tron_staking.domain.snapshot import AccountSnapshot, UnfreezingEntry

DELAY_MS = 14 * DAY_MS


def round_of(
    positions: Sequence[Position],
    operations: Sequence[Operation] = (),
    observed: AccountSnapshot | None = None,
) -> Round:
    seen = observed if observed is not None else snapshot(frozen={EN: 1000 * SUN})
    return Round(positions, seen, operations, NOW, POLICY, False)


def vote_params(*pairs: tuple[object, int]) -> dict[str, JsonValue]:
    return {"votes": [{"vote_address": str(w), "vote_count": c} for w, c in pairs]}


def to_states(rnd: Round, p: Position) -> list[State]:
    return [t.to_state for t in rnd.works[p.id].transitions]


# -- which operations have landed ---------------------------------------------------------------


def test_only_operations_landed_at_or_below_the_head_apply() -> None:
    at_head = position("a", spec(100))
    above = position("b", spec(100), created_minute=1)
    sent = position("c", spec(100), created_minute=2)
    solid = position("d", spec(100), created_minute=3)
    ops = [
        operation("f-a", Kind.FREEZE, [at_head], {}, block=HEAD),
        operation("f-b", Kind.FREEZE, [above], {}, block=HEAD + 1),
        operation("f-c", Kind.FREEZE, [sent], {}, state=OpState.BROADCAST),
        operation("f-d", Kind.FREEZE, [solid], {}, state=OpState.SOLIDIFIED, block=HEAD - 30),
    ]
    rnd = round_of([at_head, above, sent, solid], ops)
    evidence.apply_landed(rnd)
    assert rnd.works[at_head.id].state is State.FROZEN
    assert rnd.works[at_head.id].applied == [ops[0].id]
    assert rnd.works[above.id].state is State.PENDING
    assert rnd.works[sent.id].state is State.PENDING
    assert rnd.works[solid.id].state is State.FROZEN
    transition = rnd.works[at_head.id].transitions[0]
    assert (transition.txid, transition.block, transition.operation_id) == (
        ops[0].txid,
        HEAD,
        ops[0].id,
    )
    assert transition.reason == f"freeze {ops[0].txid} included in block {HEAD}"


def test_an_operation_already_applied_or_naming_an_unknown_position_is_skipped() -> None:
    done = position("done", spec(100))
    fresh = position("fresh", spec(100), created_minute=1)
    stranger = position("stranger", spec(100), created_minute=2)
    op = operation("f", Kind.FREEZE, [stranger, done, fresh], {})
    done = dataclasses.replace(done, applied_operations=(op.id,))
    rnd = round_of([done, fresh], [op])
    evidence.apply_landed(rnd)
    assert rnd.works[done.id].state is State.PENDING
    assert rnd.works[done.id].applied == []
    assert rnd.works[fresh.id].state is State.FROZEN
    assert rnd.works[fresh.id].applied == [op.id]
    assert rnd.warnings == []


# -- chain order --------------------------------------------------------------------------------


def frozen_pos() -> Position:
    return position("p", spec(100, votes={W1: 1}, delegate=RECEIVER), state=State.FROZEN)


def vote_and_delegate(
    vote_block: int, vote_exp: int, delegate_block: int, delegate_exp: int
) -> list[State]:
    p = frozen_pos()
    delegate = operation(
        "d",
        Kind.DELEGATE,
        [p],
        {"balance": 100 * SUN, "receiver_address": str(RECEIVER)},
        block=delegate_block,
        expiration_ms=delegate_exp,
    )
    vote = operation(
        "v",
        Kind.VOTE,
        [p],
        vote_params((W1, 100)),
        block=vote_block,
        expiration_ms=vote_exp,
        position_votes={p.id: (wv(W1, 100),)},
    )
    rnd = round_of([p], [delegate, vote])
    evidence.apply_landed(rnd)
    assert sorted(rnd.works[p.id].applied) == sorted([delegate.id, vote.id])
    return to_states(rnd, p)


def test_landed_operations_apply_by_block_then_batch_then_send_order() -> None:
    # the earlier block first, whatever the batch
    assert vote_and_delegate(HEAD, NOW, HEAD - 1, NOW + 5) == [State.DELEGATED, State.DELEGATED]
    assert vote_and_delegate(HEAD - 1, NOW + 5, HEAD, NOW) == [State.VOTING, State.DELEGATED]
    # the same block: the earlier batch first, whatever the kind
    assert vote_and_delegate(HEAD, NOW + 5, HEAD, NOW) == [State.DELEGATED, State.DELEGATED]
    # the same batch: the send order (vote before delegate)
    assert vote_and_delegate(HEAD, NOW, HEAD, NOW) == [State.VOTING, State.DELEGATED]


def test_an_operation_that_does_not_apply_yet_is_retried_once_after_the_others() -> None:
    p = position("p", spec(100, delegate=RECEIVER))
    delegate = operation(
        "d", Kind.DELEGATE, [p], {"receiver_address": str(RECEIVER)}, block=HEAD - 2
    )
    freeze = operation("f", Kind.FREEZE, [p], {}, block=HEAD - 1)
    rnd = round_of([p], [delegate, freeze])
    evidence.apply_landed(rnd)
    assert to_states(rnd, p) == [State.FROZEN, State.DELEGATED]
    assert rnd.works[p.id].applied == [freeze.id, delegate.id]
    assert rnd.warnings == []


def test_an_operation_that_never_applies_is_reported_and_remembered() -> None:
    p = position("p", spec(100, delegate=RECEIVER))
    delegate = operation("d", Kind.DELEGATE, [p], {"receiver_address": str(RECEIVER)})
    rnd = round_of([p], [delegate])
    evidence.apply_landed(rnd)
    assert rnd.works[p.id].state is State.PENDING
    assert rnd.works[p.id].applied == [delegate.id]
    assert [(n.code, n.position_ids) for n in rnd.warnings] == [("OperationNotApplicable", (p.id,))]
    assert rnd.warnings[0].message == (
        f"delegate {delegate.txid} names {p.id}, which is pending; "
        "its effect is not applied to the position"
    )


# -- each kind ----------------------------------------------------------------------------------


def delegated_by(params: dict[str, JsonValue], state: State = State.FROZEN) -> Round:
    p = position("p", spec(100, resource=BW, delegate=RECEIVER2), state=state)
    rnd = round_of([p], [operation("d", Kind.DELEGATE, [p], params)])
    evidence.apply_landed(rnd)
    return rnd


def test_a_delegate_records_the_delegation_it_made() -> None:
    base: dict[str, JsonValue] = {"receiver_address": str(RECEIVER), "balance": 1}
    rnd = delegated_by({**base, "lock": True, "lock_period": 1200})
    (w,) = rnd.works.values()
    assert w.state is State.DELEGATED
    assert w.delegation == ChainDelegation(
        receiver=RECEIVER, resource=BW, lock=True, lock_period_blocks=1200, amount_sun=100 * SUN
    )
    (w,) = delegated_by({**base, "lock": False, "lock_period": 1200}).works.values()
    assert w.delegation is not None
    assert (w.delegation.lock, w.delegation.lock_period_blocks) == (False, None)
    (w,) = delegated_by({**base, "lock": True, "lock_period": "1200"}).works.values()
    assert w.delegation is not None
    assert (w.delegation.lock, w.delegation.lock_period_blocks) == (True, None)
    (w,) = delegated_by({**base, "lock": "yes"}, State.VOTING).works.values()
    assert w.state is State.DELEGATED
    assert w.delegation is not None
    assert w.delegation.lock is False


def test_an_undelegate_clears_the_delegation_only_when_it_applies() -> None:
    s = spec(100, delegate=RECEIVER)
    held = position("p", s, state=State.DELEGATED, delegation=delegation_of(s))
    rnd = round_of([held], [operation("u", Kind.UNDELEGATE, [held], {"balance": 1})])
    evidence.apply_landed(rnd)
    assert rnd.works[held.id].state is State.FROZEN
    assert rnd.works[held.id].delegation is None
    odd = ChainDelegation(RECEIVER, EN, False, None, 5)
    frozen = position("q", s, state=State.FROZEN, delegation=odd)
    rnd = round_of([frozen], [operation("u", Kind.UNDELEGATE, [frozen], {"balance": 1})])
    evidence.apply_landed(rnd)
    assert rnd.works[frozen.id].state is State.FROZEN
    assert rnd.works[frozen.id].delegation == odd
    assert [n.code for n in rnd.warnings] == ["OperationNotApplicable"]


def unfreeze_round(p: Position, entries: Sequence[UnfreezingEntry] = ()) -> Round:
    op = operation(
        "uf",
        Kind.UNFREEZE,
        [p],
        {"unfreeze_balance": 100 * SUN, "resource": "ENERGY"},
        block_time_ms=NOW - 3000,
    )
    rnd = round_of([p], [op], snapshot(unfreezing=tuple(entries)))
    evidence.apply_landed(rnd)
    return rnd


def test_an_unfreeze_applies_only_to_an_unstaking_position_holding_stake() -> None:
    voting = position("p", spec(100, votes={W1: 1}), state=State.VOTING, unstake=True)
    voting = dataclasses.replace(voting, votes_cast=(wv(W1, 100),))
    rnd = unfreeze_round(voting)
    w = rnd.works[voting.id]
    assert w.state is State.UNFREEZING
    assert w.votes_cast == ()
    assert w.unfreeze_expire_time_ms == NOW - 6000 + DELAY_MS
    staying = dataclasses.replace(voting, unstake_requested=False)
    w = unfreeze_round(staying).works[staying.id]
    assert (w.state, w.votes_cast, w.unfreeze_expire_time_ms) == (
        State.VOTING,
        (wv(W1, 100),),
        None,
    )
    pending = position("q", spec(100), unstake=True)
    w = unfreeze_round(pending).works[pending.id]
    assert (w.state, w.unfreeze_expire_time_ms) == (State.PENDING, None)


def expiry(entries: Sequence[UnfreezingEntry], block_time_ms: int | None = NOW - 3000) -> int:
    p = position("p", spec(100), state=State.FROZEN, unstake=True)
    op = operation(
        "uf",
        Kind.UNFREEZE,
        [p],
        {"unfreeze_balance": 100 * SUN, "resource": "ENERGY"},
        block_time_ms=block_time_ms,
    )
    if block_time_ms is None:
        op = dataclasses.replace(op, block_time_ms=None)
    rnd = round_of([p], [op], snapshot(unfreezing=tuple(entries)))
    return evidence._unfreeze_expiry(rnd, op)


def test_the_unfreeze_expiry_is_the_matching_entry_closest_to_the_expected_time() -> None:
    expected = NOW - 6000 + DELAY_MS
    assert expiry([]) == expected
    assert expiry([], None) == NOW - 3000 + DELAY_MS

    assert expiry([UnfreezingEntry(EN, 100 * SUN, expected + 5)]) == expected + 5
    assert (
        expiry(
            [
                UnfreezingEntry(EN, 100 * SUN, expected + 5),
                UnfreezingEntry(EN, 100 * SUN, expected - 3),
            ]
        )
        == expected - 3
    )
    # a tie goes to the later entry
    assert (
        expiry(
            [
                UnfreezingEntry(EN, 100 * SUN, expected - 4),
                UnfreezingEntry(EN, 100 * SUN, expected + 4),
            ]
        )
        == expected + 4
    )
    # within a day of the expected time, never further
    assert expiry([UnfreezingEntry(EN, 100 * SUN, expected + DAY_MS)]) == expected + DAY_MS
    assert expiry([UnfreezingEntry(EN, 100 * SUN, expected - DAY_MS)]) == expected - DAY_MS
    assert expiry([UnfreezingEntry(EN, 100 * SUN, expected + DAY_MS + 1)]) == expected
    # the same amount and resource only
    assert expiry([UnfreezingEntry(EN, 100 * SUN + 1, expected + 5)]) == expected
    assert expiry([UnfreezingEntry(BW, 100 * SUN, expected + 5)]) == expected


def test_a_vote_sets_replaces_or_removes_the_positions_votes() -> None:
    voting = dataclasses.replace(
        position("v", spec(100, votes={W1: 1}), state=State.VOTING), votes_cast=(wv(W1, 100),)
    )
    frozen = position("f", spec(100, votes={W2: 1}), state=State.FROZEN, created_minute=1)
    quiet = position("q", spec(100), state=State.FROZEN, created_minute=3)
    op = operation(
        "vote",
        Kind.VOTE,
        [],
        vote_params((W2, 200)),
        position_votes={
            voting.id: (),
            frozen.id: (wv(W2, 100),),
            quiet.id: (),
        },
    )
    rnd = round_of([voting, frozen, quiet], [op])
    evidence.apply_landed(rnd)
    v, f, q = (rnd.works[x.id] for x in (voting, frozen, quiet))
    assert (v.state, v.votes_cast, to_states(rnd, voting)) == (State.FROZEN, (), [State.FROZEN])
    assert (f.state, f.votes_cast) == (State.VOTING, (wv(W2, 100),))
    assert (q.state, q.transitions, q.applied) == (State.FROZEN, [], [op.id])
    assert rnd.warnings == []


def test_withdrawals_and_claims_apply_without_a_transition() -> None:
    p = position("p", spec(100), state=State.CLAIMABLE, unstake=True)
    ops = [
        operation("w", Kind.WITHDRAW_EXPIRE_UNFREEZE, [p], {}),
        operation("c", Kind.CLAIM_REWARDS, [p], {}),
    ]
    rnd = round_of([p], ops)
    evidence.apply_landed(rnd)
    assert rnd.works[p.id].state is State.CLAIMABLE
    assert sorted(rnd.works[p.id].applied) == sorted(o.id for o in ops)
    assert rnd.warnings == []


# -- where the stake is expected ----------------------------------------------------------------


def test_locate_starts_from_the_visible_state() -> None:
    states = [State.PENDING, State.FROZEN, State.VOTING, State.DELEGATED, State.UNFREEZING]
    ps = [
        position(f"p{i}", spec(100), state=s, created_minute=i, unstake=s is State.UNFREEZING)
        for i, s in enumerate(states)
    ]
    rnd = round_of(ps)
    for w in rnd.works.values():
        w.location = Location.DELEGATED
        w.arriving_by = Kind.FREEZE
    evidence.locate(rnd)
    assert [(rnd.works[p.id].location, rnd.works[p.id].arriving_by) for p in ps] == [
        (Location.NONE, None),
        (Location.POOL, None),
        (Location.POOL, None),
        (Location.DELEGATED, None),
        (Location.NONE, None),
    ]


def test_locate_applies_unresolved_operations_in_batch_then_send_order() -> None:
    p = position("p", spec(100, delegate=RECEIVER))
    bystander = position("b", spec(50), created_minute=1)
    freeze = operation(
        "f",
        Kind.FREEZE,
        [p],
        {"frozen_balance": 100 * SUN, "resource": "ENERGY"},
        state=OpState.BROADCAST,
        expiration_ms=NOW + 10,
    )
    delegate = operation(
        "d",
        Kind.DELEGATE,
        [p],
        {"balance": 100 * SUN, "receiver_address": str(RECEIVER), "resource": "ENERGY"},
        state=OpState.RECORDED,
        expiration_ms=NOW + 10,
    )
    old_vote = operation(
        "v1", Kind.VOTE, [], vote_params((W1, 7)), state=OpState.BROADCAST, expiration_ms=NOW + 1
    )
    new_vote = operation(
        "v2", Kind.VOTE, [], vote_params((W2, 9)), state=OpState.BROADCAST, expiration_ms=NOW + 2
    )
    landed = operation("l", Kind.FREEZE, [bystander], {"frozen_balance": 50 * SUN})
    rnd = round_of(
        [p, bystander],
        [delegate, new_vote, freeze, old_vote, landed],
        snapshot(frozen={EN: 0}, staked_bytes=10**6),
    )
    evidence.locate(rnd)
    w = rnd.works[p.id]
    assert (w.location, w.arriving_by) == (Location.DELEGATED, None)
    assert rnd.works[bystander.id].location is Location.NONE  # its freeze is visible
    assert rnd.ledger.votes == (wv(W2, 9),)
    assert rnd.ledger.frozen[EN] == 0
    assert rnd.ledger.frozen_sure[EN] == -100 * SUN
    assert rnd.ledger.delegated == {(RECEIVER, EN): 100 * SUN}
    assert rnd.ledger.balance_sun == 100_000 * SUN - 100 * SUN


def charged(fee_sun: int | None, *, staked: int, free: int) -> tuple[int, int, int]:
    p = position("p", spec(100))
    op = operation("f", Kind.FREEZE, [p], {"frozen_balance": 0}, block=HEAD + 1)
    op = dataclasses.replace(op, fee_sun=fee_sun)
    rnd = round_of([p], [op], snapshot(staked_bytes=staked, free_bytes=free, balance_trx=10))
    evidence.locate(rnd)
    led = rnd.ledger
    return led.balance_sun, led.staked_bytes, led.free_bytes


def test_charge_uses_the_known_fee_else_the_bandwidth() -> None:
    size = 254 + 8
    # included above the head with a fee: exactly that fee
    assert charged(7, staked=10**6, free=10**6) == (10 * SUN - 7, 10**6, 10**6)
    assert charged(1, staked=10**6, free=10**6) == (10 * SUN - 1, 10**6, 10**6)
    # included without a fee: it used staked bandwidth if that covered it, else free
    assert charged(0, staked=size, free=500) == (10 * SUN, 0, 500)
    assert charged(0, staked=size - 1, free=500) == (10 * SUN, size - 1, 500 - size)
    assert charged(0, staked=size - 1, free=size - 1) == (10 * SUN, size - 1, 0)
    # not included: estimated as the next transaction would be
    assert charged(None, staked=size - 1, free=size - 1) == (
        10 * SUN - size * 1000,
        size - 1,
        size - 1,
    )
    assert charged(None, staked=size, free=0) == (10 * SUN, 0, 0)


def test_vote_transitions_carry_their_operation_reason_and_chain_time() -> None:
    voting = position("v", spec(100, votes={W1: 1}), state=State.VOTING, votes_cast=(wv(W1, 100),))
    frozen = position("f", spec(100, votes={W2: 1}), state=State.FROZEN, created_minute=1)
    op = operation(
        "vote",
        Kind.VOTE,
        [],
        vote_params((W2, 100)),
        position_votes={voting.id: (), frozen.id: (wv(W2, 100),)},
    )
    rnd = round_of([voting, frozen], [op])
    evidence.apply_landed(rnd)
    for p in (voting, frozen):
        (t,) = rnd.works[p.id].transitions
        assert (t.txid, t.block, t.operation_id) == (op.txid, HEAD - 1, op.id)
        assert t.reason == f"vote {op.txid} included in block {HEAD - 1}"
        assert t.facts.chain_time_ms == NOW


def test_a_vote_landing_before_the_freeze_stays_the_positions_own() -> None:
    named = position("n", spec(100, votes={W1: 1}))
    unnamed = position("u", spec(100, votes={W2: 1}), created_minute=1)
    vote = operation(
        "vote",
        Kind.VOTE,
        [unnamed],
        vote_params((W1, 100)),
        position_votes={named.id: (wv(W1, 100),)},
    )
    rnd = round_of([named, unnamed], [vote])
    evidence.apply_landed(rnd)
    n, u = rnd.works[named.id], rnd.works[unnamed.id]
    assert (n.state, n.votes_cast, n.transitions, n.applied) == (
        State.PENDING,
        (wv(W1, 100),),
        [],
        [vote.id],
    )
    assert (u.state, u.votes_cast, u.applied) == (State.PENDING, (), [vote.id])
    assert rnd.warnings == []
    # its freeze then lands: frozen, and voting at once with those votes
    freeze = operation("f", Kind.FREEZE, [named], {}, block=HEAD)
    landed = dataclasses.replace(named, votes_cast=(wv(W1, 100),), applied_operations=(vote.id,))
    rnd = round_of([landed], [vote, freeze])
    evidence.apply_landed(rnd)
    first, second = rnd.works[named.id].transitions
    assert (first.to_state, second.to_state) == (State.FROZEN, State.VOTING)
    assert second.reason == "its votes landed before its freeze"
    assert (first.facts.chain_time_ms, second.facts.chain_time_ms) == (NOW, NOW)


def test_every_kind_records_its_operation_reason_and_chain_time() -> None:
    s = spec(100, delegate=RECEIVER)
    frozen_p = position("a", s, state=State.FROZEN)
    delegated = position(
        "b", s, state=State.DELEGATED, delegation=delegation_of(s), created_minute=1
    )
    leaving = position("c", spec(100), state=State.FROZEN, unstake=True, created_minute=2)
    ops = [
        operation("d", Kind.DELEGATE, [frozen_p], {"receiver_address": str(RECEIVER)}),
        operation("u", Kind.UNDELEGATE, [delegated], {"balance": 1}),
        operation("x", Kind.UNFREEZE, [leaving], {"unfreeze_balance": 100 * SUN}),
    ]
    rnd = round_of([frozen_p, delegated, leaving], ops)
    evidence.apply_landed(rnd)
    for p, op in zip((frozen_p, delegated, leaving), ops, strict=True):
        (t,) = rnd.works[p.id].transitions
        assert (t.txid, t.block, t.operation_id) == (op.txid, HEAD - 1, op.id)
        assert t.reason == f"{op.kind.value} {op.txid} included in block {HEAD - 1}"
        assert t.facts.chain_time_ms == NOW
    assert rnd.warnings == []


def test_an_unfreeze_that_does_not_apply_is_reported() -> None:
    staying = position("p", spec(100), state=State.FROZEN)
    rnd = unfreeze_round(staying)
    assert [(n.code, n.position_ids) for n in rnd.warnings] == [
        ("OperationNotApplicable", (staying.id,))
    ]


def test_an_unfreeze_applied_on_the_second_pass_keeps_its_expiry() -> None:
    s = spec(100, delegate=RECEIVER)
    p = position("p", s, state=State.DELEGATED, delegation=delegation_of(s), unstake=True)
    unfreeze = operation(
        "x",
        Kind.UNFREEZE,
        [p],
        {"unfreeze_balance": 100 * SUN, "resource": "ENERGY"},
        block=HEAD - 2,
        block_time_ms=NOW - 6000,
    )
    undelegate = operation("u", Kind.UNDELEGATE, [p], {"balance": 1}, block=HEAD - 1)
    rnd = round_of([p], [unfreeze, undelegate])
    evidence.apply_landed(rnd)
    w = rnd.works[p.id]
    assert to_states(rnd, p) == [State.FROZEN, State.UNFREEZING]
    assert w.unfreeze_expire_time_ms == NOW - 9000 + DELAY_MS
