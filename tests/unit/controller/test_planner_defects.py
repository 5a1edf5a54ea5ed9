"""Regression scenarios for the planner's money-safety defects (issue 8, defects 1–8).

Each test builds the exact in-flight situation a hostile review found and checks that the
planner neither sends a second additive transaction nor decides on evidence that could be a
glitch, and that the conditions say what is going on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    CHAIN_T0,
    DAY_MS,
    EN,
    HEAD,
    OWNER,
    POLICY,
    RECEIVER,
    RECEIVER2,
    SUN,
    T0,
    W1,
    W2,
    Kind,
    State,
    address,
    delegation_of,
    operation,
    position,
    snapshot,
    spec,
    wv,
)
from tests.unit.controller.rounds import kinds
from tron_staking.controller import planner
from tron_staking.domain.enums import ConditionType, OperationState
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.statemachine import operation as operation_machine


def run(
    positions: Sequence[Position],
    observed: AccountSnapshot,
    operations: Sequence[Operation] = (),
    policy: planner.PlannerPolicy = POLICY,
    *,
    confirmation: AccountSnapshot | None = None,
) -> planner.Plan:
    return planner.plan(
        positions,
        observed,
        operations,
        observed.head_block_time_ms,
        policy,
        confirmation=confirmation,
    )


def naming(plan: planner.Plan, kind: Kind, position_id: PositionId) -> list[planner.Action]:
    return [a for a in plan.actions if a.kind is kind and position_id in a.position_ids]


def triggers(plan: planner.Plan, p: Position) -> list[str]:
    update = plan.update_for(p.id)
    return [str(t.trigger) for t in update.transitions] if update else []


def condition(plan: planner.Plan, p: Position, type_: ConditionType) -> tuple[str, str]:
    update = plan.update_for(p.id)
    assert update is not None
    for c in update.conditions:
        if c.type is type_:
            return c.status.value, c.reason
    return ("absent", "")


# -- defect 1 ---------------------------------------------------------------------------------

PATCHED_SPEC = spec(1000, delegate=RECEIVER2)
PATCHED = position("patched", PATCHED_SPEC, state=State.FROZEN, generation=2)
DELEGATE_TO_R1 = operation(
    "delegate-r1",
    Kind.DELEGATE,
    [PATCHED],
    {"receiver_address": RECEIVER, "balance": 1000 * SUN, "resource": "ENERGY", "lock": False},
    state=OperationState.BROADCAST,
    intent_key=f"delegate:{OWNER}:{RECEIVER}:ENERGY:unlocked",
)
# 1000 TRX of the position plus 5000 TRX of unmanaged stake: a second delegate would land
WITH_UNMANAGED = snapshot(frozen={EN: 6000 * SUN})


def test_defect1_receiver_change_while_delegate_in_flight_sends_no_second_delegate() -> None:
    plan = run([PATCHED], WITH_UNMANAGED, [DELEGATE_TO_R1])
    assert naming(plan, Kind.DELEGATE, PATCHED.id) == []
    assert condition(plan, PATCHED, ConditionType.PROGRESSING) == ("True", "Reconciling")


def test_defect1_lock_turned_on_while_delegate_in_flight_sends_no_second_delegate() -> None:
    locked = dataclasses.replace(PATCHED, spec=spec(1000, delegate=RECEIVER, lock=True))
    plan = run([locked], WITH_UNMANAGED, [DELEGATE_TO_R1])
    assert naming(plan, Kind.DELEGATE, locked.id) == []


def test_defect1_any_additive_kind_in_flight_blocks_the_same_kind_for_its_positions() -> None:
    pending = position("pending", spec(1000, resource=EN))
    other_key = operation(
        "freeze-other-key",
        Kind.FREEZE,
        [pending],
        {"frozen_balance": 1000 * SUN, "resource": "ENERGY"},
        state=OperationState.RECORDED,
        intent_key="freeze:legacy-key",
    )
    plan = run([pending], snapshot(), [other_key])
    assert naming(plan, Kind.FREEZE, pending.id) == []


# -- defect 2 ---------------------------------------------------------------------------------

HELD_SPEC = spec(1000, delegate=RECEIVER)
HELD = position("held", HELD_SPEC, state=State.DELEGATED, delegation=delegation_of(HELD_SPEC))
HELD_FROZEN = position("held-frozen", spec(500), state=State.FROZEN, created_minute=1)


def test_defect2_empty_getaccount_for_a_managed_owner_is_a_read_fault() -> None:
    plan = run([HELD, HELD_FROZEN], snapshot(exists=False, frozen={}))
    assert plan.actions == ()
    assert plan.drift == ()
    assert triggers(plan, HELD) == []
    assert triggers(plan, HELD_FROZEN) == []
    assert condition(plan, HELD, ConditionType.PROGRESSING) == ("True", "ReadFault")
    assert plan.requeue_after_s == POLICY.block_interval_s


def test_defect2_stake_drift_waits_for_a_confirming_snapshot() -> None:
    observed = snapshot(
        frozen={EN: 0}, delegations=[DelegationOut(RECEIVER, EN, False, 1000 * SUN)]
    )
    plan = run([HELD, HELD_FROZEN], observed)
    assert plan.actions == ()
    assert triggers(plan, HELD_FROZEN) == []
    assert plan.needs_confirmation
    solid = dataclasses.replace(observed, head_block_number=HEAD - 19)
    confirmed = run([HELD, HELD_FROZEN], observed, confirmation=solid)
    assert triggers(confirmed, HELD_FROZEN) == ["stake_lost"]
    assert kinds(confirmed) == ["freeze"]
    assert not confirmed.needs_confirmation


def test_defect2_a_confirmation_that_disagrees_yields_no_decision() -> None:
    observed = snapshot(
        frozen={EN: 0}, delegations=[DelegationOut(RECEIVER, EN, False, 1000 * SUN)]
    )
    healthy = snapshot(
        frozen={EN: 500 * SUN},
        delegations=[DelegationOut(RECEIVER, EN, False, 1000 * SUN)],
        head=HEAD - 19,
    )
    plan = run([HELD, HELD_FROZEN], observed, confirmation=healthy)
    assert plan.actions == ()
    assert triggers(plan, HELD_FROZEN) == []


LEAVING_NOW = position("leaving-now", spec(1000), state=State.FROZEN, unstake=True)
UNFREEZE_LANDED = operation(
    "unfreeze-landed",
    Kind.UNFREEZE,
    [LEAVING_NOW],
    {"unfreeze_balance": 1000 * SUN, "resource": "ENERGY"},
    block=HEAD - 1,
    block_time_ms=CHAIN_T0 - 3000,
)


def test_defect2_lagging_node_snapshot_without_an_included_unfreeze_is_stale() -> None:
    # the unfreeze is in block HEAD-1, but the node answering getaccount still shows the stake
    lagging = snapshot(frozen={EN: 1000 * SUN})
    plan = run([LEAVING_NOW], lagging, [UNFREEZE_LANDED])
    assert "unfreeze_cancelled" not in triggers(plan, LEAVING_NOW)
    assert naming(plan, Kind.UNFREEZE, LEAVING_NOW.id) == []
    assert plan.actions == ()
    assert plan.requeue_after_s == POLICY.block_interval_s


def test_defect2_unfreezing_position_never_falls_through_to_withdrawn_early() -> None:
    expire = CHAIN_T0 + 14 * DAY_MS - 6000
    unfreezing = dataclasses.replace(
        LEAVING_NOW, state=State.UNFREEZING, unfreeze_expire_time_ms=expire
    )
    lagging = snapshot(frozen={EN: 1000 * SUN})  # entry missing: a glitch, not a cancel
    plan = run([unfreezing], lagging)
    assert triggers(plan, unfreezing) == []
    assert plan.actions == ()
    assert plan.needs_confirmation


# -- defect 3 ---------------------------------------------------------------------------------


def _op(state: OperationState, *, maybe_delivered: bool = False) -> Operation:
    base = operation("re-sent", Kind.FREEZE, [LEAVING_NOW], {}, state=state)
    return dataclasses.replace(base, maybe_delivered=maybe_delivered)


def test_defect3_a_rejected_resend_is_not_death() -> None:
    # bytes reached a node (broadcast): a TRANSACTION_EXPIRATION_ERROR to a re-send is an
    # attempt outcome, the operation stays in flight until inclusion or the expiry proof
    facts = operation_machine.Facts()
    assert operation_machine.next_state(State_op.BROADCAST, "refused", facts) is None
    ambiguous = operation_machine.Facts(maybe_delivered=True)
    assert operation_machine.next_state(State_op.RECORDED, "refused", ambiguous) is None
    assert (
        operation_machine.next_state(State_op.BROADCAST, "attempt_failed", facts)
        is State_op.BROADCAST
    )
    first = operation_machine.Facts(maybe_delivered=False)
    assert operation_machine.next_state(State_op.RECORDED, "refused", first) is State_op.REJECTED


def test_defect3_rejected_still_accepts_a_late_inclusion() -> None:
    rejected = _op(OperationState.REJECTED)
    new_state, _ = operation_machine.fire(rejected, "seen_in_block", at=T0)
    assert new_state is State_op.INCLUDED


State_op = OperationState


# -- defect 4 ---------------------------------------------------------------------------------

CONTRACT_RECEIVER = address("a-contract")
TO_CONTRACT = position("to-contract", spec(1000, delegate=CONTRACT_RECEIVER), state=State.FROZEN)
CONTRACT_SNAPSHOT = snapshot(frozen={EN: 1000 * SUN}, receivers={CONTRACT_RECEIVER: True})
CONTRACT_MESSAGE = "Contract validate error : Do not allow delegate resources to contract addresses"


def _rejected_like(action: planner.Action, name: str, at_ms: int) -> Operation:
    op = operation(
        name,
        action.kind,
        [TO_CONTRACT],
        dict(action.params),
        state=OperationState.REJECTED,
        intent_key=action.intent_key,
    )
    return dataclasses.replace(
        op,
        basis=getattr(action, "basis", ""),
        error=CONTRACT_MESSAGE,
        final_at_ms=at_ms,
    )


def test_defect4_deterministic_rejection_backs_off_with_a_stalled_condition() -> None:
    first = run([TO_CONTRACT], CONTRACT_SNAPSHOT)
    (delegate,) = naming(first, Kind.DELEGATE, TO_CONTRACT.id)
    rejected = _rejected_like(delegate, "rejected-1", CHAIN_T0 - 3000)
    plan = run([TO_CONTRACT], CONTRACT_SNAPSHOT, [rejected])
    assert naming(plan, Kind.DELEGATE, TO_CONTRACT.id) == []
    status, reason = condition(plan, TO_CONTRACT, ConditionType.STALLED)
    assert (status, reason) == ("True", "Rejected")
    assert condition(plan, TO_CONTRACT, ConditionType.PROGRESSING)[0] == "False"
    # first retry after one resync period
    assert plan.requeue_after_s == POLICY.resync_period_s - 3
    later = dataclasses.replace(
        CONTRACT_SNAPSHOT, head_block_time_ms=CHAIN_T0 + POLICY.resync_period_s * 1000
    )
    retried = run([TO_CONTRACT], later, [rejected])
    assert len(naming(retried, Kind.DELEGATE, TO_CONTRACT.id)) == 1


def test_defect4_back_off_doubles_and_is_capped_at_a_day() -> None:
    first = run([TO_CONTRACT], CONTRACT_SNAPSHOT)
    (delegate,) = naming(first, Kind.DELEGATE, TO_CONTRACT.id)
    rejections = [
        _rejected_like(delegate, f"rejected-{i}", CHAIN_T0 - 3000 * (20 - i)) for i in range(20)
    ]
    plan = run([TO_CONTRACT], CONTRACT_SNAPSHOT, rejections)
    assert naming(plan, Kind.DELEGATE, TO_CONTRACT.id) == []
    assert retry_at(plan) == CHAIN_T0 - 3000 + POLICY.max_backoff_s * 1000
    two = run([TO_CONTRACT], CONTRACT_SNAPSHOT, rejections[-2:])
    assert retry_at(two) == CHAIN_T0 - 3000 + 2 * POLICY.resync_period_s * 1000
    assert two.requeue_after_s == POLICY.resync_period_s  # the planner still looks regularly


def retry_at(plan: planner.Plan) -> int | None:
    (notice,) = [n for n in plan.waiting_for if n.code == "Rejected"]
    return notice.until_ms


def test_defect4_spec_change_resets_the_back_off() -> None:
    first = run([TO_CONTRACT], CONTRACT_SNAPSHOT)
    (delegate,) = naming(first, Kind.DELEGATE, TO_CONTRACT.id)
    rejected = _rejected_like(delegate, "rejected-1", CHAIN_T0 - 3000)
    patched = dataclasses.replace(TO_CONTRACT, spec=spec(1000, delegate=RECEIVER), generation=2)
    observed = snapshot(
        frozen={EN: 1000 * SUN}, receivers={CONTRACT_RECEIVER: True, RECEIVER: True}
    )
    plan = run([patched], observed, [rejected])
    assert len(naming(plan, Kind.DELEGATE, patched.id)) == 1


# -- defect 5 ---------------------------------------------------------------------------------

LOCKED_SPEC = spec(1000, votes={W1: 1}, delegate=RECEIVER, lock=True, lock_period_blocks=86_400)
LOCKED_VOTER = position(
    "locked-voter",
    LOCKED_SPEC,
    state=State.DELEGATED,
    votes_cast=[wv(W1, 1000)],
    delegation=delegation_of(LOCKED_SPEC),
    unstake=True,
)


STAYING_VOTER = position(
    "staying-voter",
    spec(500, votes={W2: 1}),
    state=State.VOTING,
    votes_cast=[wv(W2, 500)],
    created_minute=1,
)


def test_defect5_unstaking_a_locked_delegation_keeps_its_votes_until_the_unfreeze() -> None:
    observed = snapshot(
        frozen={EN: 500 * SUN},
        delegations=[
            DelegationOut(RECEIVER, EN, True, 1000 * SUN, lock_expire_time_ms=CHAIN_T0 + DAY_MS)
        ],
        votes=[wv(W1, 1000), wv(W2, 500)],
    )
    plan = run([LOCKED_VOTER, STAYING_VOTER], observed)
    assert plan.actions == ()
    assert condition(plan, LOCKED_VOTER, ConditionType.STALLED) == ("True", "LockNotExpired")


def test_defect5_the_revote_goes_when_the_unfreeze_can_and_not_earlier() -> None:
    unlocked = dataclasses.replace(LOCKED_VOTER, state=State.VOTING, delegation=None)
    observed = snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W1, 1000), wv(W2, 500)])
    plan = run([unlocked, STAYING_VOTER], observed)
    # an unfreeze landing without its re-vote would rescale W2's 500 votes to 166: it waits
    # until the re-vote is visible on the head, one block
    assert kinds(plan) == ["vote"]
    assert plan.actions[0].params["votes"] == [{"vote_address": W2, "vote_count": 500}]
    revote = operation(
        "revote",
        Kind.VOTE,
        [unlocked, STAYING_VOTER],
        dict(plan.actions[0].params),
        block=HEAD,
        position_votes={STAYING_VOTER.id: (wv(W2, 500),)},
    )
    after = run(
        [unlocked, STAYING_VOTER], snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W2, 500)]), [revote]
    )
    assert triggers(after, unlocked) == ["votes_removed"]
    assert kinds(after) == ["unfreeze"]


def test_defect5_the_revote_rides_with_the_unfreeze_when_nothing_else_can_be_cut() -> None:
    unlocked = dataclasses.replace(LOCKED_VOTER, state=State.VOTING, delegation=None)
    # 1000 TRX of the owner's own stake keep the tron power above every remaining vote
    observed = snapshot(frozen={EN: 2500 * SUN}, votes=[wv(W1, 1000), wv(W2, 500)])
    plan = run([unlocked, STAYING_VOTER], observed)
    assert kinds(plan) == ["vote", "unfreeze"]
    assert plan.actions[0].params["votes"] == [
        {"vote_address": W2, "vote_count": 500},
    ] or plan.actions[0].params["votes"] == [
        {"vote_address": W1, "vote_count": 1000},
        {"vote_address": W2, "vote_count": 500},
    ]


# -- defect 6 ---------------------------------------------------------------------------------


def test_defect6a_clearing_the_only_voters_votes_is_reported_not_faked() -> None:
    only = position("only-voter", spec(1000), state=State.VOTING, votes_cast=[wv(W1, 1000)])
    observed = snapshot(frozen={EN: 1000 * SUN}, votes=[wv(W1, 1000)])
    plan = run([only], observed)
    assert triggers(plan, only) == []
    assert plan.actions == ()
    assert condition(plan, only, ConditionType.READY) == ("False", "VotesCannotBeCleared")
    update = plan.update_for(only.id)
    assert update is not None
    assert update.votes_cast == (wv(W1, 1000),)
    # a later vote replaces those votes: they are still managed, never kept as someone else's
    revoted = dataclasses.replace(only, spec=spec(1000, votes={W2: 1}), generation=3)
    again = run([revoted], observed)
    assert [a.params["votes"] for a in again.actions] == [
        [{"vote_address": W2, "vote_count": 1000}]
    ]


def test_defect6b_a_non_witness_stalls_its_position_alone() -> None:
    good = position(
        "good-voter", spec(1000, votes={W1: 1}), state=State.VOTING, votes_cast=[wv(W1, 1000)]
    )
    bad = position(
        "bad-voter",
        spec(500, votes={address("not-a-witness"): 1}),
        state=State.VOTING,
        votes_cast=[wv(W2, 500)],
        created_minute=1,
        generation=2,
    )
    observed = snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W1, 1000), wv(W2, 500)])
    plan = run([good, bad], observed)
    assert plan.actions == ()  # nothing to change: W2's valid votes stay
    assert condition(plan, bad, ConditionType.STALLED) == ("True", "UnknownWitness")
    assert condition(plan, good, ConditionType.READY)[0] == "True"
    update = plan.update_for(bad.id)
    assert update is not None
    assert update.votes_cast == (wv(W2, 500),)


# -- defect 7 ---------------------------------------------------------------------------------


def test_defect7_freeze_keeps_the_fees_of_the_vote_and_delegate_it_needs() -> None:
    full = position("full", spec(1000, votes={W1: 1}, delegate=RECEIVER))
    # exactly the amount plus the freeze's own fee; nothing for the vote and delegate fees
    observed = snapshot(balance_trx=1000, staked_bytes=0, free_bytes=0)
    freeze_fee = 262 * 1000
    observed = dataclasses.replace(observed, balance_sun=1000 * SUN + freeze_fee)
    plan = run([full], observed)
    assert plan.actions == ()
    assert condition(plan, full, ConditionType.STALLED) == ("True", "InsufficientBalance")


def test_defect7_an_operation_included_above_the_head_spends_balance() -> None:
    first = position("first", spec(1000))
    second = position("second", spec(1000), created_minute=1)
    landed_later = operation(
        "freeze-above-head",
        Kind.FREEZE,
        [first],
        {"frozen_balance": 1000 * SUN, "resource": "ENERGY"},
        block=HEAD + 1,
        block_time_ms=CHAIN_T0 + 3000,
        intent_key=f"freeze:{OWNER}:ENERGY:old",
    )
    observed = snapshot(balance_trx=1500)  # before the freeze: only 500 TRX are really left
    plan = run([first, second], observed, [landed_later])
    assert naming(plan, Kind.FREEZE, first.id) == []
    assert naming(plan, Kind.FREEZE, second.id) == []
    assert condition(plan, second, ConditionType.STALLED) == ("True", "InsufficientBalance")


def test_defect7_unfreezing_the_only_bandwidth_stake_removes_staked_bandwidth() -> None:
    bw_leaving = position("bw-leaving", spec(1000, resource=BW), state=State.FROZEN, unstake=True)
    newcomer = position("newcomer", spec(10), created_minute=1)
    observed = snapshot(balance_trx=10, frozen={BW: 1000 * SUN}, staked_bytes=5000, free_bytes=0)
    plan = run([bw_leaving, newcomer], observed)
    assert kinds(plan) == ["unfreeze"]
    assert condition(plan, newcomer, ConditionType.STALLED) == ("True", "InsufficientBalance")


def test_defect7_a_pending_delegate_is_not_subtracted_twice() -> None:
    delegating = position("delegating", spec(1000, delegate=RECEIVER), state=State.FROZEN)
    leaving = position("leaving-500", spec(500), state=State.FROZEN, unstake=True, created_minute=1)
    in_flight = operation(
        "delegate-in-flight",
        Kind.DELEGATE,
        [delegating],
        {"receiver_address": RECEIVER, "balance": 1000 * SUN, "resource": "ENERGY", "lock": False},
        state=OperationState.BROADCAST,
        intent_key=f"delegate:{OWNER}:{RECEIVER}:ENERGY:unlocked",
    )
    plan = run([delegating, leaving], snapshot(frozen={EN: 1500 * SUN}), [in_flight])
    assert kinds(plan) == ["unfreeze"]
    assert condition(plan, leaving, ConditionType.STALLED)[0] == "False"


def test_defect7_no_claim_of_dust_below_the_minimum_or_the_fee() -> None:
    auto = position("auto", spec(1000, auto_claim=True), state=State.FROZEN)
    due = CHAIN_T0 - DAY_MS
    no_bandwidth = snapshot(
        frozen={EN: 1000 * SUN}, reward_sun=5, latest_withdraw_time_ms=due, staked_bytes=0
    )
    assert run([auto], no_bandwidth).actions == ()
    below_minimum = snapshot(
        frozen={EN: 1000 * SUN}, reward_sun=999_999, latest_withdraw_time_ms=due
    )
    assert run([auto], below_minimum).actions == ()
    enough = snapshot(frozen={EN: 1000 * SUN}, reward_sun=SUN, latest_withdraw_time_ms=due)
    assert kinds(run([auto], enough)) == ["claim_rewards"]
    fee_bigger = snapshot(
        frozen={EN: 1000 * SUN}, reward_sun=200_000, latest_withdraw_time_ms=due, staked_bytes=0
    )
    low_minimum = dataclasses.replace(POLICY, min_claim_sun=1)
    assert run([auto], fee_bigger, policy=low_minimum).actions == ()


# -- defect 8 ---------------------------------------------------------------------------------


def test_defect8_claiming_never_changes_ready() -> None:
    auto = position("auto-ready", spec(1000, auto_claim=True), state=State.FROZEN)
    due = snapshot(
        frozen={EN: 1000 * SUN}, reward_sun=10 * SUN, latest_withdraw_time_ms=CHAIN_T0 - DAY_MS
    )
    plan = run([auto], due)
    assert kinds(plan) == ["claim_rewards"]
    assert condition(plan, auto, ConditionType.READY) == ("True", "Converged")
    claim_in_flight = operation(
        "claim", Kind.CLAIM_REWARDS, [auto], {}, state=OperationState.BROADCAST
    )
    waiting = run([auto], due, [claim_in_flight])
    assert condition(waiting, auto, ConditionType.READY) == ("True", "Converged")


def test_a_healthy_unfreezing_position_is_left_alone() -> None:
    # control: a healthy unfreezing position with its entry is left alone
    expire = CHAIN_T0 + DAY_MS
    unfreezing = dataclasses.replace(
        LEAVING_NOW, state=State.UNFREEZING, unfreeze_expire_time_ms=expire
    )
    observed = snapshot(unfreezing=[UnfreezingEntry(EN, 1000 * SUN, expire)])
    plan = run([unfreezing], observed)
    assert triggers(plan, unfreezing) == []


def test_defect4_a_rejection_of_a_transaction_that_rode_with_another_is_not_backed_off() -> None:
    first = run([TO_CONTRACT], CONTRACT_SNAPSHOT)
    (delegate,) = naming(first, Kind.DELEGATE, TO_CONTRACT.id)
    rejected = _rejected_like(delegate, "rejected-1", CHAIN_T0 - 3000)
    dropped_freeze = operation(
        "dropped-freeze",
        Kind.FREEZE,
        [TO_CONTRACT],
        {"frozen_balance": 1000 * SUN, "resource": "ENERGY"},
        state=OperationState.EXPIRED,
        expiration_ms=rejected.expiration_ms,
    )
    plan = run([TO_CONTRACT], CONTRACT_SNAPSHOT, [rejected, dropped_freeze])
    assert len(naming(plan, Kind.DELEGATE, TO_CONTRACT.id)) == 1
    # the companion landed: the delegate was judged with it, but perhaps before it arrived
    landed_freeze = dataclasses.replace(dropped_freeze, state=OperationState.SOLIDIFIED)
    plan = run([TO_CONTRACT], CONTRACT_SNAPSHOT, [rejected, landed_freeze])
    assert len(naming(plan, Kind.DELEGATE, TO_CONTRACT.id)) == 1
    # sent alone and rejected again: now it backs off
    alone = dataclasses.replace(
        _rejected_like(delegate, "rejected-2", CHAIN_T0 - 1000), expiration_ms=CHAIN_T0 + 90_000
    )
    plan = run([TO_CONTRACT], CONTRACT_SNAPSHOT, [rejected, landed_freeze, alone])
    assert naming(plan, Kind.DELEGATE, TO_CONTRACT.id) == []


def test_defect5_an_unfreeze_no_revote_could_soften_is_not_held_forever() -> None:
    # the owner voted 1500 outside the service with the tron power of a managed position
    # that now leaves: no vote list can keep those votes, so the unfreeze goes (and says so)
    leaving = position("leaving-no-votes", spec(1000), state=State.FROZEN, unstake=True)
    observed = snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W1, 1500)])
    plan = run([leaving], observed)
    assert kinds(plan) == ["unfreeze"]
    assert "VoteReduction" in {n.code for n in plan.warnings}
