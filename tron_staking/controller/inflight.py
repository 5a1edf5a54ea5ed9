"""Advancing an owner's sent operations, once per reconcile, before the planner runs.

Called by the reconciler right after it observed the owner (so every operation in a block at
or below the snapshot's head is known as included when the planner runs). For each operation
that is not final (design §5):

* ``gettransactioninfobyid`` with a block number → ``included`` (block, time and fee
  recorded); the position transition fires through the planner's evidence on this plan;
* ``included`` and its block at or below the solid block → looked up on the solid node;
  found there → ``solidified``;
* ``included`` but its receipt gone → ``broadcast`` again (``reorganized``) — only after a
  second look at a later head also misses it, and never while the solid node has it, so one
  answer of a lagging or empty node changes nothing;
* ``recorded``/``broadcast`` and not found → **the same signed bytes** are sent again while
  the head is before the expiration (an operation recorded but never signed is signed now:
  the txid does not depend on the signature);
* ``recorded``/``broadcast``, the **solid block's time past the expiration** and the txid
  absent at the head and on the solid node, at two different solid heights → ``expired``.
  Only then may the planner build a replacement; additive kinds are never rebuilt before;
* ``rejected`` and the solid block not yet past its expiration → looked up, and
  ``included`` if its receipt appears (a refusal is an answer of one node, not a proof).

The second-look memory is this object's (one per replica); losing it (a restart) only delays
a decision by one reconcile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import structlog

from tron_staking.chain.ports import ChainClient, Inclusion
from tron_staking.chain.transactions import SignedTransaction, TxKind, UnsignedTransaction
from tron_staking.controller import broadcast, oplog
from tron_staking.controller.chaos import Chaos, CrashPoint
from tron_staking.controller.oplog import OperationLog, TxEvent
from tron_staking.domain.enums import OperationState
from tron_staking.domain.ids import OperationId
from tron_staking.domain.operation import Operation
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import SigningKeyError
from tron_staking.signer.ports import Signer
from tron_staking.statemachine import operation as operation_machine
from tron_staking.store.records import Lease

Trigger = operation_machine.Trigger
_log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True)
class Advance:
    """The owner's operations after advancing (same order), and the state changes made."""

    operations: tuple[Operation, ...]
    events: tuple[TxEvent, ...]


class InFlight:
    """Moves sent operations forward (see the module docstring)."""

    def __init__(
        self,
        chain: ChainClient,
        signer: Signer,
        operations: OperationLog,
        chaos: Chaos | None = None,
    ) -> None:
        self._chaos = chaos or Chaos()
        self._chain = chain
        self._signer = signer
        self._operations = operations
        self._first_miss: dict[tuple[str, OperationId], int] = {}

    async def advance(
        self,
        operations: Sequence[Operation],
        observed: AccountSnapshot,
        lease: Lease,
        *,
        at: dt.datetime,
        may_send: bool,
    ) -> Advance:
        """Advance every non-final operation of ``operations`` against ``observed`` and save
        those that changed under ``lease``. ``may_send`` False (no signing key) skips
        re-sends. Raises LeaseLostError when the lease is lost (stop), transient errors of
        the chain or the store (retry the reconcile; nothing is lost)."""
        result: list[Operation] = []
        events: list[TxEvent] = []
        for operation in operations:
            if operation.state.final and not _may_still_land(operation, observed):
                result.append(operation)
                continue
            current = await self._step(operation, observed, lease, at=at, may_send=may_send)
            if current != operation:
                current = await self._operations.save(current, lease)
                events.extend(oplog.events_of(operation, current))
                if current.state is OperationState.INCLUDED:
                    self._chaos.reached(CrashPoint.AFTER_INCLUDE)
            if current.state.final:
                self._forget(current.id)
            result.append(current)
        return Advance(tuple(result), tuple(events))

    async def _step(
        self,
        operation: Operation,
        observed: AccountSnapshot,
        lease: Lease,
        *,
        at: dt.datetime,
        may_send: bool,
    ) -> Operation:
        info = await self._chain.transaction_info(operation.txid)
        if info is not None:
            self._forget(operation.id)
            return await self._landed(operation, info, observed, at)
        if operation.state is OperationState.REJECTED:
            return operation  # looked at for a late inclusion only
        if operation.state is OperationState.INCLUDED:
            return await self._receipt_missing(operation, observed, at)
        if observed.solid_block_time_ms > operation.expiration_ms:
            return await self._maybe_expired(operation, observed, at)
        if may_send and observed.head_block_time_ms < operation.expiration_ms:
            return await self._resend(operation, lease, at, observed.head_block_time_ms)
        return operation

    async def _landed(
        self, operation: Operation, info: Inclusion, observed: AccountSnapshot, at: dt.datetime
    ) -> Operation:
        current = operation
        if current.state is not OperationState.INCLUDED or current.block != info.block_number:
            current = current.with_inclusion(
                block=info.block_number,
                block_time_ms=info.block_time_ms,
                fee_sun=info.fee_sun,
                at=at,
            )
        if current.state is not OperationState.INCLUDED:
            current = oplog.fire(current, Trigger.SEEN_IN_BLOCK, at, reason="receipt found")
            _log.info("operation included", operation_id=current.id, txid=current.txid)
        return await self._solidify(current, observed, at)

    async def _solidify(
        self, operation: Operation, observed: AccountSnapshot, at: dt.datetime
    ) -> Operation:
        if operation.block is None or operation.block > observed.solid_block_number:
            return operation
        solid = await self._chain.solid_transaction_info(operation.txid)
        if solid is None or solid.block_number != operation.block:
            return operation
        facts = operation_machine.Facts.of(
            operation, solid_block_number=observed.solid_block_number, found_on_chain=True
        )
        return oplog.fire(operation, Trigger.BECAME_SOLID, at, reason="final", facts=facts)

    async def _receipt_missing(
        self, operation: Operation, observed: AccountSnapshot, at: dt.datetime
    ) -> Operation:
        """An included operation whose receipt the head does not show: a reorg, or a read
        fault. The solid node settles it when the block is old enough; otherwise only a
        second miss at a later head sends it back to ``broadcast``."""
        block = operation.block
        if block is not None and block <= observed.solid_block_number:
            solid = await self._chain.solid_transaction_info(operation.txid)
            if solid is not None:
                return await self._landed(operation, solid, observed, at)
        if block is not None and observed.head_block_number < block:
            return operation  # the node is behind the operation's block: no evidence
        if not self._missed_twice("reorg", operation.id, observed.head_block_number):
            return operation
        _log.warning("receipt gone: reorganized", operation_id=operation.id, txid=operation.txid)
        moved = oplog.fire(operation, Trigger.REORGANIZED, at, reason="receipt gone in a reorg")
        return dataclasses.replace(moved, block=None, block_time_ms=None)

    async def _maybe_expired(
        self, operation: Operation, observed: AccountSnapshot, at: dt.datetime
    ) -> Operation:
        solid = await self._chain.solid_transaction_info(operation.txid)
        if solid is not None:
            return await self._landed(operation, solid, observed, at)
        facts = operation_machine.Facts.of(
            operation, solid_block_time_ms=observed.solid_block_time_ms, found_on_chain=False
        )
        if not oplog.allowed(operation, Trigger.PROVEN_EXPIRED, facts):
            return operation
        if not self._missed_twice("expiry", operation.id, observed.solid_block_number):
            return operation
        _log.info("operation expired", operation_id=operation.id, txid=operation.txid)
        expired = oplog.fire(
            operation,
            Trigger.PROVEN_EXPIRED,
            at,
            reason="the solid block is past the expiration and the txid is absent",
            facts=facts,
        )
        return expired.with_final_at(observed.head_block_time_ms, at=at)

    async def _resend(
        self, operation: Operation, lease: Lease, at: dt.datetime, chain_time_ms: int
    ) -> Operation:
        signed = await self._signed(operation)
        if signed is None:
            return operation
        sent = await broadcast.send(
            self._chain,
            self._operations,
            lease,
            operation,
            signed,
            at=at,
            chain_time_ms=chain_time_ms,
        )
        _log.info("operation re-sent", operation_id=sent.id, txid=sent.txid, error=sent.error)
        return sent

    async def _signed(self, operation: Operation) -> SignedTransaction | None:
        """The operation's signed bytes as recorded (signed now if it never was); None when
        its record is unusable or its key is missing (it then waits for the expiry proof)."""
        if operation.raw_data is None:
            return None
        try:
            unsigned = UnsignedTransaction.restore(
                owner=operation.owner,
                kind=TxKind.of(operation.kind),
                txid=operation.txid,
                raw_data=operation.raw_data,
            )
        except ValueError as exc:
            _log.error("recorded transaction unusable", operation_id=operation.id, error=str(exc))
            return None
        if operation.signatures:
            return SignedTransaction(unsigned, tuple(operation.signatures))
        try:
            return await self._chain.sign(unsigned, self._signer)
        except SigningKeyError as exc:
            _log.warning("operation not signed", operation_id=operation.id, error=str(exc))
            return None

    def _missed_twice(self, look: str, operation_id: OperationId, height: int) -> bool:
        """Remember the first miss at ``height``; True once a miss at a greater height follows."""
        key = (look, operation_id)
        first = self._first_miss.setdefault(key, height)
        return height > first

    def _forget(self, operation_id: OperationId) -> None:
        for look in ("reorg", "expiry"):
            self._first_miss.pop((look, operation_id), None)


def _may_still_land(operation: Operation, observed: AccountSnapshot) -> bool:
    """A rejected operation is looked up until the solid block is past its expiration: a
    refusal can be wrong (a node that refused may not be the only one that saw the bytes),
    and the operation machine takes a late ``seen_in_block`` from ``rejected``."""
    return (
        operation.state is OperationState.REJECTED
        and observed.solid_block_time_ms <= operation.expiration_ms
    )
