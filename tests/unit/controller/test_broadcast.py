"""What a node's answer to a send does to an operation (design §5): only a first, definitive
refusal rejects it; once its bytes may be on a node, errors are recorded and it stays."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tron_staking.chain import outcomes
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.controller import broadcast
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingOperationType
from tron_staking.domain.ids import TxId
from tron_staking.domain.operation import Operation

AT = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
CHAIN_TIME_MS = 1_800_000_000_000
TXID = TxId("ab" * 32)


def _operation(
    state: OperationState = OperationState.RECORDED, *, maybe_delivered: bool = False
) -> Operation:
    operation = Operation.new(
        kind=StakingOperationType.FREEZE,
        owner=Address("TK9orAH5a236NkLJ6ns4w3goo8dRFokWdT"),
        intent_key="freeze:TK9orAH5a236NkLJ6ns4w3goo8dRFokWdT:ENERGY",
        position_ids=(),
        params={"frozen_balance": 1, "resource": "ENERGY"},
        txid=TXID,
        expiration_ms=CHAIN_TIME_MS + 60_000,
        at=AT,
    )
    return dataclasses.replace(operation, state=state, maybe_delivered=maybe_delivered)


def _apply(operation: Operation, outcome: BroadcastOutcome) -> Operation:
    return broadcast.apply_outcome(operation, outcome, at=AT, chain_time_ms=CHAIN_TIME_MS)


def test_accepted_is_broadcast() -> None:
    sent = _apply(_operation(), outcomes.Accepted(TXID))
    assert sent.state is OperationState.BROADCAST
    assert not sent.maybe_delivered


def test_duplicate_is_broadcast_and_may_be_delivered() -> None:
    sent = _apply(_operation(), outcomes.Duplicate(TXID, "dup"))
    assert sent.state is OperationState.BROADCAST
    assert sent.maybe_delivered


def test_a_first_definitive_refusal_rejects_with_the_reason_and_chain_time() -> None:
    refused = _apply(
        _operation(), outcomes.Rejected(TXID, "CONTRACT_VALIDATE_ERROR", "balance is not enough")
    )
    assert refused.state is OperationState.REJECTED
    assert refused.error == "CONTRACT_VALIDATE_ERROR: balance is not enough"
    assert refused.final_at_ms == CHAIN_TIME_MS


@pytest.mark.parametrize(
    ("state", "maybe_delivered"),
    [(OperationState.RECORDED, True), (OperationState.BROADCAST, False)],
)
def test_a_refusal_after_the_bytes_may_have_reached_a_node_is_only_recorded(
    state: OperationState, maybe_delivered: bool
) -> None:
    operation = _operation(state, maybe_delivered=maybe_delivered)
    after = _apply(operation, outcomes.Rejected(TXID, "TRANSACTION_EXPIRATION_ERROR", "expired"))
    assert after.state is state
    assert after.error == "TRANSACTION_EXPIRATION_ERROR: expired"
    assert after.final_at_ms is None


def test_an_ambiguous_failure_marks_the_bytes_as_maybe_delivered() -> None:
    after = _apply(_operation(), outcomes.Transient(TXID, "read timeout", 3.0, ambiguous=True))
    assert after.state is OperationState.RECORDED
    assert after.maybe_delivered
    assert after.error == "read timeout"
    # ... so a later refusal no longer rejects it.
    refused = _apply(after, outcomes.Rejected(TXID, "CONTRACT_VALIDATE_ERROR", "no"))
    assert refused.state is OperationState.RECORDED


def test_a_clear_transient_failure_leaves_a_later_refusal_definitive() -> None:
    after = _apply(_operation(), outcomes.Transient(TXID, "503", 1.0, ambiguous=False))
    assert after.state is OperationState.RECORDED
    assert not after.maybe_delivered
    refused = _apply(after, outcomes.Rejected(TXID, "CONTRACT_VALIDATE_ERROR", "no"))
    assert refused.state is OperationState.REJECTED
