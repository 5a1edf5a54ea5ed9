"""Operations as the executor stores them, and what happened to them in one reconcile.

Shared by :mod:`~tron_staking.controller.executor` (new transactions) and
:mod:`~tron_staking.controller.inflight` (advancing sent ones). Every write goes through
:class:`OperationLog`, under the owner's lease, as a compare-and-set on ``version``; a write
refused because the lease was lost raises LeaseLostError, which ends the reconcile.
``TxEvent`` is what the loop wrapper counts in ``staking_transactions_total``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from tron_staking.domain.enums import OperationState
from tron_staking.domain.operation import Operation, RawOperation
from tron_staking.statemachine import operation as operation_machine
from tron_staking.store.ports import VersionedStore
from tron_staking.store.records import Lease

DAY_MS = 86_400_000
"""Final operations are handed to the planner for one day of chain time after they ended."""


@dataclasses.dataclass(frozen=True)
class TxEvent:
    """One transaction outcome for ``staking_transactions_total{kind,result}``."""

    kind: str
    result: str


class OperationLog:
    """The owner's operations in ``staking_operations`` (see the module docstring)."""

    def __init__(self, operations: VersionedStore) -> None:
        self._operations = operations

    async def load(self, owner: str, chain_time_ms: int) -> list[Operation]:
        """Every non-final operation of ``owner`` plus those that landed or ended within the
        last day of chain time (the planner's evidence and back-off), oldest first."""
        cutoff = chain_time_ms - DAY_MS
        query: dict[str, Any] = {
            "owner": owner,
            "$or": [
                {"state": {"$in": [s.value for s in OperationState if not s.final]}},
                {"block_time_ms": {"$gte": cutoff}},
                {"final_at_ms": {"$gte": cutoff}},
            ],
        }
        found: list[Operation] = []
        cursor: str | None = None
        while True:
            page = await self._operations.find(
                query, sort=[("created_at", 1)], limit=200, cursor=cursor
            )
            found.extend(Operation.from_storage(cast(RawOperation, raw)) for raw in page.items)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    async def record(self, operation: Operation, lease: Lease) -> Operation:
        """Insert ``operation`` (``recorded``) under ``lease``. Raises DuplicateKeyError when a
        non-final operation of the same intent (or the same txid) exists, LeaseLostError when
        the lease no longer holds."""
        stored = await self._operations.insert(_document(operation), lease=lease)
        return Operation.from_storage(cast(RawOperation, stored))

    async def save(self, operation: Operation, lease: Lease) -> Operation:
        """Write ``operation`` over its stored version (compare-and-set) under ``lease``."""
        stored = await self._operations.replace(
            operation.id, operation.version, _document(operation), lease=lease
        )
        return Operation.from_storage(cast(RawOperation, stored))


def _document(operation: Operation) -> dict[str, Any]:
    return dict(operation.for_storage())


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
    return (TxEvent(after.kind.value, after.state.value),)
