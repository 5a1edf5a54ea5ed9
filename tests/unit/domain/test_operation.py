"""Operations and history entries: creation, transitions, storage round trips."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.controller.builders import OWNER, T0, W1, pid, txid, wv
from tron_staking.domain.enums import OperationState, StakingOperationType
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.operation import Operation

LATER = T0 + dt.timedelta(seconds=6)


def make() -> Operation:
    return Operation.new(
        kind=StakingOperationType.VOTE,
        owner=OWNER,
        intent_key=f"vote:{OWNER}",
        position_ids=[pid("a"), pid("b")],
        params={"owner_address": OWNER, "votes": [{"vote_address": W1, "vote_count": 3}]},
        position_votes={pid("a"): (wv(W1, 3),), pid("b"): ()},
        txid=txid("t"),
        expiration_ms=1_000,
        at=T0,
        reason="r",
        raw_data={"expiration": 1_000},
        raw_data_hex="0a02",
        fencing_token=7,
    )


def test_new_operation_is_recorded_and_in_flight() -> None:
    op = make()
    assert op.state is OperationState.RECORDED
    assert op.in_flight
    assert op.id.startswith("op_")


def test_transitions_and_details() -> None:
    op = make()
    record = TransitionRecord(
        machine="operation",
        subject_id=op.id,
        from_state="recorded",
        to_state="broadcast",
        trigger="sent",
        reason="",
        at=LATER,
    )
    sent = op.with_transition(record)
    assert sent.state is OperationState.BROADCAST
    assert sent.updated_at == LATER
    with pytest.raises(ValueError, match="does not start"):
        sent.with_transition(record)
    included = sent.with_inclusion(block=5, block_time_ms=15_000, fee_sun=0, at=LATER)
    assert (included.block, included.block_time_ms, included.fee_sun) == (5, 15_000, 0)
    assert included.with_error("boom", at=LATER).error == "boom"
    assert included.with_signatures(["ab"], at=LATER).signatures == ("ab",)


def test_storage_round_trip() -> None:
    op = make().with_inclusion(block=5, block_time_ms=15_000, fee_sun=1, at=LATER).with_version(3)
    raw = op.for_storage()
    assert raw["kind"] == "vote"
    assert raw["txid"] == txid("t")
    assert raw["position_votes"][pid("a")] == [{"witness": W1, "count": 3}]
    assert Operation.from_storage(raw) == op


def test_history_entry_storage() -> None:
    record = TransitionRecord(
        machine="position",
        subject_id=pid("a"),
        from_state="pending",
        to_state="frozen",
        trigger="freeze_included",
        reason="freeze included",
        at=T0,
        txid=txid("t"),
        block=9,
        generation=2,
    )
    raw = record.for_storage()
    assert set(raw) == {"from", "to", "trigger", "reason", "txid", "block", "generation", "at"}
    assert TransitionRecord.from_storage(raw, machine="position", subject_id=pid("a")) == record
