"""Observations and drift at their edges: maturity at the exact chain time, the sweep that
withdrew a matured unfreeze, unstakes before a freeze, and each kind of drift (unfreeze
entries, delegations, stake, votes) with the operations that excuse it, the positions it
keeps, its transitions, findings and messages; and when a second snapshot confirms it.

Written to kill the mutants ``make mutate`` left alive in ``planner/drift.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    EN,
    HEAD,
    NOW,
    POLICY,
    RECEIVER,
    RECEIVER2,
    SUN,
    W1,
    W2,
    W3,
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
from tron_staking.controller.planner import drift
from tron_staking.controller.planner.model import DriftFinding
from tron_staking.controller.planner.work import Round, Work
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.statemachine.position import Trigger


def round_of(
    positions: Sequence[Position],
    observed: AccountSnapshot | None = None,
    operations: Sequence[Operation] = (),
) -> Round:
    return Round(
        positions, observed if observed is not None else snapshot(), operations, NOW, POLICY, False
    )


def moves(w: Work) -> list[tuple[Trigger, State, State, str]]:
    return [(t.trigger, t.from_state, t.to_state, t.reason) for t in w.transitions]


# -- observe ------------------------------------------------------------------------------------


def test_an_unfreeze_matures_at_its_exact_chain_time() -> None:
    due = position("due", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW)
    later = position("later", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 1)
    entries = [UnfreezingEntry(EN, 10 * SUN, NOW), UnfreezingEntry(EN, 10 * SUN, NOW + 1)]
    rnd = round_of([due, later], snapshot(unfreezing=entries))
    drift.observe(rnd)
    assert moves(rnd.works[due.id]) == [
        (Trigger.MATURED, State.UNFREEZING, State.CLAIMABLE, f"the unfreeze matured at {NOW}")
    ]
    assert rnd.works[due.id].transitions[0].facts.chain_time_ms == NOW
    assert rnd.works[later.id].transitions == []
    assert rnd.works[due.id].unfreeze_expire_time_ms == NOW


def sweep(
    name: str,
    kind: Kind = Kind.WITHDRAW_EXPIRE_UNFREEZE,
    *,
    block: int = HEAD - 1,
    block_time_ms: int = NOW - 3000,
    state: OpState = OpState.INCLUDED,
) -> Operation:
    return operation(name, kind, [], {}, state=state, block=block, block_time_ms=block_time_ms)


def claimable(name: str = "c", expire: int | None = NOW - 10_000) -> Position:
    return position(name, spec(10), state=State.CLAIMABLE, unfreeze_expire_time_ms=expire)


def test_a_matured_unfreeze_swept_by_the_services_own_withdrawal_is_withdrawn() -> None:
    p = claimable()
    older = sweep("older", block=HEAD - 5, block_time_ms=NOW - 15_000)
    newer = sweep(
        "newer", Kind.UNFREEZE, block=HEAD - 2, block_time_ms=NOW - 6000, state=OpState.SOLIDIFIED
    )
    # listed newest first: the latest sweep by block is the one named
    rnd = round_of([p], snapshot(), [newer, older])
    drift.observe(rnd)
    w = rnd.works[p.id]
    assert moves(w) == [
        (
            Trigger.WITHDRAW_INCLUDED,
            State.CLAIMABLE,
            State.WITHDRAWN,
            f"withdrawn by unfreeze {newer.txid}",
        )
    ]
    assert (w.transitions[0].txid, w.transitions[0].block) == (newer.txid, HEAD - 2)
    assert w.transitions[0].operation_id == newer.id
    assert w.unfreeze_expire_time_ms is None
    # a sweep at the exact expiry counts; the newest by block that is not too early is named
    at = sweep("at", block=HEAD - 3, block_time_ms=NOW - 10_000)
    early = sweep("early", block=HEAD - 1, block_time_ms=NOW - 10_001)
    rnd = round_of([p], snapshot(), [early, at])
    drift.observe(rnd)
    assert (
        rnd.works[p.id].transitions[0].reason == f"withdrawn by withdraw_expire_unfreeze {at.txid}"
    )
    # without a known expiry any sweep will do
    rnd = round_of([claimable(expire=None)], snapshot(), [early])
    drift.observe(rnd)
    [t] = rnd.works[claimable(expire=None).id].transitions
    assert t.txid == early.txid


def test_no_sweep_no_withdrawal() -> None:
    p = claimable()
    not_sweeps = [
        sweep("too-early", block_time_ms=NOW - 10_001),
        sweep("above-head", block=HEAD + 1, block_time_ms=NOW),
        sweep("in-flight", state=OpState.BROADCAST),
        sweep("freeze", Kind.FREEZE),
        sweep("vote", Kind.VOTE),
    ]
    rnd = round_of([p], snapshot(), not_sweeps)
    drift.observe(rnd)
    assert rnd.works[p.id].transitions == []
    assert rnd.works[p.id].unfreeze_expire_time_ms == NOW - 10_000
    # a sweep at the head itself counts
    rnd = round_of([p], snapshot(), [sweep("at-head", block=HEAD, block_time_ms=NOW)])
    drift.observe(rnd)
    assert [t.to_state for t in rnd.works[p.id].transitions] == [State.WITHDRAWN]
    # its entry still on the chain: not withdrawn, whatever the sweeps
    entry = UnfreezingEntry(EN, 10 * SUN, NOW - 10_000)
    rnd = round_of([p], snapshot(unfreezing=[entry]), [sweep("s")])
    drift.observe(rnd)
    assert rnd.works[p.id].transitions == []
    # an entry of the other resource is not its entry
    other = UnfreezingEntry(BW, 10 * SUN, NOW - 10_000)
    rnd = round_of([p], snapshot(unfreezing=[other]), [sweep("s")])
    drift.observe(rnd)
    assert [t.to_state for t in rnd.works[p.id].transitions] == [State.WITHDRAWN]


def test_an_unstake_before_any_freeze_waits_only_for_a_freeze_that_names_it() -> None:
    p = position("p", spec(10), unstake=True)
    other = position("other", spec(10), created_minute=1)
    mine = operation("f", Kind.FREEZE, [p], {}, state=OpState.BROADCAST)
    rnd = round_of([p], snapshot(), [mine])
    drift.observe(rnd)
    assert rnd.works[p.id].transitions == []
    assert [(n.code, n.message, n.position_ids) for n in rnd.waiting] == [
        (
            "FreezeInFlight",
            "unstake waits for the outcome of the freeze already sent",
            (p.id,),
        )
    ]
    for ops in (
        [operation("f2", Kind.FREEZE, [other], {}, state=OpState.BROADCAST)],
        [operation("d", Kind.DELEGATE, [p], {}, state=OpState.BROADCAST)],
        [dataclasses.replace(mine, state=OpState.REJECTED)],
    ):
        rnd = round_of([p, other], snapshot(), ops)
        drift.observe(rnd)
        assert rnd.waiting == []
        assert moves(rnd.works[p.id]) == [
            (
                Trigger.UNSTAKE,
                State.PENDING,
                State.WITHDRAWN,
                "unstake requested before anything was frozen",
            )
        ]
        assert rnd.works[other.id].transitions == []


# -- unfreeze entries ---------------------------------------------------------------------------


def test_an_unfreeze_entry_gone_before_maturity_was_cancelled_outside() -> None:
    p = position("p", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 5000)
    kept = position(
        "kept",
        spec(20),
        state=State.UNFREEZING,
        unfreeze_expire_time_ms=NOW + 6000,
        created_minute=1,
    )
    rnd = round_of([p, kept])
    observed = snapshot(
        frozen={EN: 10 * SUN}, unfreezing=[UnfreezingEntry(EN, 20 * SUN, NOW + 6000)]
    )
    found = drift.findings(rnd, list(rnd.works.values()), observed)
    message = (
        f"the unfreeze entry expiring at {NOW + 5000} is gone before maturity "
        "(cancelled outside the service); the stake is frozen again"
    )
    assert found == [DriftFinding("unfreeze_cancelled", message, (p.id,))]
    w = rnd.works[p.id]
    assert moves(w) == [(Trigger.UNFREEZE_CANCELLED, State.UNFREEZING, State.FROZEN, message)]
    assert w.drifted == [("UnfreezeCancelled", message)]
    assert w.unfreeze_expire_time_ms is None
    assert rnd.works[kept.id].transitions == []
    assert rnd.works[kept.id].unfreeze_expire_time_ms == NOW + 6000
    assert drift.key_of(found[0]) == {(p.id, "unfreeze_cancelled")}


def test_a_matured_entry_gone_was_withdrawn_outside() -> None:
    p = claimable()
    active = position("active", spec(10), state=State.FROZEN, created_minute=1)
    rnd = round_of([p, active])
    found = drift.findings(rnd, list(rnd.works.values()), snapshot(frozen={EN: 10 * SUN}))
    assert found == [DriftFinding("withdraw_included", "withdrawn outside", (p.id,))]
    w = rnd.works[p.id]
    assert moves(w) == [
        (
            Trigger.WITHDRAW_INCLUDED,
            State.CLAIMABLE,
            State.WITHDRAWN,
            "the matured unfreeze was withdrawn outside",
        )
    ]
    assert w.unfreeze_expire_time_ms is None
    assert w.drifted == []


def test_a_pending_unfreeze_or_withdrawal_excuses_missing_entries() -> None:
    p = position("p", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 5000)
    for kind in (Kind.UNFREEZE, Kind.WITHDRAW_EXPIRE_UNFREEZE):
        sent = operation("x", kind, [], {"resource": "BANDWIDTH"}, state=OpState.BROADCAST)
        rnd = round_of([p], snapshot(), [sent])
        assert drift.findings(rnd, list(rnd.works.values()), snapshot()) == []
        assert rnd.works[p.id].transitions == []
    # another kind in flight does not
    sent = operation("y", Kind.CLAIM_REWARDS, [], {}, state=OpState.BROADCAST)
    rnd = round_of([p], snapshot(), [sent])
    observed = snapshot(frozen={EN: 10 * SUN})
    assert [f.kind for f in drift.findings(rnd, list(rnd.works.values()), observed)] == [
        "unfreeze_cancelled"
    ]


# -- keep_within --------------------------------------------------------------------------------


def works_of(*amounts_trx: int, unstaking: Sequence[int] = ()) -> list[Work]:
    """Works in creation order; ``amounts_of`` gives them the amounts (0 allowed)."""
    ps = [
        position(f"k{i}", spec(1), created_minute=i, unstake=i in unstaking)
        for i, _ in enumerate(amounts_trx)
    ]
    rnd = round_of(ps)
    works = [rnd.works[p.id] for p in ps]
    _AMOUNTS.update({w.id: a * SUN for w, a in zip(works, amounts_trx, strict=True)})
    return works


_AMOUNTS: dict[PositionId, int] = {}


def amounts_of(works: Sequence[Work]) -> dict[PositionId, int]:
    return {w.id: _AMOUNTS[w.id] for w in works}


def test_keep_within_keeps_the_best_fitting_set() -> None:
    ws = works_of(5, 3, 3)
    assert drift.keep_within(ws, amounts_of(ws), 11 * SUN) == []
    assert drift.keep_within(ws, amounts_of(ws), 6 * SUN) == [ws[0]]
    assert drift.keep_within(ws, amounts_of(ws), 8 * SUN) == [ws[2]]
    assert drift.keep_within(ws, amounts_of(ws), 10 * SUN) == [ws[2]]
    assert drift.keep_within(ws, amounts_of(ws), 0) == ws
    assert drift.keep_within(ws, amounts_of(ws), -1) == ws


def test_keep_within_drops_unstaking_then_newest_among_equals() -> None:
    ws = works_of(4, 4, 4)
    assert drift.keep_within(ws, amounts_of(ws), 8 * SUN) == [ws[2]]
    assert drift.keep_within(ws, amounts_of(ws), 4 * SUN) == [ws[1], ws[2]]
    ws = works_of(4, 4, 4, unstaking=[0])
    assert drift.keep_within(ws, amounts_of(ws), 8 * SUN) == [ws[0]]
    # the same creation time: the position id decides
    ps = [position(n, spec(4)) for n in ("x", "y")]
    rnd = round_of(ps)
    ws = sorted((rnd.works[p.id] for p in ps), key=lambda w: w.id)
    four = {w.id: 4 * SUN for w in ws}
    assert drift.keep_within(ws[::-1], four, 4 * SUN) == [ws[1]]


def test_keep_within_falls_back_to_first_fit_beyond_the_exact_fit_limit() -> None:
    assert drift.EXACT_FIT_LIMIT == 12
    # padded with positions too large to fit either way
    exact = works_of(5, 3, 3, *[100] * 9)
    assert drift.keep_within(exact, amounts_of(exact), 6 * SUN) == [exact[0], *exact[3:]]
    first_fit = works_of(5, 3, 3, *[100] * 10)
    assert drift.keep_within(first_fit, amounts_of(first_fit), 6 * SUN) == first_fit[1:]
    # first fit keeps later ones that still fit
    ws = works_of(5, 3, 1, *[100] * 10)
    assert drift.keep_within(ws, amounts_of(ws), 6 * SUN) == [ws[1], *ws[3:]]


# -- delegations --------------------------------------------------------------------------------


def delegated(
    name: str,
    amount_trx: int,
    *,
    receiver: str = RECEIVER,
    lock: bool = False,
    resource: StakingResourceType = EN,
    votes_cast: Sequence[tuple[str, int]] = (),
    created_minute: int = 0,
    unstake: bool = False,
) -> Position:
    s = spec(amount_trx, delegate=receiver, lock=lock, resource=resource)  # type: ignore[arg-type]
    return position(
        name,
        s,
        state=State.DELEGATED,
        delegation=delegation_of(s),
        votes_cast=[wv(w, c) for w, c in votes_cast],  # type: ignore[arg-type]
        created_minute=created_minute,
        unstake=unstake,
    )


def out(
    amount_trx: int,
    *,
    locked: bool = False,
    receiver: str = RECEIVER,
    resource: StakingResourceType = EN,
) -> DelegationOut:
    return DelegationOut(receiver, resource, locked, amount_trx * SUN)  # type: ignore[arg-type]


def delegation_findings(
    ps: Sequence[Position], records: Sequence[DelegationOut], operations: Sequence[Operation] = ()
) -> tuple[Round, list[DriftFinding]]:
    observed = snapshot(delegations=records)
    rnd = round_of(ps, observed, operations)
    found: list[DriftFinding] = []
    pending = [op for op in rnd.operations if op.in_flight]
    drift._delegation_drift(rnd, list(rnd.works.values()), observed, pending, found)
    return rnd, found


def test_a_lost_delegation_moves_the_newest_positions_back() -> None:
    a = delegated("a", 10, votes_cast=[(W1, 10)])
    b = delegated("b", 20, created_minute=1)
    c = delegated("c", 30, created_minute=2)
    rnd, found = delegation_findings([a, b, c], [out(30)])
    message = (
        f"the chain delegates {30 * SUN} sun of ENERGY to {RECEIVER}; "
        f"the positions claim {60 * SUN}"
    )
    assert found == [DriftFinding("delegation_lost", message, (c.id,))]
    w = rnd.works[c.id]
    assert moves(w) == [(Trigger.DELEGATION_LOST, State.DELEGATED, State.FROZEN, message)]
    assert w.drifted == [("DelegationLost", message)]
    assert w.delegation is None
    assert rnd.works[a.id].delegation is not None
    assert rnd.works[b.id].delegation is not None
    # with votes, the position goes back to voting
    rnd, found = delegation_findings([a, b], [out(20)])
    assert [f.position_ids for f in found] == [(a.id,)]
    assert moves(rnd.works[a.id])[0][2] is State.VOTING
    # exactly covered: nothing
    rnd, found = delegation_findings([a, b, c], [out(60)])
    assert found == []


def test_delegations_are_checked_per_receiver_and_resource() -> None:
    a = delegated("a", 10)
    b = delegated("b", 10, receiver=RECEIVER2, created_minute=1)
    c = delegated("c", 10, resource=BW, created_minute=2)
    _rnd, found = delegation_findings([a, b, c], [out(10), out(10, resource=BW)])
    assert [f.position_ids for f in found] == [(b.id,)]
    assert found[0].message == (
        f"the chain delegates 0 sun of ENERGY to {RECEIVER2}; the positions claim {10 * SUN}"
    )
    # a position not delegated (or without a delegation) is not checked
    frozen = position("f", spec(10, delegate=RECEIVER), state=State.FROZEN)
    no_record = dataclasses.replace(delegated("n", 10, created_minute=3), delegation=None)
    _rnd, found = delegation_findings([frozen, no_record], [])
    assert found == []


def test_the_locked_record_backs_locked_positions_first() -> None:
    free = delegated("free", 10)
    locked = delegated("locked", 10, lock=True, created_minute=1)
    # 10 locked, nothing unlocked: the unlocked position lost its delegation
    _rnd, found = delegation_findings([locked, free], [out(10, locked=True)])
    assert [f.position_ids for f in found] == [(free.id,)]
    # 10 unlocked, nothing locked: the locked one is the one gone
    _rnd, found = delegation_findings([locked, free], [out(10)])
    assert [f.position_ids for f in found] == [(locked.id,)]
    # a locked position beyond the locked record is backed by the unlocked one
    locked2 = delegated("locked2", 10, lock=True, created_minute=2)
    _rnd, found = delegation_findings([locked, locked2, free], [out(10, locked=True), out(20)])
    assert found == []
    # the locked record backs the first locked one; the other competes for the unlocked record
    _rnd, found = delegation_findings([locked, locked2, free], [out(10, locked=True), out(10)])
    assert [f.position_ids for f in found] == [(locked2.id,)]


def test_a_pending_delegate_or_undelegate_of_the_pair_excuses_the_difference() -> None:
    a = delegated("a", 10)
    for kind in (Kind.DELEGATE, Kind.UNDELEGATE):
        op = operation(
            "d",
            kind,
            [],
            {"receiver_address": RECEIVER, "resource": "ENERGY"},
            state=OpState.BROADCAST,
        )
        _rnd, found = delegation_findings([a], [], [op])
        assert found == []
    for params in (
        {"receiver_address": RECEIVER2, "resource": "ENERGY"},
        {"receiver_address": RECEIVER, "resource": "BANDWIDTH"},
    ):
        op = operation("d", Kind.DELEGATE, [], params, state=OpState.BROADCAST)
        _rnd, found = delegation_findings([a], [], [op])
        assert [f.position_ids for f in found] == [(a.id,)]
    op = operation(
        "f",
        Kind.FREEZE,
        [],
        {"receiver_address": RECEIVER, "resource": "ENERGY"},
        state=OpState.BROADCAST,
    )
    _rnd, found = delegation_findings([a], [], [op])
    assert [f.position_ids for f in found] == [(a.id,)]


# -- stake --------------------------------------------------------------------------------------


def stake_findings(
    ps: Sequence[Position],
    frozen: dict[StakingResourceType, int],
    records: Sequence[DelegationOut] = (),
    operations: Sequence[Operation] = (),
) -> tuple[Round, list[DriftFinding]]:
    observed = snapshot(frozen=frozen, delegations=records)
    rnd = round_of(ps, observed, operations)
    found: list[DriftFinding] = []
    pending = [op for op in rnd.operations if op.in_flight]
    drift._stake_drift(rnd, list(rnd.works.values()), observed, pending, found)
    return rnd, found


def frozen_position(
    name: str,
    amount_trx: int,
    *,
    state: State = State.FROZEN,
    created_minute: int = 0,
    resource: StakingResourceType = EN,
    unstake: bool = False,
    votes_cast: Sequence[tuple[str, int]] = (),
) -> Position:
    return position(
        name,
        spec(amount_trx, resource=resource),
        state=state,
        created_minute=created_minute,
        unstake=unstake,
        votes_cast=[wv(w, c) for w, c in votes_cast],  # type: ignore[arg-type]
    )


def test_stake_lost_whole_moves_the_position_back_to_pending() -> None:
    a = frozen_position("a", 10)
    b = frozen_position("b", 20, state=State.VOTING, created_minute=1, votes_cast=[(W1, 20)])
    rnd, found = stake_findings([a, b], {EN: 10 * SUN})
    message = f"the chain holds {10 * SUN} sun of ENERGY stake; the positions claim {30 * SUN}"
    assert found == [DriftFinding("stake_lost", message, (b.id,))]
    w = rnd.works[b.id]
    assert moves(w) == [(Trigger.STAKE_LOST, State.VOTING, State.PENDING, message)]
    assert w.drifted == [("StakeLost", message)]
    assert (w.votes_cast, w.short_sun) == ((), 0)
    assert rnd.works[a.id].transitions == []
    # exactly covered: nothing
    assert stake_findings([a, b], {EN: 30 * SUN})[1] == []


def test_a_partial_loss_leaves_the_position_short_not_pending() -> None:
    a = frozen_position("a", 20)
    b = frozen_position("b", 10, created_minute=1, votes_cast=[(W1, 10)])
    rnd, found = stake_findings([a, b], {EN: 25 * SUN})
    message = f"the chain holds {25 * SUN} sun of ENERGY stake; the positions claim {30 * SUN}"
    assert found == [DriftFinding("stake_short", message, (b.id,))]
    w = rnd.works[b.id]
    assert w.short_sun == 5 * SUN
    assert w.drifted == [("StakeLost", f"{message}; {5 * SUN} sun of it is gone")]
    assert w.transitions == []
    assert w.votes_cast == (wv(W1, 10),)
    # one sun left of it is still "short", not lost
    rnd, found = stake_findings([a, b], {EN: 10 * SUN + 1})
    assert rnd.works[a.id].short_sun == 20 * SUN - 1
    assert [(f.kind, f.position_ids) for f in found] == [("stake_short", (a.id,))]
    # an unstaking position is lost whole
    c = frozen_position("c", 10, created_minute=1, unstake=True)
    rnd, found = stake_findings([a, c], {EN: 25 * SUN})
    assert [f.kind for f in found] == ["stake_lost"]
    assert rnd.works[c.id].short_sun == 0


def test_what_is_left_goes_to_the_dropped_positions_in_order() -> None:
    a = frozen_position("a", 10)
    b = frozen_position("b", 8, created_minute=1)
    c = frozen_position("c", 6, created_minute=2)
    # 12 left: a (10) kept; b and c dropped, 2 left: b is short by 6, c lost
    rnd, found = stake_findings([a, b, c], {EN: 12 * SUN})
    assert [(f.kind, f.position_ids) for f in found] == [
        ("stake_short", (b.id,)),
        ("stake_lost", (c.id,)),
    ]
    assert rnd.works[b.id].short_sun == 6 * SUN


def test_delegated_stake_backs_delegated_positions_first() -> None:
    d = delegated("d", 10, votes_cast=[(W1, 10)])
    f = frozen_position("f", 10, created_minute=1)
    # 10 delegated and 5 frozen: the frozen position is short by 5
    rnd, found = stake_findings([d, f], {EN: 5 * SUN}, [out(10)])
    assert [(x.kind, x.position_ids) for x in found] == [("stake_short", (f.id,))]
    assert rnd.works[f.id].short_sun == 5 * SUN
    # less stake than the delegated positions claim: every position competes for it
    rnd, found = stake_findings([d, f], {EN: 0}, [out(5)])
    message = f"the chain holds {5 * SUN} sun of ENERGY stake; the positions claim {20 * SUN}"
    assert [(x.kind, x.message) for x in found] == [("stake_lost", message)] * 2
    w = rnd.works[d.id]
    assert moves(w) == [(Trigger.STAKE_LOST, State.DELEGATED, State.PENDING, message)]
    assert (w.delegation, w.votes_cast) == (None, ())
    # exactly the delegated amount: the frozen one is lost
    rnd, found = stake_findings([d, f], {EN: 0}, [out(10)])
    assert [x.position_ids for x in found] == [(f.id,)]


def test_stake_is_checked_per_resource_and_excused_by_its_pending_operations() -> None:
    e = frozen_position("e", 10)
    b = frozen_position("b", 10, resource=BW, created_minute=1)
    _rnd, found = stake_findings([e, b], {EN: 10 * SUN, BW: 0})
    assert [x.position_ids for x in found] == [(b.id,)]
    assert found[0].message.startswith("the chain holds 0 sun of BANDWIDTH stake")
    for kind in (Kind.UNFREEZE, Kind.FREEZE, Kind.DELEGATE, Kind.UNDELEGATE):
        op = operation("o", kind, [], {"resource": "BANDWIDTH"}, state=OpState.BROADCAST)
        assert stake_findings([e, b], {EN: 10 * SUN, BW: 0}, operations=[op])[1] == []
    for op in (
        operation("v", Kind.VOTE, [], {"resource": "BANDWIDTH"}, state=OpState.BROADCAST),
        operation("o", Kind.FREEZE, [], {"resource": "ENERGY"}, state=OpState.BROADCAST),
    ):
        assert [
            x.position_ids for x in stake_findings([e, b], {EN: 10 * SUN}, operations=[op])[1]
        ] == [(b.id,)]
    # positions in other states are not checked
    u = frozen_position("u", 10, state=State.UNFREEZING, created_minute=2)
    assert stake_findings([u], {EN: 0})[1] == []


# -- votes --------------------------------------------------------------------------------------


def vote_findings(
    ps: Sequence[Position], chain: Sequence[tuple[str, int]], operations: Sequence[Operation] = ()
) -> tuple[Round, list[DriftFinding]]:
    observed = snapshot(frozen={EN: 1000 * SUN}, votes=[wv(w, c) for w, c in chain])  # type: ignore[arg-type]
    rnd = round_of(ps, observed, operations)
    found: list[DriftFinding] = []
    pending = [op for op in rnd.operations if op.in_flight]
    drift._vote_drift(rnd, list(rnd.works.values()), observed, pending, found)
    return rnd, found


def test_votes_lower_than_cast_are_lost_per_position() -> None:
    a = frozen_position("a", 10, state=State.VOTING, votes_cast=[(W1, 10), (W2, 5)])
    b = delegated("b", 10, votes_cast=[(W1, 10)], created_minute=1)
    c = frozen_position("c", 10, state=State.VOTING, votes_cast=[(W3, 10)], created_minute=2)
    # W1 holds 19 of the 20 cast, W2 only 4 of 5, W3 all of it
    rnd, found = vote_findings([a, b, c], [(W1, 19), (W2, 4), (W3, 10)])
    lost_a = (
        f"the account's votes for {', '.join(sorted([W1, W2]))} are lower than the positions cast"
    )
    lost_b = f"the account's votes for {W1} are lower than the positions cast"
    assert found == [
        DriftFinding("votes_lost", lost_a, (a.id,)),
        DriftFinding("votes_lost", lost_b, (b.id,)),
    ]
    assert moves(rnd.works[a.id]) == [(Trigger.VOTES_LOST, State.VOTING, State.FROZEN, lost_a)]
    assert moves(rnd.works[b.id]) == [
        (Trigger.VOTES_LOST, State.DELEGATED, State.DELEGATED, lost_b)
    ]
    assert rnd.works[a.id].drifted == [("VotesLost", lost_a)]
    assert (rnd.works[a.id].votes_cast, rnd.works[b.id].votes_cast) == ((), ())
    assert rnd.works[c.id].votes_cast == (wv(W3, 10),)
    # all there: nothing
    assert vote_findings([a, b, c], [(W1, 20), (W2, 5), (W3, 10)])[1] == []


def test_votes_lost_by_a_position_in_another_state_are_reported_without_a_transition() -> None:
    p = frozen_position("p", 10, state=State.FROZEN, unstake=True, votes_cast=[(W1, 10)])
    rnd, found = vote_findings([p], [])
    message = f"the account's votes for {W1} are lower than the positions cast"
    assert found == [DriftFinding("votes_lost", message, (p.id,))]
    w = rnd.works[p.id]
    assert (w.transitions, w.votes_cast, w.drifted) == ([], (), [("VotesLost", message)])


def test_a_pending_vote_or_unfreeze_excuses_missing_votes() -> None:
    a = frozen_position("a", 10, state=State.VOTING, votes_cast=[(W1, 10)])
    for kind in (Kind.VOTE, Kind.UNFREEZE):
        op = operation("o", kind, [], {}, state=OpState.BROADCAST)
        assert vote_findings([a], [], [op])[1] == []
    op = operation("o", Kind.FREEZE, [], {}, state=OpState.BROADCAST)
    assert [f.kind for f in vote_findings([a], [], [op])[1]] == ["votes_lost"]


# -- findings and confirmation ------------------------------------------------------------------


def test_findings_excuse_only_operations_not_visible_at_the_snapshots_head() -> None:
    a = frozen_position("a", 10, state=State.VOTING, votes_cast=[(W1, 10)])
    seen = operation("v", Kind.VOTE, [], {}, block=HEAD)
    rnd = round_of([a], snapshot(frozen={EN: 10 * SUN}), [seen])
    found = drift.findings(rnd, list(rnd.works.values()), snapshot(frozen={EN: 10 * SUN}))
    assert [f.kind for f in found] == ["votes_lost"]
    # at an older head the same vote is not visible yet: it excuses the difference
    older = snapshot(frozen={EN: 10 * SUN}, head=HEAD - 1)
    rnd = round_of([a], snapshot(frozen={EN: 10 * SUN}), [seen])
    assert drift.findings(rnd, list(rnd.works.values()), older) == []


def test_every_kind_of_drift_is_found_in_one_pass_in_order() -> None:
    u = position("u", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 1)
    d = delegated("d", 10, created_minute=1)
    f = frozen_position("f", 10, created_minute=2, resource=BW)
    v = frozen_position("v", 10, state=State.VOTING, votes_cast=[(W1, 10)], created_minute=3)
    observed = snapshot(frozen={EN: 30 * SUN})
    rnd = round_of([u, d, f, v], observed)
    found = drift.findings(rnd, list(rnd.works.values()), observed)
    assert [(x.kind, x.position_ids) for x in found] == [
        ("unfreeze_cancelled", (u.id,)),
        ("delegation_lost", (d.id,)),
        ("stake_lost", (f.id,)),
        ("votes_lost", (v.id,)),
    ]


def test_drift_is_confirmed_only_by_a_second_snapshot_at_another_head() -> None:
    a = frozen_position("a", 10)
    b = frozen_position("b", 10, created_minute=1)
    lost = snapshot(frozen={EN: 10 * SUN})
    rnd = round_of([a, b], lost)
    later = snapshot(frozen={EN: 10 * SUN}, head=HEAD + 1)
    assert drift.confirmed(rnd, later)
    # the check looks on copies: nothing moved
    assert rnd.works[b.id].transitions == []
    assert rnd.works[b.id].drifted == []
    assert not drift.confirmed(rnd, None)
    assert not drift.confirmed(rnd, lost)
    assert not drift.confirmed(rnd, dataclasses.replace(later, exists=False))
    # the other snapshot shows the stake: not confirmed
    assert not drift.confirmed(rnd, snapshot(frozen={EN: 20 * SUN}, head=HEAD + 1))
    # it shows more lost than the head: the head's findings are all there
    assert drift.confirmed(rnd, snapshot(frozen={EN: 0}, head=HEAD + 1))
    # no drift on the head: nothing to confirm
    fine = round_of([a, b], snapshot(frozen={EN: 20 * SUN}))
    assert drift.confirmed(fine, None)


def test_a_confirmation_must_show_every_position_the_head_shows() -> None:
    a = frozen_position("a", 10, state=State.VOTING, votes_cast=[(W1, 10)])
    b = frozen_position("b", 10, state=State.VOTING, votes_cast=[(W2, 10)], created_minute=1)
    rnd = round_of([a, b], snapshot(frozen={EN: 20 * SUN}, votes=[]))
    only_a = snapshot(frozen={EN: 20 * SUN}, votes=[wv(W2, 10)], head=HEAD - 1)
    assert not drift.confirmed(rnd, only_a)
    both = snapshot(frozen={EN: 20 * SUN}, votes=[], head=HEAD - 1)
    assert drift.confirmed(rnd, both)


def test_the_newest_eligible_sweep_is_named_whatever_the_order_of_the_operations() -> None:
    p = claimable()
    newer = sweep("newer", block=HEAD - 1, block_time_ms=NOW - 3000)
    older = sweep("older", block=HEAD - 2, block_time_ms=NOW - 6000)
    for ops in ([newer, older], [older, newer]):
        rnd = round_of([p], snapshot(), ops)
        drift.observe(rnd)
        assert [t.txid for t in rnd.works[p.id].transitions] == [newer.txid]


def test_every_observation_and_drift_transition_records_the_chain_time() -> None:
    swept = claimable("swept")
    unstaked = position("unstaked", spec(10), unstake=True, created_minute=1)
    rnd = round_of([swept, unstaked], snapshot(), [sweep("s")])
    drift.observe(rnd)
    for p in (swept, unstaked):
        assert [t.facts.chain_time_ms for t in rnd.works[p.id].transitions] == [NOW]
    gone = claimable("gone")
    cancelled = position(
        "cancelled", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 1
    )
    rnd = round_of([gone, cancelled])
    drift.findings(rnd, list(rnd.works.values()), snapshot(frozen={EN: 10 * SUN}))
    for p in (gone, cancelled):
        assert [t.facts.chain_time_ms for t in rnd.works[p.id].transitions] == [NOW]


def test_a_position_whose_entry_is_there_does_not_end_the_entry_check() -> None:
    there = position("there", spec(10), state=State.UNFREEZING, unfreeze_expire_time_ms=NOW + 1)
    gone = claimable("gone")
    gone = dataclasses.replace(gone, created_at=there.created_at.replace(minute=5))
    rnd = round_of([there, gone])
    entries = [UnfreezingEntry(EN, 10 * SUN, NOW + 1)]
    found = drift.findings(rnd, list(rnd.works.values()), snapshot(unfreezing=entries))
    assert [(f.kind, f.position_ids) for f in found] == [("withdraw_included", (gone.id,))]


def test_a_single_vote_missing_from_the_chain_is_lost() -> None:
    a = frozen_position("a", 10, state=State.VOTING, votes_cast=[(W1, 1)])
    _rnd, found = vote_findings([a], [(W2, 5)])
    assert [f.position_ids for f in found] == [(a.id,)]


def test_an_excused_pair_does_not_end_the_delegation_check() -> None:
    a = delegated("a", 10)
    b = delegated("b", 10, receiver=RECEIVER2, created_minute=1)
    op = operation(
        "d",
        Kind.DELEGATE,
        [],
        {"receiver_address": RECEIVER, "resource": "ENERGY"},
        state=OpState.BROADCAST,
    )
    _rnd, found = delegation_findings([a, b], [], [op])
    assert [f.position_ids for f in found] == [(b.id,)]


def test_stake_exactly_the_delegations_leaves_nothing_for_the_frozen_positions() -> None:
    f = frozen_position("f", 10)
    d = delegated("d", 10, created_minute=1)
    _rnd, found = stake_findings([f, d], {EN: 0}, [out(10)])
    assert [(x.kind, x.position_ids) for x in found] == [("stake_lost", (f.id,))]
