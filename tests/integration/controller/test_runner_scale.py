"""The runner's owner scans with a few thousand stored positions, on the real store: the due
poller reads one bounded batch of due positions (by the ``next_reconcile_at`` index, only
their owner) and goes on after it on the next poll; the start-up resync enumerates owners
without reading positions and spreads them, so the due owners are reconciled first.

The reconciler here only records the owners it is handed: what is under test is which owners
the loop finds, in which order, and with which queries — not reconciling."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import anyio
import pytest

from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.cache.null import NullCache
from tron_staking.controller import runner as runner_module
from tron_staking.controller.reconciler import Outcome, Reconciler, ReconcileResult
from tron_staking.controller.runner import Runner, RunnerSettings
from tron_staking.domain.addresses import Address
from tron_staking.observability.metrics import Metrics
from tron_staking.store import documents, names
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OWNERS = 400
PER_OWNER = 5
DUE_OWNERS = 12
WAIT_S = 120.0
STORE_TIMEOUT_S = 300.0
"""SecantusDB takes a while to drop thousands of documents on a loaded machine."""


class RecordingReconciler:
    """Records the owners handed to it; nothing left to watch afterwards."""

    holder = "replica-scale"

    def __init__(self) -> None:
        self.owners: list[str] = []

    async def reconcile(self, owner: Address) -> ReconcileResult:
        self.owners.append(str(owner))
        return ReconcileResult(owner, Outcome.SUCCESS, None)


def _owner(index: int) -> str:
    return f"T{index:05d}"


def _due_owners() -> list[str]:
    # Not the first owner in order: the resync queues that one at once.
    return [_owner(OWNERS - 1 - 7 * i) for i in range(DUE_OWNERS)]


async def _fill(store: MongoStore, clock: ManualClock) -> None:
    """OWNERS owners with PER_OWNER positions each; one position of each due owner is due
    (in the past, oldest first by owner list), every other not before an hour; one in ten
    positions withdrawn (no next_reconcile_at)."""
    now = clock.now()
    due = {owner: i for i, owner in enumerate(_due_owners())}
    rows: list[dict[str, Any]] = []
    for o in range(OWNERS):
        owner = _owner(o)
        for p in range(PER_OWNER):
            n = o * PER_OWNER + p
            withdrawn = n % 10 == 9
            if p == 0 and owner in due:
                next_at: dt.datetime | None = now - dt.timedelta(minutes=60 - due[owner])
            elif withdrawn:
                next_at = None
            else:
                next_at = now + dt.timedelta(hours=1, seconds=n)
            rows.append(
                {
                    "id": f"pos_{n:06d}",
                    "owner": owner,
                    "state": "withdrawn" if withdrawn else "frozen",
                    "amount_sun": 1_000_000,
                    "created_at": now - dt.timedelta(seconds=n),
                    "next_reconcile_at": next_at,
                    "version": 1,
                }
            )
    collection = store.database[names.STAKING_RECORDS]
    for start in range(0, len(rows), 1000):
        await collection.insert_many(rows[start : start + 1000])


@pytest.fixture(scope="module")
def scale_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
async def filled(mongo_url: str, scale_clock: ManualClock) -> AsyncIterator[MongoStore]:
    """One database filled once for the module (no test here writes a position)."""
    env = {
        "MONGODB_URL": mongo_url,
        "STAKING_MONGO_DATABASE": f"test_{uuid.uuid4().hex[:16]}",
        "STAKING_MONGO_TIMEOUT_S": str(STORE_TIMEOUT_S),
    }
    mongo = settings.load(env).mongo
    store = MongoStore.connect(mongo, scale_clock)
    try:
        await store.ensure_indexes()
        await _fill(store, scale_clock)
        yield store
    finally:
        await store.client.drop_database(mongo.database)
        await store.close()


def _stages(explained: dict[str, Any]) -> list[str]:
    stages: list[str] = []
    node: dict[str, Any] | None = explained["queryPlanner"]["winningPlan"]
    while node:
        stages.append(
            str(node.get("stage")) + (":" + node["indexName"] if "indexName" in node else "")
        )
        node = node.get("inputStage")
    return stages


def _runner(
    store: MongoStore, clock: ManualClock, recorder: RecordingReconciler, **kw: Any
) -> Runner:
    loop = RunnerSettings(**kw)
    return Runner(cast(Reconciler, recorder), store.positions, NullCache(), Metrics(), clock, loop)


async def test_the_due_poller_reads_due_positions_by_their_index_and_only_their_owner(
    filled: MongoStore, scale_clock: ManualClock
) -> None:
    store, clock = filled, scale_clock
    collection = store.database[names.STAKING_RECORDS]
    filter_ = runner_module.due_filter(clock.now())
    spec = documents._normalize_sort(runner_module.DUE_SORT)

    first = await collection.find(filter_).sort(spec).limit(10).explain()
    assert "IXSCAN:next_reconcile_at_id" in _stages(first)
    assert "COLLSCAN" not in _stages(first)
    page = await store.positions.find(
        filter_, sort=runner_module.DUE_SORT, limit=5, fields=["owner"]
    )
    assert page.next_cursor is not None
    assert {frozenset(item) for item in page.items} == {
        frozenset({"id", "owner", "next_reconcile_at"})
    }
    values = documents.decode_cursor(page.next_cursor, spec)
    after = documents._from(filter_, spec, values)
    following = await collection.find(after).sort(spec).limit(10).explain()
    assert "IXSCAN:next_reconcile_at_id" in _stages(following)
    assert "COLLSCAN" not in _stages(following)


async def test_the_due_poller_queues_only_due_owners_in_bounded_batches_that_go_on(
    filled: MongoStore, scale_clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, clock = filled, scale_clock
    monkeypatch.setattr(runner_module, "DUE_BATCH", 5)
    runner = _runner(store, clock, RecordingReconciler())
    due = _due_owners()  # oldest due first

    batches: list[list[str]] = []
    for _ in range(4):
        await runner._queue_due()
        batch: list[str] = []
        while len(runner.queue):
            owner = await runner.queue.get()
            runner.queue.done(owner)
            batch.append(owner)
        batches.append(sorted(batch))

    assert batches == [sorted(due[0:5]), sorted(due[5:10]), sorted(due[10:12]), sorted(due[0:5])]


async def test_the_resync_spreads_every_active_owner_and_the_due_ones_come_first(
    filled: MongoStore, scale_clock: ManualClock
) -> None:
    store, clock = filled, scale_clock
    recorder = RecordingReconciler()
    # The resync spreads 400 owners over half of 10 hours: one every 45 s, the first at once.
    runner = _runner(
        store, clock, recorder, workers=4, poll_interval_s=0.05, resync_interval_s=36_000
    )
    due = set(_due_owners())

    async with anyio.create_task_group() as tg:
        await tg.start(runner.run)
        with anyio.fail_after(WAIT_S):
            while True:
                recorded = set(recorder.owners)
                # The due owners reconciled, and the resync's owners queued behind them.
                if due <= recorded and len(runner.queue) + len(recorded) >= OWNERS:
                    break
                await anyio.sleep(0.05)
        runner.stop()

    # Only the due owners (and the first owner of the resync, queued at once) were reconciled:
    # the other owners (each has an active position) wait for their turn in the resync.
    assert set(recorder.owners) <= due | {_owner(0)}
