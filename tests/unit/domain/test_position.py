"""Positions: creation, spec changes and generations, conditions, storage round trips."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.controller.builders import OWNER, RECEIVER, T0, W1, position, spec, wv
from tron_staking.domain import conditions
from tron_staking.domain.conditions import Condition, ConditionUpdate
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import OperationId
from tron_staking.domain.position import MAX_APPLIED_OPERATIONS, ChainDelegation, Position
from tron_staking.domain.spec import DelegateSpec, VoteWeight
from tron_staking.errors import ValidationError

LATER = T0 + dt.timedelta(minutes=5)


def test_new_position() -> None:
    p = Position.new(spec(100, votes={W1: 1}), created_by="alice", at=T0)
    assert p.id.startswith("pos_")
    assert p.state is StakingStatusType.PENDING
    assert (p.generation, p.observed_generation, p.version) == (1, 0, 0)
    assert p.target_state is StakingStatusType.VOTING
    assert not p.ready
    ready = p.condition(ConditionType.READY)
    assert ready is not None
    assert ready.reason == "Pending"
    assert ready.last_transition_time == T0
    assert p.next_reconcile_at == T0


@pytest.mark.parametrize(
    ("kwargs", "unstake", "target"),
    [
        ({}, False, StakingStatusType.FROZEN),
        ({"votes": {W1: 1}}, False, StakingStatusType.VOTING),
        ({"votes": {W1: 1}, "delegate": RECEIVER}, False, StakingStatusType.DELEGATED),
        ({"delegate": RECEIVER}, False, StakingStatusType.DELEGATED),
        ({"delegate": RECEIVER}, True, StakingStatusType.WITHDRAWN),
    ],
)
def test_target_state(kwargs: dict[str, object], unstake: bool, target: StakingStatusType) -> None:
    assert position("p", spec(10, **kwargs), unstake=unstake).target_state is target  # type: ignore[arg-type]


def test_spec_changes_bump_the_generation() -> None:
    p = position("p", spec(10))
    changed = p.with_spec(p.spec.with_votes((VoteWeight(W1, 3),)), at=LATER)
    assert changed.generation == 2
    assert changed.updated_at == LATER
    assert changed.with_spec(changed.spec, at=LATER) is changed  # no change, no bump
    for bad in (
        p.spec.__class__(owner=RECEIVER, resource=p.resource, amount_sun=p.amount_sun),
        p.spec.__class__(
            owner=OWNER, resource=StakingResourceType.BANDWIDTH, amount_sun=p.amount_sun
        ),
        p.spec.__class__(owner=OWNER, resource=p.resource, amount_sun=p.amount_sun + 1),
    ):
        with pytest.raises(ValidationError):
            p.with_spec(bad, at=LATER)


def test_unstake_request_is_idempotent_and_freezes_the_spec() -> None:
    p = position("p", spec(10)).with_unstake_requested(at=LATER)
    assert p.unstake_requested
    assert p.generation == 2
    assert p.target_state is StakingStatusType.WITHDRAWN
    assert p.with_unstake_requested(at=LATER) is p
    with pytest.raises(ValidationError):
        p.with_spec(p.spec.with_delegate(DelegateSpec(RECEIVER)), at=LATER)


def test_with_transition_checks_the_source() -> None:
    p = position("p", spec(10))
    record = TransitionRecord(
        machine="position",
        subject_id=p.id,
        from_state="pending",
        to_state="frozen",
        trigger="freeze_included",
        reason="",
        at=LATER,
    )
    assert p.with_transition(record).state is StakingStatusType.FROZEN
    with pytest.raises(ValueError, match="does not start"):
        p.with_transition(record).with_transition(record)


def test_conditions_move_their_time_only_on_status_changes() -> None:
    p = position("p", spec(10))
    p = p.with_conditions([ConditionUpdate.false(ConditionType.READY, "Pending")], at=T0)
    p = p.with_conditions([ConditionUpdate.false(ConditionType.READY, "Frozen", "x")], at=LATER)
    ready = p.condition(ConditionType.READY)
    assert ready is not None
    assert ready.reason == "Frozen"
    assert ready.last_transition_time == T0
    p = p.with_conditions([ConditionUpdate.true(ConditionType.READY, "Converged")], at=LATER)
    ready = p.condition(ConditionType.READY)
    assert ready is not None
    assert ready.last_transition_time == LATER
    assert p.ready
    assert p.with_conditions([ConditionUpdate.true(ConditionType.READY, "Converged")], at=T0) is p
    p = p.with_conditions(
        [
            ConditionUpdate.true(ConditionType.STALLED, "X"),
            ConditionUpdate.true(ConditionType.DRIFTED, "Y"),
        ],
        at=LATER,
    )
    assert [c.type for c in p.conditions] == [
        ConditionType.READY,
        ConditionType.DRIFTED,
        ConditionType.STALLED,
    ]
    assert conditions.is_true(p.conditions, ConditionType.DRIFTED)


def test_applied_operations_are_bounded() -> None:
    p = position("p", spec(10))
    ids = [OperationId(f"op_{i:022d}") for i in range(MAX_APPLIED_OPERATIONS + 5)]
    p = p.with_applied_operations(ids[:3]).with_applied_operations(ids[:3])
    assert p.applied_operations == tuple(ids[:3])
    p = p.with_applied_operations(ids)
    assert len(p.applied_operations) == MAX_APPLIED_OPERATIONS
    assert p.applied_operations[-1] == ids[-1]


def test_storage_round_trip() -> None:
    delegation = ChainDelegation(RECEIVER, StakingResourceType.ENERGY, True, 100, 10_000_000)
    p = (
        position(
            "p",
            spec(10, votes={W1: 5}, delegate=RECEIVER, lock=True, lock_period_blocks=100),
            state=StakingStatusType.DELEGATED,
            votes_cast=[wv(W1, 10)],
            delegation=delegation,
            unfreeze_expire_time_ms=123,
            applied=[OperationId("op_" + "a" * 22)],
        )
        .with_conditions([ConditionUpdate.true(ConditionType.READY, "Converged")], at=LATER)
        .with_observed_generation(1)
        .with_next_reconcile_at(LATER)
        .with_version(4)
    )
    raw = p.for_storage()
    assert raw["state"] == "delegated"
    assert raw["amount_sun"] == 10_000_000
    assert raw["conditions"][0]["status"] == "True"
    assert Position.from_storage(raw) == p
    # naive datetimes from a driver without tz_aware are taken as UTC
    naive = raw | {
        "created_at": T0.replace(tzinfo=None),
        "updated_at": LATER.replace(tzinfo=None),
    }
    assert Position.from_storage(naive) == p


def test_delegation_matches_the_spec() -> None:
    held = ChainDelegation(RECEIVER, StakingResourceType.ENERGY, True, 86_400, 1)
    assert held.matches(DelegateSpec(RECEIVER, True))
    assert not held.matches(DelegateSpec(RECEIVER, True, 10))
    assert not held.matches(DelegateSpec(RECEIVER))
    assert not held.matches(None)
    assert ChainDelegation.from_storage(held.for_storage()) == held


def test_condition_storage() -> None:
    condition = Condition(ConditionType.STALLED, ConditionStatus.TRUE, "X", "m", T0)
    assert Condition.from_storage(condition.for_storage()) == condition
