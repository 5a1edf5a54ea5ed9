"""Operations as the executor stores them, and what happened to them in one reconcile.

Shared by :mod:`~tron_staking.controller.executor` (new transactions) and
:mod:`~tron_staking.controller.inflight` (advancing sent ones). Every write goes through
:class:`OperationLog`, under the owner's lease, as a compare-and-set on ``version``; a write
refused because the lease was lost raises LeaseLostError, which ends the reconcile.
``TxEvent`` is what the loop wrapper counts in ``staking_transactions_total``.

Each stored operation also carries ``effect_pending`` (a field of the store's document, not of
the domain's ``Operation``): True from recording until the reconciler has stored its effect on
every position it names (:meth:`OperationLog.settle`), or until it is known to have none
(expired, or rejected and past its expiration on the solid block). :meth:`OperationLog.load`
returns every operation whose effect is pending whatever its age, through a partial index on
the owner among pending operations, so an operation that landed while no controller applied
it (a crash, a long outage) is applied when one comes back, not forgotten after a day.
Saves are ``$set`` updates of the operation's fields, so they leave the marker as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from tron_staking.domain.enums import OperationState
from tron_staking.domain.ids import OperationId, PositionId
from tron_staking.domain.operation import Operation, RawOperation
from tron_staking.domain.position import Position
from tron_staking.statemachine import operation as operation_machine
from tron_staking.store.ports import VersionedStore
from tron_staking.store.records import Lease

DAY_MS = 86_400_000
"""Final operations are handed to the planner for one day of chain time after they ended."""

EFFECT_PENDING = "effect_pending"
"""The stored field that marks an operation whose effect is not yet recorded everywhere."""

_KEPT_BY_STORE = frozenset({"id", "version", "fencing_token"})


@dataclasses.dataclass(frozen=True)
class TxEvent:
    """One transaction outcome for ``staking_transactions_total{kind,result}``;
    ``duration_s`` (an inclusion only): seconds from recording to the inclusion being seen,
    for ``staking_operation_duration_seconds{kind}``."""

    kind: str
    result: str
    duration_s: float | None = None


class OperationLog:
    """The owner's operations in ``staking_operations`` (see the module docstring)."""

    def __init__(self, operations: VersionedStore) -> None:
        self._operations = operations

    async def load(self, owner: str, chain_time_ms: int) -> list[Operation]:
        """Every non-final operation of ``owner``, every one whose effect is still pending
        (whatever its age), plus those that landed or ended within the last day of chain time
        (the planner's evidence and back-off), oldest first."""
        return (await self.load_marked(owner, chain_time_ms)).operations

    async def load_marked(self, owner: str, chain_time_ms: int) -> Loaded:
        """:meth:`load`, with the ids of the operations whose effect is pending."""
        cutoff = chain_time_ms - DAY_MS
        query: dict[str, Any] = {
            "owner": owner,
            "$or": [
                {EFFECT_PENDING: True},
                {"state": {"$in": [s.value for s in OperationState if not s.final]}},
                {"block_time_ms": {"$gte": cutoff}},
                {"final_at_ms": {"$gte": cutoff}},
            ],
        }
        found: list[Operation] = []
        pending: set[OperationId] = set()
        cursor: str | None = None
        while True:
            page = await self._operations.find(
                query, sort=[("created_at", 1)], limit=200, cursor=cursor
            )
            for raw in page.items:
                operation = Operation.from_storage(cast(RawOperation, raw))
                found.append(operation)
                if raw.get(EFFECT_PENDING) is True:
                    pending.add(operation.id)
            if page.next_cursor is None:
                return Loaded(found, frozenset(pending))
            cursor = page.next_cursor

    async def settle(
        self,
        operations: Sequence[Operation],
        pending: Collection[OperationId],
        positions: Sequence[Position],
        solid_block_time_ms: int,
        lease: Lease,
    ) -> list[Operation]:
        """Clear the pending mark of each operation of ``operations`` (ids in ``pending``)
        whose effect is now stored on every named position that is still active (one of
        ``positions``, as written), or that can have none; the operations cleared (saved)."""
        active = {position.id: position for position in positions}
        settled: list[Operation] = []
        for operation in operations:
            if operation.id not in pending or not _settled(operation, active, solid_block_time_ms):
                continue
            stored = await self._operations.update(
                operation.id, operation.version, {EFFECT_PENDING: False}, lease=lease
            )
            settled.append(Operation.from_storage(cast(RawOperation, stored)))
        return settled

    async def record(self, operation: Operation, lease: Lease) -> Operation:
        """Insert ``operation`` (``recorded``) under ``lease``. Raises DuplicateKeyError when a
        non-final operation of the same intent (or the same txid) exists, LeaseLostError when
        the lease no longer holds."""
        document = _document(operation)
        document[EFFECT_PENDING] = True
        stored = await self._operations.insert(document, lease=lease)
        return Operation.from_storage(cast(RawOperation, stored))

    async def save(self, operation: Operation, lease: Lease) -> Operation:
        """Write ``operation`` over its stored version (compare-and-set) under ``lease``: every
        field of the operation is set; the store's own marks (``effect_pending``) stay."""
        changes = {k: v for k, v in _document(operation).items() if k not in _KEPT_BY_STORE}
        stored = await self._operations.update(
            operation.id, operation.version, changes, lease=lease
        )
        return Operation.from_storage(cast(RawOperation, stored))


@dataclasses.dataclass(frozen=True)
class Loaded:
    """The operations :meth:`OperationLog.load` returns, and which of them have an effect
    that is not yet recorded on their positions."""

    operations: list[Operation]
    pending: frozenset[OperationId]


def _document(operation: Operation) -> dict[str, Any]:
    return dict(operation.for_storage())


def _settled(
    operation: Operation, active: Mapping[PositionId, Position], solid_block_time_ms: int
) -> bool:
    """Whether ``operation``'s effect is recorded on each active position it names, or it can
    have none (expired; rejected with the solid block past its expiration)."""
    if operation.state is OperationState.EXPIRED:
        return True
    if operation.state is OperationState.REJECTED:
        return solid_block_time_ms > operation.expiration_ms
    if not operation.state.landed:
        return False
    named = dict.fromkeys([*operation.position_ids, *operation.position_votes])
    return all(operation.id in active[pid].applied_operations for pid in named if pid in active)


def fire(
    operation: Operation,
    trigger: operation_machine.Trigger,
    at: dt.datetime,
    *,
    reason: str = "",
    facts: operation_machine.Facts | None = None,
) -> Operation:
    """``operation`` after ``trigger`` (the operation machine decides; it raises when the
    trigger is not allowed)."""
    _, record = operation_machine.fire(operation, trigger, at=at, reason=reason, facts=facts)
    return operation.with_transition(record)


def allowed(
    operation: Operation, trigger: operation_machine.Trigger, facts: operation_machine.Facts
) -> bool:
    """Whether ``trigger`` would fire on ``operation`` with ``facts`` (guards included)."""
    return operation_machine.next_state(operation.state, trigger, facts) is not None


def events_of(before: Operation | None, after: Operation) -> Sequence[TxEvent]:
    """The state reached, when it changed (or the operation is new)."""
    if before is not None and before.state is after.state:
        return ()
    duration_s = None
    if after.state is OperationState.INCLUDED and (before is None or not before.state.landed):
        duration_s = max(0.0, (after.updated_at - after.created_at).total_seconds())
    return (TxEvent(after.kind.value, after.state.value, duration_s),)
