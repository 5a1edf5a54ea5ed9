"""The work queue with many owners: handed out in due order, each once, whatever earlier adds
and busy owners left behind."""

from __future__ import annotations

import pytest

from tron_staking.controller.workqueue import WorkQueue

pytestmark = pytest.mark.anyio


async def test_owners_come_out_in_due_order_once_each_after_many_earlier_adds() -> None:
    queue = WorkQueue()
    owners = [f"T{n:04d}" for n in range(500)]
    for n, owner in enumerate(owners):
        queue.add(owner, delay_s=0.3 + (n % 7) * 1e-3)
    for owner in owners[::3]:
        queue.add(owner)  # moved earlier: its older entry must not count

    handed = [await queue.get() for _ in owners]

    assert sorted(handed) == owners
    assert handed[: len(owners[::3])] == owners[::3]
    assert len(queue) == 0


async def test_a_busy_owner_is_passed_over_and_kept_for_later() -> None:
    queue = WorkQueue()
    queue.add("TA")
    assert await queue.get() == "TA"
    queue.add("TA")  # due first, but a worker still has it
    queue.add("TB")

    assert await queue.get() == "TB"
    queue.done("TA")
    assert await queue.get() == "TA"
    assert len(queue) == 0
