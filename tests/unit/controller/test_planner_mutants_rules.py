"""The claim and freeze rules at their edges: when a claim is due (the minimum, the fee, the
24 h interval, one in flight), and which positions a freeze batches, with the fees of what
follows it reserved and the positions that do not fit told why.

Written to kill the mutants ``make mutate`` left alive in ``planner/rules/claim.py`` and
``planner/rules/freeze.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    DAY_MS,
    EN,
    NOW,
    OWNER,
    POLICY,
    RECEIVER,
    RECEIVER2,
    SUN,
    W1,
    W2,
    W3,
    Kind,
    State,
    operation,
    position,
    snapshot,
    spec,
)
from tron_staking.controller import planner
from tron_staking.controller.planner import gate
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.rules.claim import plan_claim
from tron_staking.controller.planner.rules.freeze import follow_up_sizes, plan_freezes
from tron_staking.controller.planner.work import Location, Round
from tron_staking.domain import bandwidth
from tron_staking.domain.enums import OperationState
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot

CLAIM_FEE = bandwidth.burn_fee_sun(bandwidth.estimate_bytes(Kind.CLAIM_REWARDS))


def round_of(
    positions: Sequence[Position],
    observed: AccountSnapshot,
    operations: Sequence[Operation] = (),
    *,
    policy: planner.PlannerPolicy = POLICY,
    claim_requested: bool = False,
) -> Round:
    return Round(positions, observed, operations, NOW, policy, claim_requested)


# -- claim --------------------------------------------------------------------------------------

AUTO = position("auto", spec(10, auto_claim=True), state=State.FROZEN)
MANUAL = position("manual", spec(10), state=State.FROZEN)


def claim(
    reward_sun: int,
    *,
    positions: Sequence[Position] = (AUTO,),
    requested: bool = False,
    last: int | None = None,
    policy: planner.PlannerPolicy = POLICY,
    staked_bytes: int = 100_000,
    operations: Sequence[Operation] = (),
) -> Round:
    observed = snapshot(
        reward_sun=reward_sun, latest_withdraw_time_ms=last, staked_bytes=staked_bytes
    )
    rnd = round_of(positions, observed, operations, policy=policy, claim_requested=requested)
    plan_claim(rnd)
    return rnd


def test_no_claim_without_auto_claim_or_a_request() -> None:
    rnd = claim(50 * SUN, positions=(MANUAL,))
    assert (rnd.actions, rnd.waiting) == ([], [])
    rnd = claim(50 * SUN, positions=(MANUAL, AUTO))
    assert [a.kind for a in rnd.actions] == [Kind.CLAIM_REWARDS]
    assert rnd.actions[0].reason == f"claim {50 * SUN} sun of voting rewards (auto_claim)"
    rnd = claim(50 * SUN, positions=(MANUAL,), requested=True)
    assert rnd.actions[0].reason == f"claim {50 * SUN} sun of voting rewards (claim requested)"
    assert rnd.actions[0].params == {"owner_address": OWNER}
    assert rnd.actions[0].position_ids == ()
    assert rnd.actions[0].amount_sun == 50 * SUN
    assert rnd.actions[0].intent_key == intent_key(Kind.CLAIM_REWARDS, OWNER)


def test_the_minimum_claim_and_the_claims_own_fee() -> None:
    assert len(claim(POLICY.min_claim_sun).actions) == 1
    below = claim(POLICY.min_claim_sun - 1)
    assert below.actions == []
    assert [n.code for n in below.waiting] == ["RewardBelowMinimum"]
    assert below.waiting[0].message == (
        f"the reward of {POLICY.min_claim_sun - 1} sun is below the minimum claim of "
        f"{POLICY.min_claim_sun} sun (STAKING_MIN_CLAIM_SUN, and more than the claim's fee)"
    )
    low = dataclasses.replace(POLICY, min_claim_sun=1)
    # no bandwidth: the claim burns its fee, so the reward must be more than that fee
    assert claim(CLAIM_FEE, policy=low, staked_bytes=0).actions == []
    assert len(claim(CLAIM_FEE + 1, policy=low, staked_bytes=0).actions) == 1
    # bandwidth covers it: one sun is enough
    assert len(claim(1, policy=low).actions) == 1
    assert claim(0, policy=low).actions == []


def test_a_claim_once_per_interval_of_chain_time() -> None:
    assert len(claim(5 * SUN, last=NOW - DAY_MS).actions) == 1
    early = claim(5 * SUN, last=NOW - DAY_MS + 1)
    assert early.actions == []
    assert [(n.code, n.until_ms) for n in early.waiting] == [("ClaimNotDue", NOW + 1)]
    assert early.waiting[0].message == "rewards can be claimed once per 24 h"
    assert len(claim(5 * SUN, last=None).actions) == 1


def test_one_claim_in_flight_at_a_time() -> None:
    key = intent_key(Kind.CLAIM_REWARDS, OWNER)
    sent = operation(
        "c", Kind.CLAIM_REWARDS, [], {}, state=OperationState.BROADCAST, intent_key=key
    )
    rnd = claim(5 * SUN, operations=[sent])
    assert rnd.actions == []
    assert [(n.code, n.message) for n in rnd.waiting] == [
        ("OperationInFlight", f"claim: {sent.txid} is broadcast")
    ]
    done = dataclasses.replace(sent, state=OperationState.SOLIDIFIED)
    assert len(claim(5 * SUN, operations=[done]).actions) == 1


# -- freeze -------------------------------------------------------------------------------------

FREEZE_BYTES = bandwidth.estimate_bytes(Kind.FREEZE, resource=EN)


def freezes(positions: Sequence[Position], observed: AccountSnapshot | None = None) -> Round:
    rnd = round_of(positions, observed if observed is not None else snapshot(balance_trx=10_000))
    plan_freezes(rnd)
    return rnd


def test_a_freeze_per_resource_batches_the_pending_positions_not_yet_on_their_way() -> None:
    a = position("a", spec(10))
    b = position("b", spec(20), created_minute=1)
    c = position("c", spec(40, resource=BW), created_minute=2)
    leaving = position("d", spec(80), unstake=True, created_minute=3)
    held = position("e", spec(160), state=State.FROZEN, created_minute=4)
    rnd = freezes([a, b, c, leaving, held])
    assert [(x.params["resource"], x.params["frozen_balance"]) for x in rnd.actions] == [
        ("ENERGY", 30 * SUN),
        ("BANDWIDTH", 40 * SUN),
    ]
    energy = next(x for x in rnd.actions if x.params["resource"] == "ENERGY")
    assert energy.position_ids == tuple(sorted([a.id, b.id]))
    assert energy.intent_key == intent_key(Kind.FREEZE, OWNER, EN)
    assert energy.params["owner_address"] == OWNER
    # a position whose freeze is already on its way is not frozen again
    again = round_of([a, b], snapshot(balance_trx=10_000))
    again.works[a.id].location = Location.POOL
    plan_freezes(again)
    assert [x.position_ids for x in again.actions] == [(b.id,)]


def test_a_freeze_in_flight_for_the_resource_holds_the_batch() -> None:
    a = position("a", spec(10))
    sent = operation(
        "f",
        Kind.FREEZE,
        [],
        {"frozen_balance": 1},
        state=OperationState.BROADCAST,
        intent_key=intent_key(Kind.FREEZE, OWNER, EN),
    )
    rnd = round_of([a], snapshot(balance_trx=10_000), [sent])
    plan_freezes(rnd)
    assert rnd.actions == []
    assert [n.code for n in rnd.waiting] == ["OperationInFlight"]


def test_follow_up_sizes_are_one_vote_and_one_delegate_per_receiver_and_lock() -> None:
    ps = [
        position("a", spec(10, votes={W1: 1, W2: 1}, delegate=RECEIVER)),
        position("b", spec(10, votes={W2: 1, W3: 1}, delegate=RECEIVER, lock=True)),
        position("c", spec(10, delegate=RECEIVER2)),
        position("d", spec(10, delegate=RECEIVER)),
    ]
    rnd = round_of(ps, snapshot())
    works = [rnd.works[p.id] for p in ps]
    vote = bandwidth.estimate_bytes(Kind.VOTE, vote_entries=3)
    unlocked = bandwidth.estimate_bytes(Kind.DELEGATE, resource=EN, lock=False)
    locked = bandwidth.estimate_bytes(Kind.DELEGATE, resource=EN, lock=True)
    assert sorted(follow_up_sizes(rnd, works)) == sorted((vote, unlocked, locked, unlocked))
    assert follow_up_sizes(rnd, works)[0] == vote
    assert follow_up_sizes(rnd, works[2:]) == (unlocked, unlocked)
    assert follow_up_sizes(rnd, []) == ()


def test_a_freeze_reserves_the_fees_of_what_follows_and_tells_who_does_not_fit() -> None:
    s = spec(100, votes={W1: 1}, delegate=RECEIVER)
    a = position("a", s)
    b = position("b", spec(50, votes={W1: 1}, delegate=RECEIVER), created_minute=1)
    c = position("c", spec(30, votes={W1: 1}, delegate=RECEIVER), created_minute=2)
    vote = bandwidth.estimate_bytes(Kind.VOTE, vote_entries=1)
    delegate = bandwidth.estimate_bytes(Kind.DELEGATE, resource=EN)
    fees = (FREEZE_BYTES + vote + delegate) * 1000
    balance = 130 * SUN + fees
    observed = dataclasses.replace(snapshot(staked_bytes=0), balance_sun=balance)
    rnd = freezes([a, b, c], observed)
    (action,) = rnd.actions
    assert action.position_ids == tuple(sorted([a.id, c.id]))
    assert action.amount_sun == 130 * SUN
    assert rnd.ledger.balance_sun == balance - 130 * SUN - FREEZE_BYTES * 1000
    w = rnd.works[b.id]
    assert w.problems == [
        (
            "InsufficientBalance",
            f"freezing {50 * SUN} sun needs that much balance plus the fees of the freeze and "
            f"what follows it; {30 * SUN} sun is left",
        )
    ]
    notice = next(n for n in rnd.waiting if n.code == "InsufficientBalance")
    assert notice.position_ids == (b.id,)
    assert notice.message == f"the balance does not cover every pending {EN} position"
    # nothing fits: nothing is planned, and the room shown is never negative
    poor = dataclasses.replace(snapshot(staked_bytes=0), balance_sun=fees - 1)
    rnd = freezes([a], poor)
    assert rnd.actions == []
    assert rnd.works[a.id].problems[0][1].endswith("; 0 sun is left")


def test_a_rejected_claim_backs_off_on_the_withdraw_time_it_rested_on() -> None:
    key = intent_key(Kind.CLAIM_REWARDS, OWNER)
    last = NOW - 2 * DAY_MS
    basis = gate.basis_of(
        Kind.CLAIM_REWARDS, {"owner_address": OWNER}, [], {"latest_withdraw_time_ms": last}
    )
    rejected = dataclasses.replace(
        operation("c", Kind.CLAIM_REWARDS, [], {}, state=OperationState.REJECTED, intent_key=key),
        basis=basis,
        final_at_ms=NOW - 1000,
    )
    assert claim(5 * SUN, last=last, operations=[rejected]).actions == []
    # a later withdraw is another basis: the back-off no longer holds
    assert len(claim(5 * SUN, last=last + 1, operations=[rejected]).actions) == 1


def test_a_withdraw_at_chain_time_zero_counts() -> None:
    observed = snapshot(reward_sun=5 * SUN, latest_withdraw_time_ms=0)
    rnd = Round([AUTO], observed, [], DAY_MS, POLICY, False)
    plan_claim(rnd)
    assert len(rnd.actions) == 1
