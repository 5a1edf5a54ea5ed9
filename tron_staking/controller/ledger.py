"""The seed's record collections, fed from landed operations.

The reconciler calls :meth:`SeedLedger.record` with the operations that landed during a
reconcile. Each landed delegate/undelegate becomes one ``resource_delegations`` document,
each vote one ``voting_history`` document, each reward claim one ``staking_rewards``
document, keyed by the operation id (so recording twice is harmless: the second insert is
refused by the unique id and ignored). Written under the owner's lease. A repository that is
not configured is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.operation import Operation
from tron_staking.errors import DuplicateKeyError
from tron_staking.store.ports import VersionedStore
from tron_staking.store.records import Lease

_DELEGATION_KINDS = (StakingOperationType.DELEGATE, StakingOperationType.UNDELEGATE)


class SeedLedger:
    """Writes the seed's records for landed operations (see the module docstring)."""

    def __init__(
        self,
        delegations: VersionedStore | None,
        votes: VersionedStore | None,
        rewards: VersionedStore | None,
    ) -> None:
        self._delegations = delegations
        self._votes = votes
        self._rewards = rewards

    async def record(self, landed: Sequence[Operation], lease: Lease) -> int:
        """Insert the record of each operation of ``landed`` that has one; the number
        inserted. Raises LeaseLostError when the lease no longer holds."""
        inserted = 0
        for operation in landed:
            target = self._target(operation.kind)
            if target is None or operation.block is None:
                continue
            try:
                await target.insert(_document(operation), lease=lease)
            except DuplicateKeyError:
                continue
            inserted += 1
        return inserted

    def _target(self, kind: StakingOperationType) -> VersionedStore | None:
        if kind in _DELEGATION_KINDS:
            return self._delegations
        if kind is StakingOperationType.VOTE:
            return self._votes
        if kind is StakingOperationType.CLAIM_REWARDS:
            return self._rewards
        return None


def _document(operation: Operation) -> dict[str, Any]:
    """The record of a landed ``operation``: who, what (the contract parameters), where."""
    return {
        "id": operation.id,
        "owner": operation.owner,
        "kind": operation.kind.value,
        "params": dict(operation.params),
        "position_ids": list(operation.position_ids),
        "txid": operation.txid,
        "block": operation.block,
        "block_time_ms": operation.block_time_ms,
        "fee_sun": operation.fee_sun,
        "receiver": operation.params.get("receiver_address"),
        "created_at": operation.updated_at,
    }
