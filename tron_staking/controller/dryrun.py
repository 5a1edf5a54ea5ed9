"""The dry run behind ``GET /positions/{id}/plan``: what the controller would send next for an
owner, from fresh chain state, without sending, recording or writing anything.

Built by the composition root and handed to the API as its ``DryRunPlanner`` port (the API
never imports the controller). It reads as a reconcile does — the owner's active positions, a
head snapshot, the owner's operations, and the solid state when the plan asks to confirm
drift — then returns the plan's actions, reasons to wait and warnings as JSON. It takes no
lease: two dry runs, or a dry run beside a reconcile, change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tron_staking.chain.ports import ChainClient
from tron_staking.controller import ledger, planner, reconciler
from tron_staking.controller.oplog import OperationLog
from tron_staking.domain.addresses import Address
from tron_staking.store.ports import VersionedStore


class DryRun:
    """``await dry_run(owner)`` → ``{"owner", "chain_block", "actions", "waiting_for",
    "warnings", "drift"}`` (contract: api.md, ``/positions/{id}/plan``).

    Raises ChainUnavailableError / RateLimitedError when the chain cannot be read and
    StoreUnavailableError when MongoDB cannot; the API maps them to 503 / 429."""

    def __init__(
        self,
        positions: VersionedStore,
        operations: VersionedStore,
        chain: ChainClient,
        policy: planner.PlannerPolicy,
        rewards: VersionedStore | None = None,
    ) -> None:
        self._positions = positions
        self._operations = OperationLog(operations)
        self._ledger = ledger.SeedLedger(None, None, rewards)
        self._chain = chain
        self._policy = policy

    async def __call__(self, owner: Address) -> Mapping[str, Any]:
        positions = await reconciler.load_active_positions(self._positions, owner)
        receivers = reconciler.receivers_of(positions)
        observed = await self._chain.observe(owner, receivers)
        operations = await self._operations.load(owner, observed.head_block_time_ms)
        plan = await reconciler.plan_confirmed(
            self._chain,
            self._policy,
            positions,
            observed,
            operations,
            receivers,
            claim_requested=await self._ledger.claim_requested(owner),
        )
        return {
            "owner": owner,
            "chain_block": plan.chain_block,
            "actions": [action.to_json() for action in plan.actions],
            "waiting_for": [notice.to_json() for notice in plan.waiting_for],
            "warnings": [notice.to_json() for notice in plan.warnings],
            "drift": [finding.to_json() for finding in plan.drift],
        }
