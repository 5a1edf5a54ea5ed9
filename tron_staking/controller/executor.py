"""The executor: the transaction pipeline of design §5 for the actions of one plan.

Called by the reconciler, under the owner's lease, with the plan's actions in order. For each
action:

1. **build** it on the node (the node validates it against its pending state) with the
   expiration computed from the head block's time — the chain adapter does that from the
   ``head`` block passed in, never from the local clock. The head is read again before an
   action when ``HEAD_REFRESH_S`` have passed since the last read: the sends of one plan can
   outlast the expiration window on a loaded machine (on the devnet, whose chain clock moves
   3 s per block, a 60 s window is 20 s of wall time with 1 s blocks), and an action built on
   a stale head would be refused as expired;
2. **record** the operation (``recorded``: txid, raw data, expiration, the lease's fencing
   token, the action's intent key, positions, votes and basis) **before** signing; the
   store's unique index on the intent key among non-final operations refuses a second one;
3. **sign** through the signer port and **broadcast** once
   (:func:`~tron_staking.controller.broadcast.send` says what the answer does);
4. save the operation as the answer left it.

A crash between any two steps is safe: a recorded operation is re-sent (the same bytes) or
proven expired by :mod:`~tron_staking.controller.inflight` on a later reconcile, and nothing
new is built for its intent meanwhile. An action the node refuses to build (its pending state
says it cannot succeed) is not recorded: it is returned as a :class:`BuildRefusal`, which the
reconciler turns into a ``Stalled`` condition on the positions it named.

Errors: LeaseLostError stops the pipeline at once (another replica owns the owner now);
StoreUnavailableError and other transient errors propagate (the reconcile is retried; what was
recorded is safe); a signing failure leaves the operation recorded and unsent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Final

import anyio
import structlog

from tron_staking.chain.ports import ChainClient
from tron_staking.chain.transactions import BlockRef, UnsignedTransaction
from tron_staking.controller import broadcast, oplog
from tron_staking.controller.chaos import Chaos, CrashPoint
from tron_staking.controller.inflight import Advance, InFlight
from tron_staking.controller.oplog import OperationLog, TxEvent
from tron_staking.controller.planner import Action
from tron_staking.domain.addresses import Address
from tron_staking.domain.operation import Operation
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import ChainRejectedError, DuplicateKeyError, SigningKeyError
from tron_staking.signer.ports import Signer
from tron_staking.store.records import Lease

_log = structlog.get_logger(__name__)

HEAD_REFRESH_S: Final = 1.0
"""Wall seconds after which the head is read again before the next action is built."""


@dataclasses.dataclass(frozen=True)
class BuildRefusal:
    """The node refused to build ``action``: java-tron's ``reason``."""

    action: Action
    reason: str


@dataclasses.dataclass(frozen=True)
class Execution:
    """What the executor did with a plan's actions."""

    operations: tuple[Operation, ...]
    refusals: tuple[BuildRefusal, ...]
    events: tuple[TxEvent, ...]


class Executor:
    """Sends planned actions exactly once (see the module docstring)."""

    def __init__(
        self,
        chain: ChainClient,
        signer: Signer,
        operations: OperationLog,
        chaos: Chaos | None = None,
    ) -> None:
        self._chain = chain
        self._signer = signer
        self._operations = operations
        self._chaos = chaos or Chaos()
        self._inflight = InFlight(chain, signer, operations, self._chaos)

    async def advance(
        self,
        operations: Sequence[Operation],
        observed: AccountSnapshot,
        lease: Lease,
        *,
        at: dt.datetime,
        may_send: bool,
    ) -> Advance:
        """Move the sent ``operations`` forward (see :mod:`~tron_staking.controller.inflight`)."""
        return await self._inflight.advance(operations, observed, lease, at=at, may_send=may_send)

    async def execute(
        self, owner: Address, actions: Sequence[Action], lease: Lease, *, at: dt.datetime
    ) -> Execution:
        """Build, record, sign and broadcast each of ``actions`` of ``owner`` in order (see
        the module docstring for errors). ``at`` stamps the records; chain time comes from the
        head block."""
        if not actions:
            return Execution((), (), ())
        head = await self._chain.head()
        read_at = anyio.current_time()
        done: list[Operation] = []
        refusals: list[BuildRefusal] = []
        events: list[TxEvent] = []
        for action in actions:
            if anyio.current_time() - read_at >= HEAD_REFRESH_S:
                head = await self._chain.head()
                read_at = anyio.current_time()
            try:
                unsigned = await self._chain.build(owner, action.kind, action.params, head)
            except ChainRejectedError as exc:
                refusals.append(BuildRefusal(action, str(exc)))
                events.append(TxEvent(action.kind.value, "refused_to_build"))
                _log.info("build refused", intent=action.intent_key, reason=str(exc))
                continue
            operation = await self._record(action, unsigned, lease, at)
            if operation is None:
                continue
            events.append(TxEvent(operation.kind.value, operation.state.value))
            sent = await self._sign_and_send(operation, unsigned, lease, at, head)
            events.extend(oplog.events_of(operation, sent))
            done.append(sent)
        return Execution(tuple(done), tuple(refusals), tuple(events))

    async def _record(
        self, action: Action, unsigned: UnsignedTransaction, lease: Lease, at: dt.datetime
    ) -> Operation | None:
        operation = Operation.new(
            kind=action.kind,
            owner=unsigned.owner,
            intent_key=action.intent_key,
            position_ids=action.position_ids,
            params=action.params,
            position_votes=action.position_votes,
            txid=unsigned.txid,
            expiration_ms=unsigned.expiration_ms,
            at=at,
            reason=action.reason,
            raw_data=unsigned.raw_data,
            raw_data_hex=unsigned.raw_data_hex,
            fencing_token=lease.token,
            basis=action.basis,
        )
        try:
            recorded = await self._operations.record(operation, lease)
        except DuplicateKeyError:
            # A non-final operation of this intent exists (the planner saw an older list):
            # it is the one that may take effect; this one is never sent.
            _log.warning("intent already in flight", intent=action.intent_key)
            return None
        self._chaos.reached(CrashPoint.AFTER_RECORD)
        _log.info(
            "operation recorded",
            operation_id=recorded.id,
            txid=recorded.txid,
            kind=recorded.kind.value,
            position_ids=list(recorded.position_ids),
        )
        return recorded

    async def _sign_and_send(
        self,
        operation: Operation,
        unsigned: UnsignedTransaction,
        lease: Lease,
        at: dt.datetime,
        head: BlockRef,
    ) -> Operation:
        try:
            signed = await self._chain.sign(unsigned, self._signer)
        except SigningKeyError as exc:
            _log.warning("operation not signed", operation_id=operation.id, error=str(exc))
            return await self._operations.save(operation.with_error(str(exc), at=at), lease)
        self._chaos.reached(CrashPoint.AFTER_SIGN)
        sent = await broadcast.send(
            self._chain,
            self._operations,
            lease,
            operation,
            signed,
            at=at,
            chain_time_ms=head.timestamp_ms,
        )
        self._chaos.reached(CrashPoint.AFTER_BROADCAST)
        saved = await self._operations.save(sent, lease)
        _log.info(
            "operation sent",
            operation_id=saved.id,
            txid=saved.txid,
            state=saved.state.value,
            error=saved.error,
        )
        return saved
