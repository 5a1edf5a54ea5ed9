"""The append-only transition log on a real server."""

from __future__ import annotations

import anyio
import pytest

from tests.support.clock import ManualClock
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_entries_get_increasing_seq_per_position(
    store: MongoStore, clock: ManualClock
) -> None:
    first = await store.transitions.append("pos_1", {"from": "pending", "to": "frozen"})
    clock.advance(5)
    second = await store.transitions.append("pos_1", {"from": "frozen", "to": "voting"})
    other = await store.transitions.append("pos_2", {"from": "pending", "to": "withdrawn"})

    assert (first["seq"], second["seq"], other["seq"]) == (1, 2, 1)
    assert first["at"] < second["at"]
    history = await store.transitions.list("pos_1")
    assert [(e["seq"], e["to"]) for e in history] == [(1, "frozen"), (2, "voting")]
    assert all("_id" not in entry for entry in history)
    assert await store.transitions.list("pos_1", after_seq=1) == [second]


async def test_concurrent_appends_take_distinct_consecutive_seqs(store: MongoStore) -> None:
    async def append(number: int) -> None:
        await store.transitions.append("pos_1", {"trigger": f"t{number}"})

    async with anyio.create_task_group() as tg:
        for number in range(6):
            tg.start_soon(append, number)

    history = await store.transitions.list("pos_1")
    assert [entry["seq"] for entry in history] == [1, 2, 3, 4, 5, 6]
    assert {entry["trigger"] for entry in history} == {f"t{n}" for n in range(6)}


async def test_an_entry_cannot_choose_its_own_seq(store: MongoStore) -> None:
    entry = await store.transitions.append("pos_1", {"seq": 99, "to": "frozen"})

    assert entry["seq"] == 1
