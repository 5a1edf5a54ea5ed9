"""The work queue: deduplication, one worker per owner, delays, close."""

from __future__ import annotations

import anyio
import pytest

from tron_staking.controller.workqueue import QueueClosedError, WorkQueue

pytestmark = pytest.mark.anyio


async def test_an_owner_added_twice_is_queued_once() -> None:
    queue = WorkQueue()
    queue.add("TA")
    queue.add("TA")
    queue.add("TB")
    assert len(queue) == 2
    assert {await queue.get(), await queue.get()} == {"TA", "TB"}
    assert len(queue) == 0


async def test_an_owner_in_process_is_not_handed_out_again_until_done() -> None:
    queue = WorkQueue()
    queue.add("TA")
    assert await queue.get() == "TA"
    queue.add("TA")  # a wake-up while a worker reconciles it
    queue.add("TB")
    assert await queue.get() == "TB"
    with anyio.move_on_after(0.05) as scope:
        await queue.get()
    assert scope.cancelled_caught  # TA waits for its worker
    queue.done("TA")
    assert await queue.get() == "TA"  # and is reconciled again: nothing lost


async def test_delayed_owner_becomes_due_later_and_an_earlier_add_wins() -> None:
    queue = WorkQueue()
    queue.add("TA", delay_s=30)
    queue.add("TB", delay_s=0.02)
    started = anyio.current_time()
    assert await queue.get() == "TB"
    assert anyio.current_time() - started >= 0.02
    queue.add("TA")  # due now: earlier than its delay
    assert await queue.get() == "TA"


async def test_a_waiting_worker_wakes_for_new_work() -> None:
    queue = WorkQueue()
    got: list[str] = []

    async def worker() -> None:
        got.append(await queue.get())

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
        await anyio.sleep(0.01)
        queue.add("TA")
    assert got == ["TA"]


async def test_close_stops_waiting_workers_and_ignores_new_work() -> None:
    queue = WorkQueue()
    stopped: list[bool] = []

    async def worker() -> None:
        try:
            await queue.get()
        except QueueClosedError:
            stopped.append(True)

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
        tg.start_soon(worker)
        await anyio.sleep(0.01)
        queue.close()
    assert stopped == [True, True]
    queue.add("TA")
    assert len(queue) == 0
    assert queue.closed
