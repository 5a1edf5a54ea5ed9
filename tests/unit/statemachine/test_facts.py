"""Facts taken from the records, and the history entries ``fire`` writes."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tests.unit.controller.builders import T0, W1, position, spec, txid, wv
from tests.unit.statemachine.test_operation_machine import op
from tron_staking.domain.enums import OperationState, StakingStatusType
from tron_staking.domain.history import TransitionRecord
from tron_staking.statemachine import operation
from tron_staking.statemachine import position as position_machine


def test_operation_facts_of_every_field() -> None:
    record = dataclasses.replace(op(), maybe_delivered=True)
    assert operation.Facts.of(record) == operation.Facts(
        block=10,
        expiration_ms=1_000,
        solid_block_number=None,
        solid_block_time_ms=None,
        found_on_chain=False,
        maybe_delivered=True,
    )
    assert operation.Facts.of(
        record, solid_block_number=7, solid_block_time_ms=8, found_on_chain=True
    ) == operation.Facts(
        block=10,
        expiration_ms=1_000,
        solid_block_number=7,
        solid_block_time_ms=8,
        found_on_chain=True,
        maybe_delivered=True,
    )
    assert operation.Facts.of(op()).maybe_delivered is False


def test_position_facts_of_every_field() -> None:
    cast = position("p", spec(10), votes_cast=[wv(W1, 10)], unfreeze_expire_time_ms=99)
    assert position_machine.Facts.of(cast) == position_machine.Facts(
        votes_cast=True,
        unstake_requested=False,
        freeze_in_flight=False,
        chain_time_ms=None,
        unfreeze_expire_time_ms=99,
    )
    unstaking = position("p", spec(10), unstake=True)
    assert position_machine.Facts.of(
        unstaking, chain_time_ms=5, freeze_in_flight=True
    ) == position_machine.Facts(
        votes_cast=False,
        unstake_requested=True,
        freeze_in_flight=True,
        chain_time_ms=5,
        unfreeze_expire_time_ms=None,
    )


def test_operation_history_entry() -> None:
    at = T0 + dt.timedelta(seconds=3)
    record = op(OperationState.RECORDED)
    new_state, entry = operation.fire(record, operation.Trigger.SENT, at=at)
    assert new_state is OperationState.BROADCAST
    assert entry == TransitionRecord(
        machine="operation",
        subject_id=record.id,
        from_state="recorded",
        to_state="broadcast",
        trigger="sent",
        reason="",
        at=at,
        txid=txid("t"),
        block=10,
    )


def test_position_history_entry() -> None:
    at = T0 + dt.timedelta(seconds=3)
    record = position("p", spec(10), generation=4)
    new_state, entry = position_machine.fire(record, "freeze_included", at=at)
    assert new_state is StakingStatusType.FROZEN
    assert entry == TransitionRecord(
        machine="position",
        subject_id=record.id,
        from_state="pending",
        to_state="frozen",
        trigger="freeze_included",
        reason="",
        at=at,
        txid=None,
        block=None,
        generation=4,
    )
