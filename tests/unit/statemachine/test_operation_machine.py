"""The operation machine: every allowed transition, every forbidden trigger, guards."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from tests.unit.controller.builders import OWNER, T0, txid
from tron_staking.domain.enums import OperationState, StakingOperationType
from tron_staking.domain.operation import Operation
from tron_staking.errors import InvalidTransitionError
from tron_staking.statemachine import engine
from tron_staking.statemachine import operation as machine
from tron_staking.statemachine.operation import Facts, Trigger

State = OperationState
SATISFIED = Facts(block=10, expiration_ms=1_000, solid_block_number=10, solid_block_time_ms=1_001)


def op(state: State = State.RECORDED) -> Operation:
    return Operation(
        id=__import__("tron_staking.domain.ids", fromlist=["OperationId"]).OperationId(
            "op_" + "a" * 22
        ),
        kind=StakingOperationType.FREEZE,
        owner=OWNER,
        intent_key=f"freeze:{OWNER}:ENERGY",
        position_ids=(),
        params={},
        txid=txid("t"),
        expiration_ms=1_000,
        state=state,
        block=10,
        created_at=T0,
        updated_at=T0,
    )


EDGES = [
    (State.RECORDED, "sent", State.BROADCAST),
    (State.RECORDED, "seen_in_block", State.INCLUDED),
    (State.BROADCAST, "seen_in_block", State.INCLUDED),
    (State.INCLUDED, "became_solid", State.SOLIDIFIED),
    (State.INCLUDED, "reorganized", State.BROADCAST),
    (State.RECORDED, "refused", State.REJECTED),
    (State.REJECTED, "seen_in_block", State.INCLUDED),
    (State.RECORDED, "attempt_failed", State.RECORDED),
    (State.BROADCAST, "attempt_failed", State.BROADCAST),
    (State.RECORDED, "proven_expired", State.EXPIRED),
    (State.BROADCAST, "proven_expired", State.EXPIRED),
]


def test_the_table_is_exactly_the_design() -> None:
    table = {(e.source, e.trigger, e.dest) for e in machine.MACHINE.edges}
    assert table == {(s.value, t, d.value) for s, t, d in EDGES}


@pytest.mark.parametrize(
    ("source", "trigger", "dest"), EDGES, ids=[f"{s.value}-{t}" for s, t, _ in EDGES]
)
def test_every_allowed_transition(source: State, trigger: str, dest: State) -> None:
    new_state, record = machine.fire(op(source), trigger, at=T0, reason="r", facts=SATISFIED)
    assert new_state is dest
    assert (record.from_state, record.to_state, record.trigger, record.txid, record.block) == (
        source.value,
        dest.value,
        trigger,
        txid("t"),
        10,
    )
    assert op(source).with_transition(record).state is dest


FORBIDDEN = [
    (s, str(t))
    for s, t in itertools.product(State, Trigger)
    if (s, str(t)) not in {(a, b) for a, b, _ in EDGES}
]


@pytest.mark.parametrize(
    ("state", "trigger"), FORBIDDEN, ids=[f"{s.value}-{t}" for s, t in FORBIDDEN]
)
def test_every_forbidden_trigger_is_rejected(state: State, trigger: str) -> None:
    with pytest.raises(InvalidTransitionError) as info:
        machine.fire(op(state), trigger, at=T0, facts=SATISFIED)
    assert f"operation: trigger {trigger!r} is not allowed in state {state.value!r}" in str(
        info.value
    )


def test_final_states_have_no_way_out() -> None:
    for state in (State.SOLIDIFIED, State.EXPIRED):
        assert machine.allowed_triggers(state) == ()
        with pytest.raises(InvalidTransitionError, match="none: the state is final"):
            machine.fire(op(state), "sent", at=T0)
    # a rejection is final for the planner, but the chain may still show a late inclusion
    assert machine.allowed_triggers(State.REJECTED) == ("seen_in_block",)


def test_refused_only_on_a_first_definitive_answer() -> None:
    ambiguous = Facts(maybe_delivered=True)
    with pytest.raises(engine.GuardRefusedError, match="not bytes may have reached a node"):
        machine.fire(op(State.RECORDED), Trigger.REFUSED, at=T0, facts=ambiguous)
    assert machine.next_state(State.BROADCAST, Trigger.REFUSED, Facts()) is None
    delivered = dataclasses.replace(op(State.RECORDED), maybe_delivered=True)
    assert machine.Facts.of(delivered).maybe_delivered
    # the outcome of a failed re-send is recorded, the state stays
    new_state, record = machine.fire(
        op(State.BROADCAST), Trigger.ATTEMPT_FAILED, at=T0, reason="Transaction expired"
    )
    assert new_state is State.BROADCAST
    assert record.reason == "Transaction expired"


def test_solid_guard() -> None:
    not_yet = Facts(block=10, solid_block_number=9)
    with pytest.raises(engine.GuardRefusedError, match="its block at or below the solid block"):
        machine.fire(op(State.INCLUDED), Trigger.BECAME_SOLID, at=T0, facts=not_yet)
    assert (
        machine.next_state(
            State.INCLUDED, Trigger.BECAME_SOLID, Facts(block=10, solid_block_number=10)
        )
        is State.SOLIDIFIED
    )


@pytest.mark.parametrize(
    ("facts", "proven"),
    [
        (Facts(expiration_ms=1_000, solid_block_time_ms=1_001), True),
        (Facts(expiration_ms=1_000, solid_block_time_ms=1_000), False),  # not past yet
        (Facts(expiration_ms=1_000, solid_block_time_ms=5_000, found_on_chain=True), False),
        (Facts(expiration_ms=1_000), False),  # solid block unknown
    ],
)
def test_expiry_must_be_proven_by_the_solid_block(facts: Facts, proven: bool) -> None:
    result = machine.next_state(State.BROADCAST, Trigger.PROVEN_EXPIRED, facts)
    assert (result is State.EXPIRED) == proven
    if not proven:
        with pytest.raises(engine.GuardRefusedError, match="solid block time past the expiration"):
            machine.fire(op(State.BROADCAST), Trigger.PROVEN_EXPIRED, at=T0, facts=facts)


def test_default_facts_come_from_the_operation() -> None:
    assert machine.Facts.of(op(), solid_block_number=3).block == 10
    with pytest.raises(engine.GuardRefusedError):
        machine.fire(op(State.INCLUDED), Trigger.BECAME_SOLID, at=T0)
