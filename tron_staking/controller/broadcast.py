"""One attempt to send an operation's signed bytes, and what its answer does to the operation.

Called by the executor for a first send and by :mod:`~tron_staking.controller.inflight` for a
re-send of the same bytes (design §5). The answer moves the operation through the operation
machine; nothing here writes to the store:

* ``Accepted`` → ``broadcast``;
* ``Duplicate`` → the node already knows the txid: ``broadcast``, ``maybe_delivered`` (the
  next look-up finds its receipt);
* ``Rejected`` → ``rejected`` with java-tron's decoded reason only when the operation is
  ``recorded`` and no earlier attempt was ambiguous (the machine's ``refused`` guard);
  otherwise the error is recorded on the operation and its state stays;
* ``Transient`` → the error is recorded; an ambiguous one marks ``maybe_delivered``.
"""

from __future__ import annotations

import datetime as dt

from tron_staking.chain import outcomes
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.ports import ChainClient
from tron_staking.chain.transactions import SignedTransaction
from tron_staking.controller import oplog
from tron_staking.domain.enums import OperationState
from tron_staking.domain.operation import Operation
from tron_staking.statemachine import operation as operation_machine
from tron_staking.store.ports import LeaseStore
from tron_staking.store.records import Lease

Trigger = operation_machine.Trigger


async def send(
    chain: ChainClient,
    leases: LeaseStore,
    lease: Lease,
    operation: Operation,
    signed: SignedTransaction,
    *,
    at: dt.datetime,
    chain_time_ms: int,
) -> Operation:
    """Broadcast ``signed`` (the bytes of ``operation``) once and return the operation as the
    answer leaves it (with its signatures), unsaved.

    Raises LeaseLostError (nothing sent) when ``lease`` is no longer held: a broadcast is not
    a store write, so the lease is checked right before it.
    """
    await leases.ensure_held(lease)
    outcome = await chain.broadcast(signed)
    current = operation
    if tuple(current.signatures) != signed.signatures:
        current = current.with_signatures(signed.signatures, at=at)
    return apply_outcome(current, outcome, at=at, chain_time_ms=chain_time_ms)


def apply_outcome(
    operation: Operation, outcome: BroadcastOutcome, *, at: dt.datetime, chain_time_ms: int
) -> Operation:
    """``operation`` after the node's ``outcome`` (see the module docstring)."""
    match outcome:
        case outcomes.Accepted():
            return _sent(operation, at)
        case outcomes.Duplicate():
            return _sent(operation.with_maybe_delivered(at=at), at)
        case outcomes.Rejected(code=code, message=message):
            reason = f"{code}: {message}" if message else code
            refused = oplog.allowed(operation, Trigger.REFUSED, _facts(operation))
            with_error = operation.with_error(reason, at=at)
            if refused:
                rejected = oplog.fire(with_error, Trigger.REFUSED, at, reason=reason)
                return rejected.with_final_at(chain_time_ms, at=at)
            return oplog.fire(with_error, Trigger.ATTEMPT_FAILED, at, reason=reason)
        case outcomes.Transient(reason=reason, ambiguous=ambiguous):
            current = operation.with_error(reason, at=at)
            if ambiguous:
                current = current.with_maybe_delivered(at=at)
            return oplog.fire(current, Trigger.ATTEMPT_FAILED, at, reason=reason)


def _sent(operation: Operation, at: dt.datetime) -> Operation:
    if operation.state is OperationState.RECORDED:
        return oplog.fire(operation, Trigger.SENT, at)
    return operation


def _facts(operation: Operation) -> operation_machine.Facts:
    return operation_machine.Facts.of(operation)
