"""The seed's record collections, fed from landed operations.

The reconciler calls :meth:`SeedLedger.record` with the operations that landed during a
reconcile. Each landed delegate/undelegate becomes one ``resource_delegations`` document,
each vote one ``voting_history`` document, each reward claim one ``staking_rewards``
document, keyed by the operation id (so recording twice is harmless: the second insert is
refused by the unique id and ignored). Written under the owner's lease. A repository that is
not configured is skipped.

It also keeps the one-shot claim requests the API stores in ``staking_rewards`` (``POST
/claim-rewards``: ``{"id": "claimreq_<owner>", "kind": "claim_request", "requested_at"}``):
:meth:`SeedLedger.claim_requested` tells the planner whether one is open, and a reward claim
that lands after the request marks it fulfilled (``fulfilled_at``, ``fulfilled_by``). A new
request moves ``requested_at`` past ``fulfilled_at`` and opens it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from tron_staking.domain.claim_requests import claim_request_id
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

    async def claim_requested(self, owner: str) -> bool:
        """Whether ``owner`` has an open one-shot claim request."""
        request = await self._claim_request(owner)
        return request is not None and _is_open(request)

    async def fulfil_claims(self, landed: Sequence[Operation], lease: Lease) -> None:
        """Mark the owner's open claim request fulfilled by a reward claim in ``landed``
        recorded after it. Raises LeaseLostError / VersionConflictError (a new request raced
        this write: it stays open and the next reconcile looks again)."""
        claims = [
            op
            for op in landed
            if op.kind is StakingOperationType.CLAIM_REWARDS and op.block is not None
        ]
        if not claims:
            return
        request = await self._claim_request(lease.owner)
        if request is None or not _is_open(request) or self._rewards is None:
            return
        claim = claims[-1]
        if _aware(claim.created_at) < _aware(request["requested_at"]):
            return  # recorded before the request: the request wants a claim of its own
        await self._rewards.update(
            str(request["id"]),
            int(request["version"]),
            {"fulfilled_at": claim.updated_at, "fulfilled_by": claim.txid},
            lease=lease,
        )

    async def _claim_request(self, owner: str) -> Mapping[str, Any] | None:
        if self._rewards is None:
            return None
        return await self._rewards.find_one({"id": claim_request_id(owner)})

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


def _is_open(request: Mapping[str, Any]) -> bool:
    fulfilled = request.get("fulfilled_at")
    return fulfilled is None or _aware(request["requested_at"]) > _aware(fulfilled)


def _aware(value: dt.datetime) -> dt.datetime:
    """MongoDB returns naive UTC datetimes; compare them as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
