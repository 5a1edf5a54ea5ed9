"""The controller loop of one replica: one anyio task group around the work queue.

:class:`Runner` runs, until :meth:`Runner.stop` or cancellation:

* ``workers`` workers (``STAKING_WORKERS``) taking owners from the
  :class:`~tron_staking.controller.workqueue.WorkQueue` — deduplicated, one worker per owner —
  and reconciling them; each result requeues the owner after its ``requeue_after_s`` (errors
  back off exponentially);
* a poller that queues the owners whose ``next_reconcile_at`` is due
  (``STAKING_POLL_INTERVAL_S``): each poll reads one bounded batch of due positions (the
  ``next_reconcile_at`` index, only their ``owner``), the next poll going on after the last
  one read until a short batch starts the sweep over — so however many positions are stored,
  a poll costs one small query and every due owner is reached;
* a slow resync that queues every owner with an active position
  (``STAKING_RESYNC_INTERVAL_S``; also once at start-up): drift detection. The owners come
  from one ``distinct`` (no position is read) and are spread over half a resync period, so
  the owners the poller finds due are reconciled first and the work starts at once;
* a listener for wake-ups on Redis pub/sub (the API publishes one on every spec change); with
  no Redis the wake-ups of an API in the same process (``serve --role all``) arrive through
  the stand-in cache, and a controller in its own process finds the work by the poller, a
  little later;
* a refresh of the store-wide figures (``staking_positions{state}``,
  ``staking_active_records``, ``staking_total_trx_staked``) from the positions collection
  every ``totals_interval_s``: every replica reports the same totals, whatever owners it
  reconciled.

The lease of each owner is taken, renewed and released by the reconciler, under this
replica's id. The metrics are updated here — the loop wrapper — and nowhere in the business
logic. :meth:`stop` closes the queue: workers finish the reconcile they are in and return,
which is how SIGTERM drains (the pipeline is crash-safe, so cancelling instead is safe too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
import structlog

from tron_staking.cache.ports import Cache
from tron_staking.chain.transport import RequestCounter
from tron_staking.controller.reconciler import Outcome, Reconciler, ReconcileResult
from tron_staking.controller.workqueue import QueueClosedError, WorkQueue
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingStatusType
from tron_staking.errors import TransientError
from tron_staking.observability.metrics import Metrics
from tron_staking.store.ports import Clock, VersionedStore

_log = structlog.get_logger(__name__)

MAX_ERROR_BACKOFF_S = 300.0
_TOTALS_PAGE = 5000
DUE_BATCH = 1000
"""At most this many due positions are read per poll."""
RESYNC_SPREAD = 0.5
"""The start-up and periodic resyncs spread their owners over this share of the period."""
_INCLUSION_COUNTERS = {
    StakingOperationType.FREEZE.value: "freezes_total",
    StakingOperationType.UNFREEZE.value: "unfreezes_total",
    StakingOperationType.CLAIM_REWARDS.value: "rewards_claimed_total",
}

SUN_PER_TRX = 1_000_000
_STAKED_STATES = (
    StakingStatusType.FROZEN.value,
    StakingStatusType.VOTING.value,
    StakingStatusType.DELEGATED.value,
)

_CHAIN_OUTCOMES = {"ok": "ok", "rate_limited": "transient", "unavailable": "transient"}
"""The transport's outcomes as the contract's labels; anything else (ambiguous) is an error."""


DUE_SORT = (("next_reconcile_at", 1),)
"""The due poller's order: the ``next_reconcile_at`` index (then ``id``)."""


def due_filter(now: dt.datetime) -> dict[str, Any]:
    """The positions the due poller looks for: ``next_reconcile_at`` has come (a terminal
    position has none, so it never matches)."""
    return {"next_reconcile_at": {"$lte": now}}


@dataclasses.dataclass(frozen=True)
class RunnerSettings:
    """The loop's tunables (from ``ControllerSettings``)."""

    workers: int = 4
    poll_interval_s: float = 1.0
    resync_interval_s: float = 300.0
    totals_interval_s: float = 15.0


class Runner:
    """One replica's controller loop (see the module docstring)."""

    def __init__(
        self,
        reconciler: Reconciler,
        positions: VersionedStore,
        cache: Cache,
        metrics: Metrics,
        clock: Clock,
        settings: RunnerSettings | None = None,
        *,
        chain_requests: RequestCounter | None = None,
    ) -> None:
        self._reconciler = reconciler
        self._positions = positions
        self._cache = cache
        self._metrics = metrics
        self._clock = clock
        self._settings = settings or RunnerSettings()
        self.queue = WorkQueue()
        self._failures: dict[str, int] = {}
        self._totals_at: float | None = None
        self._working = 0
        self._chain_requests = chain_requests
        self._chain_counted: dict[tuple[str, str], int] = {}
        self._due_cursor: str | None = None
        self.last_reconcile_at: float | None = None

    @property
    def replica_id(self) -> str:
        return self._reconciler.holder

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Run until :meth:`stop` drains the workers (or the caller cancels); started (for
        ``TaskGroup.start``) once every task runs."""
        _log.info("controller starting", replica_id=self.replica_id, workers=self._settings.workers)
        async with anyio.create_task_group() as outer:
            helpers = anyio.CancelScope()
            outer.start_soon(self._helpers, helpers)
            async with anyio.create_task_group() as workers:
                for _ in range(self._settings.workers):
                    workers.start_soon(self._worker)
                task_status.started()
            helpers.cancel()  # every worker returned: the queue was closed
        _log.info("controller stopped", replica_id=self.replica_id)

    def stop(self) -> None:
        """Stop taking work; workers finish their current reconcile, then :meth:`run` returns."""
        self.queue.close()

    async def _helpers(self, scope: anyio.CancelScope) -> None:
        with scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._every, self._settings.poll_interval_s, self._queue_due)
                tg.start_soon(self._every, self._settings.resync_interval_s, self._queue_active)
                tg.start_soon(self._every, self._settings.totals_interval_s, self.refresh_totals)
                tg.start_soon(self._listen)

    # -- finding work ---------------------------------------------------------------------------

    async def _every(self, period_s: float, step: Callable[[], Awaitable[None]]) -> None:
        while not self.queue.closed:
            try:
                await step()
            except TransientError as exc:
                _log.warning("controller poll failed", error=str(exc))
            await anyio.sleep(period_s)

    async def _queue_due(self) -> None:
        """Queue the owners of the next batch of positions whose ``next_reconcile_at`` has
        come, oldest due first, going on after the batch of the previous poll (a position
        that stays due, its owner failing or leased elsewhere, cannot hide the others)."""
        page = await self._positions.find(
            due_filter(self._clock.now()),
            sort=DUE_SORT,
            limit=DUE_BATCH,
            cursor=self._due_cursor,
            fields=["owner"],
        )
        self._due_cursor = page.next_cursor
        for raw in page.items:
            self.queue.add(str(raw["owner"]))
        self._metrics.workqueue_depth.set(len(self.queue))

    async def _queue_active(self) -> None:
        """Queue every owner with a position that is not withdrawn, spread over
        ``RESYNC_SPREAD`` of the resync period (the first at once)."""
        owners = sorted(
            str(owner)
            for owner in await self._positions.distinct(
                "owner", {"state": {"$ne": StakingStatusType.WITHDRAWN.value}}
            )
        )
        if owners:
            step_s = self._settings.resync_interval_s * RESYNC_SPREAD / len(owners)
            for index, owner in enumerate(owners):
                self.queue.add(owner, delay_s=index * step_s)
        self._metrics.workqueue_depth.set(len(self.queue))

    async def _listen(self) -> None:
        async with self._cache.subscribe_wake() as wakes:
            async for owner in wakes:
                self.queue.add(owner)
                self._metrics.workqueue_depth.set(len(self.queue))

    # -- doing work -----------------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            try:
                owner = await self.queue.get()
            except QueueClosedError:
                return
            self._working += 1
            self._metrics.leases_held.set(self._working)
            try:
                result = await self._reconcile(owner)
            finally:
                self._working -= 1
                self._metrics.leases_held.set(self._working)
                self.queue.done(owner)
            self._requeue(result)
            self._metrics.workqueue_depth.set(len(self.queue))
            await self._refresh_totals_after_work()

    async def reconcile_once(self, owner: Address) -> ReconcileResult:
        """One reconcile of ``owner`` with its metrics, as a worker does it (not requeued)."""
        return await self._reconcile(owner)

    async def refresh_totals(self) -> None:
        """Set the store-wide gauges from the positions collection: positions by state, those
        not withdrawn, and the TRX staked by frozen, voting and delegated positions."""
        for state in StakingStatusType:
            count = await self._positions.count({"state": state.value})
            self._metrics.positions.labels(state=state.value).set(count)
        self._metrics.active_records.set(
            await self._positions.count({"state": {"$ne": StakingStatusType.WITHDRAWN.value}})
        )
        staked_sun = 0
        cursor: str | None = None
        while True:
            page = await self._positions.find(
                {"state": {"$in": list(_STAKED_STATES)}},
                limit=_TOTALS_PAGE,
                cursor=cursor,
                fields=["amount_sun"],
            )
            staked_sun += sum(int(raw["amount_sun"]) for raw in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        self._metrics.total_trx_staked.set(staked_sun / SUN_PER_TRX)

    async def _refresh_totals_after_work(self) -> None:
        """:meth:`refresh_totals` after a reconcile, at most once per ``totals_interval_s``
        (the periodic refresh covers a replica with no work)."""
        now = time.monotonic()
        if self._totals_at is not None and now - self._totals_at < self._settings.totals_interval_s:
            return
        self._totals_at = now
        try:
            await self.refresh_totals()
        except TransientError as exc:
            _log.warning("totals not refreshed", error=str(exc))

    async def _reconcile(self, owner: str) -> ReconcileResult:
        started = time.perf_counter()
        try:
            result = await self._reconciler.reconcile(Address(owner))
        except Exception as exc:
            # A defect in one owner's reconcile must not stop the others: it is logged and
            # retried with back-off like any error.
            _log.exception("reconcile crashed", owner=owner)
            result = ReconcileResult(Address(owner), Outcome.ERROR, 1.0, message=repr(exc))
        self._observe(result, time.perf_counter() - started)
        return result

    def _requeue(self, result: ReconcileResult) -> None:
        owner = result.owner
        if result.outcome is Outcome.ERROR:
            failures = self._failures.get(owner, 0) + 1
            self._failures[owner] = failures
            delay = min(
                max(result.requeue_after_s or 1.0, 2.0 ** (failures - 1)), MAX_ERROR_BACKOFF_S
            )
            self.queue.add(owner, delay_s=delay)
            return
        self._failures.pop(owner, None)
        if result.requeue_after_s is not None:
            self.queue.add(owner, delay_s=result.requeue_after_s)

    def _observe(self, result: ReconcileResult, duration_s: float) -> None:
        """Every metric a reconcile moves (the loop wrapper's job)."""
        m = self._metrics
        self.last_reconcile_at = time.time()
        m.reconcile_total.labels(result=result.outcome.value).inc()
        m.reconcile_duration_seconds.observe(duration_s)
        for event in result.events:
            m.transactions_total.labels(kind=event.kind, result=event.result).inc()
            if event.duration_s is not None:
                m.operation_duration_seconds.labels(kind=event.kind).observe(event.duration_s)
            counter = _INCLUSION_COUNTERS.get(event.kind)
            if counter is not None and event.result == "included":
                getattr(m, counter).inc()
        if result.drift_findings:
            m.drift_detected_total.inc(result.drift_findings)
        if result.head_lag_blocks is not None:
            m.chain_head_lag_blocks.set(result.head_lag_blocks)
        for seconds in result.convergence_s:
            m.position_convergence_seconds.observe(seconds)
        self._count_chain_requests()

    def _count_chain_requests(self) -> None:
        """Move ``staking_chain_requests_total`` by what the chain client counted since."""
        if self._chain_requests is None:
            return
        for (endpoint, outcome), count in self._chain_requests.snapshot().items():
            added = count - self._chain_counted.get((endpoint, outcome), 0)
            if added > 0:
                label = _CHAIN_OUTCOMES.get(outcome, "error")
                self._metrics.chain_requests_total.labels(endpoint=endpoint, outcome=label).inc(
                    added
                )
            self._chain_counted[(endpoint, outcome)] = count
