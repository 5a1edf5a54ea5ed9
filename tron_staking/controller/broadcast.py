"""One attempt to send an operation's signed bytes, and what its answer does to the operation.

Called by the executor for a first send and by :mod:`~tron_staking.controller.inflight` for a
re-send of the same bytes (design §5). Before the bytes leave, the operation is saved (under
the lease, which fences the send) with its signatures and ``maybe_delivered``: if the process
dies or the answer is lost before the answer is saved, the stored operation already says the
bytes may be on a node, so no later rejection can be taken as its death. The answer then moves
the in-memory operation — as it was before the send, so a definitive refusal of a first send
still rejects it — through the operation machine; the caller saves it:

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
from tron_staking.store.records import Lease

Trigger = operation_machine.Trigger


async def send(
    chain: ChainClient,
    operations: oplog.OperationLog,
    lease: Lease,
    operation: Operation,
    signed: SignedTransaction,
    *,
    at: dt.datetime,
    chain_time_ms: int,
) -> Operation:
    """Broadcast ``signed`` (the bytes of ``operation``) once and return the operation as the
    answer leaves it (with its signatures), not yet saved over the pre-send record.

    Raises LeaseLostError (nothing sent) when ``lease`` is no longer held, and the store's
    transient errors (nothing sent) when the pre-send record cannot be written.
    """
    current = operation
    if tuple(current.signatures) != signed.signatures:
        current = current.with_signatures(signed.signatures, at=at)
    marked = await operations.save(current.with_maybe_delivered(at=at), lease)
    outcome = await chain.broadcast(signed)
    return apply_outcome(
        current.with_version(marked.version), outcome, at=at, chain_time_ms=chain_time_ms
    )


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
