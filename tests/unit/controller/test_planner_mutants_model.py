"""The planner's public shapes: the plan endpoint's JSON body key by key, the lookups of a
plan, every intent key, and the policy's refusal of a block interval that is not positive.

Written to kill the mutants ``make mutate`` left alive in ``planner/model.py``."""

from __future__ import annotations

import pytest

from tests.unit.controller.builders import BW, EN, OWNER, RECEIVER, W1, Kind, State, pid, wv
from tron_staking.controller import planner
from tron_staking.controller.planner.model import intent_key
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType
from tron_staking.statemachine.position import Facts, Trigger

A, B = pid("a"), pid("b")
READY = ConditionType.READY


def test_action_json_is_the_contract_fields_only() -> None:
    action = planner.Action(
        kind=Kind.VOTE,
        intent_key="vote:x",
        params={"owner_address": OWNER, "votes": [{"vote_address": W1, "vote_count": 5}]},
        position_ids=(A, B),
        reason="vote 5",
        amount_sun=9,
        position_votes={A: (wv(W1, 5),)},
    )
    assert action.to_json() == {
        "kind": "vote",
        "intent_key": "vote:x",
        "params": {"owner_address": OWNER, "votes": [{"vote_address": W1, "vote_count": 5}]},
        "positions": [A, B],
        "reason": "vote 5",
    }


def test_notice_and_finding_json() -> None:
    assert planner.Notice("Code", "message", (A,)).to_json() == {
        "code": "Code",
        "message": "message",
        "positions": [A],
    }
    assert planner.Notice("Code", "message", (), until_ms=0).to_json() == {
        "code": "Code",
        "message": "message",
        "positions": [],
        "until_ms": 0,
    }
    assert planner.DriftFinding("stake_lost", "gone", (A, B)).to_json() == {
        "kind": "stake_lost",
        "message": "gone",
        "positions": [A, B],
    }


def update(p: str, *transitions: planner.PlannedTransition, ready: bool) -> planner.PositionUpdate:
    return planner.PositionUpdate(
        position_id=pid(p),
        transitions=transitions,
        votes_cast=(),
        delegation=None,
        unfreeze_expire_time_ms=None,
        applied_operations=(),
        conditions=(
            ConditionUpdate.true(READY, "Converged")
            if ready
            else ConditionUpdate.false(READY, "X"),
        ),
    )


FACTS = Facts(
    votes_cast=False,
    unstake_requested=False,
    freeze_in_flight=False,
    chain_time_ms=1,
    unfreeze_expire_time_ms=None,
)
T1 = planner.PlannedTransition(Trigger.FREEZE_INCLUDED, State.PENDING, State.FROZEN, "r", FACTS)
T2 = planner.PlannedTransition(Trigger.VOTE_INCLUDED, State.FROZEN, State.VOTING, "r", FACTS)


def test_plan_json_and_lookups() -> None:
    action = planner.Action(Kind.FREEZE, "freeze:x", {"frozen_balance": 1}, (A,), "freeze")
    waiting = planner.Notice("Wait", "w", (A,), until_ms=4)
    warning = planner.Notice("Warn", "v")
    finding = planner.DriftFinding("votes_lost", "lost", (B,))
    plan = planner.Plan(
        owner=OWNER,
        chain_block=77,
        chain_time_ms=5,
        actions=(action,),
        updates=(update("a", T1, T2, ready=False), update("b", ready=True)),
        drift=(finding,),
        warnings=(warning,),
        waiting_for=(waiting,),
        requeue_after_s=1.5,
    )
    assert plan.to_json() == {
        "owner": OWNER,
        "actions": [action.to_json()],
        "waiting_for": [waiting.to_json()],
        "warnings": [warning.to_json()],
        "drift": [finding.to_json()],
        "requeue_after_s": 2,  # whole seconds in the body, rounded up
        "observed_block": 77,
    }
    assert plan.transitions == ((A, T1), (A, T2))
    assert plan.conditions == {
        A: (ConditionUpdate.false(READY, "X"),),
        B: (ConditionUpdate.true(READY, "Converged"),),
    }
    assert plan.update_for(B) == plan.updates[1]
    assert plan.update_for(pid("c")) is None
    assert plan.needs_confirmation is False


def test_every_intent_key() -> None:
    assert intent_key(Kind.VOTE, OWNER) == f"vote:{OWNER}"
    assert intent_key(Kind.WITHDRAW_EXPIRE_UNFREEZE, OWNER, EN) == (
        f"withdraw_expire_unfreeze:{OWNER}"
    )
    assert intent_key(Kind.CLAIM_REWARDS, OWNER) == f"claim_rewards:{OWNER}"
    assert intent_key(Kind.FREEZE, OWNER, EN) == f"freeze:{OWNER}:ENERGY"
    assert intent_key(Kind.UNFREEZE, OWNER, BW, RECEIVER) == f"unfreeze:{OWNER}:BANDWIDTH"
    assert intent_key(Kind.DELEGATE, OWNER, EN, RECEIVER) == (
        f"delegate:{OWNER}:{RECEIVER}:ENERGY:unlocked"
    )
    assert intent_key(Kind.UNDELEGATE, OWNER, BW, RECEIVER, lock=True) == (
        f"undelegate:{OWNER}:{RECEIVER}:BANDWIDTH:locked"
    )


@pytest.mark.parametrize("interval_s", [0.0, -0.5])
def test_a_block_interval_that_is_not_positive_is_refused_with_its_value(
    interval_s: float,
) -> None:
    with pytest.raises(ValueError, match="block_interval_s") as refused:
        planner.PlannerPolicy(block_interval_s=interval_s)
    assert str(refused.value) == f"block_interval_s must be positive, not {interval_s}"
    assert planner.PlannerPolicy(block_interval_s=0.001).block_interval_s == 0.001
