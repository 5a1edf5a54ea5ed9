"""The planner's entry points: the read-fault and awaiting-confirmation holds and the owner
that is not activated, message by message; ``apply_update`` with the exact refusal of a stale
position (from state and to state), the history it writes and the observed generation.

Written to kill the mutants ``make mutate`` left alive in ``planner/__init__.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.unit.controller.builders import (
    CHAIN_T0,
    EN,
    HEAD,
    OWNER,
    POLICY,
    SUN,
    T0,
    State,
    operation,
    position,
    snapshot,
    spec,
    txid,
)
from tron_staking.controller import planner
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType, StakingOperationType
from tron_staking.domain.history import TransitionRecord
from tron_staking.errors import InvalidTransitionError
from tron_staking.statemachine import position as position_machine
from tron_staking.statemachine.position import Facts, Trigger

PROGRESSING, STALLED = ConditionType.PROGRESSING, ConditionType.STALLED


def conditions_of(plan: planner.Plan, p_id: str) -> dict[ConditionType, ConditionUpdate]:
    update = plan.update_for(p_id)  # type: ignore[arg-type]
    assert update is not None
    return {c.type: c for c in update.conditions}


def test_an_empty_account_for_managed_stake_is_a_read_fault_held_for_one_block() -> None:
    held = position("held", spec(100), state=State.FROZEN)
    plan = planner.plan([held], snapshot(exists=False), [], CHAIN_T0, POLICY)
    message = (
        f"getaccount answered nothing for {OWNER}, which holds managed stake; TRON accounts "
        "cannot be deleted, so this is a read fault"
    )
    assert plan.waiting_for == (planner.Notice("ReadFault", message, (held.id,)),)
    assert plan.needs_confirmation is False
    assert plan.actions == ()
    assert plan.requeue_after_s == POLICY.block_interval_s
    assert conditions_of(plan, held.id)[PROGRESSING] == ConditionUpdate.true(
        PROGRESSING, "ReadFault", message
    )


def test_unconfirmed_drift_holds_the_round_and_asks_for_a_confirmation() -> None:
    lost = position("lost", spec(100), state=State.FROZEN)
    plan = planner.plan([lost], snapshot(frozen={}), [], CHAIN_T0, POLICY)
    message = (
        "the snapshot contradicts the positions or an included operation; a second snapshot "
        "(the solid state or a later head) must agree before anything is done"
    )
    assert plan.waiting_for == (planner.Notice("AwaitingConfirmation", message, (lost.id,)),)
    assert plan.needs_confirmation is True
    assert plan.transitions == ()
    assert conditions_of(plan, lost.id)[PROGRESSING] == ConditionUpdate.true(
        PROGRESSING, "AwaitingConfirmation", message
    )


def test_an_owner_not_activated_stalls_every_position_and_retries_later() -> None:
    fresh = position("fresh", spec(100))
    later = position("later", spec(5), created_minute=1)
    plan = planner.plan([fresh, later], snapshot(exists=False), [], CHAIN_T0, POLICY)
    assert plan.actions == ()
    assert plan.needs_confirmation is False
    assert plan.waiting_for == (
        planner.Notice(
            "OwnerNotActivated",
            "the owner account is not activated: send it TRX first",
            (fresh.id, later.id),
        ),
    )
    assert conditions_of(plan, later.id)[STALLED] == ConditionUpdate.true(
        STALLED, "OwnerNotActivated", f"the owner account {OWNER} does not exist"
    )
    assert plan.requeue_after_s == POLICY.stalled_retry_s
    nobody = planner.plan([], snapshot(exists=False), [], CHAIN_T0, POLICY)
    assert (nobody.waiting_for, nobody.requeue_after_s) == ((), POLICY.resync_period_s)


def transition(
    trigger: Trigger, from_state: State, to_state: State, *, facts: Facts | None = None
) -> planner.PlannedTransition:
    return planner.PlannedTransition(
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        reason="landed",
        facts=facts
        or Facts(
            votes_cast=False,
            unstake_requested=False,
            freeze_in_flight=False,
            chain_time_ms=CHAIN_T0,
            unfreeze_expire_time_ms=None,
        ),
        txid=txid("f"),
        block=HEAD - 3,
    )


def update_of(
    p_id: str, *transitions: planner.PlannedTransition, generation: int | None = None
) -> planner.PositionUpdate:
    return planner.PositionUpdate(
        position_id=p_id,  # type: ignore[arg-type]
        transitions=transitions,
        votes_cast=(),
        delegation=None,
        unfreeze_expire_time_ms=None,
        applied_operations=(),
        conditions=(),
        observed_generation=generation,
    )


def test_apply_update_writes_the_history_of_each_transition_and_the_generation() -> None:
    p = position("p", spec(100), generation=6)
    at = T0 + dt.timedelta(minutes=3)
    update = update_of(
        p.id, transition(Trigger.FREEZE_INCLUDED, State.PENDING, State.FROZEN), generation=6
    )
    new, records = planner.apply_update(p, update, at=at)
    assert new.state is State.FROZEN
    assert new.observed_generation == 6
    assert records == (
        TransitionRecord(
            machine=position_machine.MACHINE_NAME,
            subject_id=p.id,
            from_state="pending",
            to_state="frozen",
            trigger=str(Trigger.FREEZE_INCLUDED),
            reason="landed",
            at=at,
            txid=txid("f"),
            block=HEAD - 3,
            generation=6,
        ),
    )
    unobserved, _ = planner.apply_update(p, update_of(p.id), at=at)
    assert unobserved.observed_generation == p.observed_generation == 0


def test_apply_update_names_the_machine_state_and_trigger_it_refuses() -> None:
    frozen = position("p", spec(100), state=State.FROZEN)
    stale = update_of(frozen.id, transition(Trigger.FREEZE_INCLUDED, State.PENDING, State.FROZEN))
    with pytest.raises(InvalidTransitionError) as refused:
        planner.apply_update(frozen, stale, at=T0)
    assert (refused.value.machine, refused.value.state, refused.value.trigger) == (
        "position",
        "frozen",
        str(Trigger.FREEZE_INCLUDED),
    )
    pending = dataclasses.replace(frozen, state=State.PENDING)
    elsewhere = update_of(
        pending.id, transition(Trigger.FREEZE_INCLUDED, State.PENDING, State.VOTING)
    )
    with pytest.raises(InvalidTransitionError) as refused:
        planner.apply_update(pending, elsewhere, at=T0)
    assert (refused.value.machine, refused.value.state, refused.value.trigger) == (
        "position",
        "pending",
        str(Trigger.FREEZE_INCLUDED),
    )
    assert str(refused.value) == (
        f"position: trigger {str(Trigger.FREEZE_INCLUDED)!r} is not allowed in state 'pending'"
    )


def test_plan_claims_only_when_asked_to() -> None:
    manual = position("manual", spec(100), state=State.FROZEN)
    observed = snapshot(frozen={EN: 100 * SUN}, reward_sun=50 * SUN)
    assert planner.plan([manual], observed, [], CHAIN_T0).actions == ()
    asked = planner.plan([manual], observed, [], CHAIN_T0, claim_requested=True)
    assert [a.kind for a in asked.actions] == [StakingOperationType.CLAIM_REWARDS]


def test_an_empty_account_after_a_landed_operation_is_a_read_fault_too() -> None:
    fresh = position("fresh", spec(100))
    landed = operation(
        "f",
        StakingOperationType.FREEZE,
        [fresh],
        {"frozen_balance": 100 * SUN, "resource": "ENERGY"},
    )
    plan = planner.plan([fresh], snapshot(exists=False), [landed], CHAIN_T0, POLICY)
    assert [n.code for n in plan.waiting_for] == ["ReadFault"]
    assert plan.transitions == ()
