"""The store's queries for large collections, on a real server: pages that read only the
fields asked for, next pages that the sort's index serves (ties on the first sort field
included), distinct owners, the listing indexes, and a position's first history entry in one
write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tron_staking.store import documents, names
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _stages(explained: dict[str, Any]) -> list[str]:
    stages: list[str] = []
    node: dict[str, Any] | None = explained["queryPlanner"]["winningPlan"]
    while node:
        name = str(node.get("stage"))
        stages.append(name + (":" + node["indexName"] if "indexName" in node else ""))
        node = node.get("inputStage")
    return stages


async def _positions(store: MongoStore, count: int, *, ties: int = 1) -> None:
    """``count`` positions over 5 owners and 2 states; ``ties`` share each created_at."""
    rows = [
        {
            "id": f"pos_{n:04d}",
            "owner": f"TO{n % 5}",
            "state": "frozen" if n % 2 else "pending",
            "resource": "ENERGY",
            "amount_sun": n,
            "created_at": T0 + dt.timedelta(seconds=n // ties),
            "version": 1,
        }
        for n in range(count)
    ]
    await store.database[names.STAKING_RECORDS].insert_many(rows)


async def _walk(store: MongoStore, filter_: dict[str, Any], sort: Any, limit: int) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await store.positions.find(filter_, sort=sort, limit=limit, cursor=cursor)
        seen.extend(str(item["id"]) for item in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def test_pages_carry_only_the_fields_asked_for_and_what_the_cursor_needs(
    store: MongoStore,
) -> None:
    await _positions(store, 7)

    page = await store.positions.find(
        {"owner": "TO1"}, sort=[("created_at", 1)], limit=1, fields=["amount_sun"]
    )

    assert [dict(item) for item in page.items] == [
        {"id": "pos_0001", "amount_sun": 1, "created_at": T0 + dt.timedelta(seconds=1)}
    ]
    assert page.next_cursor is not None
    following = await store.positions.find(
        {"owner": "TO1"},
        sort=[("created_at", 1)],
        limit=1,
        cursor=page.next_cursor,
        fields=["amount_sun"],
    )
    assert [dict(item) for item in following.items] == [
        {"id": "pos_0006", "amount_sun": 6, "created_at": T0 + dt.timedelta(seconds=6)}
    ]


@pytest.mark.parametrize("direction", [1, -1])
async def test_paging_through_many_ties_on_the_first_sort_field_loses_and_repeats_nothing(
    store: MongoStore, direction: int
) -> None:
    # 100 positions per created_at: more ties than one page plus its allowance.
    await _positions(store, 300, ties=100)

    seen = await _walk(store, {}, [("created_at", direction)], limit=7)

    expected = sorted(
        (f"pos_{n:04d}" for n in range(300)),
        key=lambda pid: (direction * (int(pid[4:]) // 100), pid),
    )
    assert seen == expected


async def test_paging_with_a_condition_on_the_first_sort_field_keeps_it(store: MongoStore) -> None:
    await _positions(store, 40, ties=3)
    until = T0 + dt.timedelta(seconds=9)

    seen = await _walk(store, {"created_at": {"$lte": until}}, [("created_at", 1)], limit=4)

    assert seen == [f"pos_{n:04d}" for n in range(30)]


async def test_distinct_owners_of_active_positions(store: MongoStore) -> None:
    await _positions(store, 20)
    await store.positions.insert({"id": "pos_gone", "owner": "TGONE", "state": "withdrawn"})

    owners = await store.positions.distinct("owner", {"state": {"$ne": "withdrawn"}})

    assert sorted(owners) == [f"TO{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("filter_", "index"),
    [
        ({}, "created_at"),
        ({"owner": "TO1"}, "owner_"),
        ({"owner": {"$in": ["TO1", "TO2"]}}, "owner_created_at"),
        ({"owner": "TO1", "state": "frozen"}, "owner_"),
        ({"state": "frozen"}, "state_created_at"),
    ],
)
async def test_every_listing_of_positions_and_its_next_pages_use_an_index(
    store: MongoStore, filter_: dict[str, Any], index: str
) -> None:
    await _positions(store, 60)
    collection = store.database[names.STAKING_RECORDS]
    spec = documents._normalize_sort([("created_at", 1)])
    page = await store.positions.find(filter_, sort=[("created_at", 1)], limit=3)
    assert page.next_cursor is not None
    following = documents._from(filter_, spec, documents.decode_cursor(page.next_cursor, spec))

    # The next pages of one filter at a time (several owners, or owner and state, are
    # served from an index on their first page only by SecantusDB's planner).
    queries = [filter_, following] if len(filter_) <= 1 and "$in" not in str(filter_) else [filter_]
    for query in queries:
        stages = _stages(await collection.find(query).sort(spec).limit(4).explain())
        assert "COLLSCAN" not in stages, (query, stages)
        assert any(stage.startswith("IXSCAN:" + index) for stage in stages), (query, stages)


async def test_a_positions_operations_are_found_by_index(store: MongoStore) -> None:
    operations = store.database[names.STAKING_OPERATIONS]
    await operations.insert_many(
        [
            {"id": f"op_{n}", "position_ids": [f"pos_{n % 7}"], "created_at": T0, "version": 1}
            for n in range(30)
        ]
    )

    query = {"position_ids": {"$in": ["pos_3"]}}
    stages = _stages(await operations.find(query).sort([("created_at", 1), ("id", 1)]).explain())

    assert "IXSCAN:position_ids_created_at" in stages
    page = await store.operations.find(query, sort=[("created_at", 1)], fields=["kind"])
    assert [item["id"] for item in page.items] == ["op_10", "op_17", "op_24", "op_3"]


async def test_a_first_history_entry_is_seq_one_and_a_taken_one_goes_after(
    store: MongoStore,
) -> None:
    first = await store.transitions.append("pos_new", {"trigger": "spec_declared"}, first=True)
    await store.transitions.append("pos_old", {"trigger": "spec_declared"})
    again = await store.transitions.append("pos_old", {"trigger": "spec_changed"}, first=True)

    assert first["seq"] == 1
    assert again["seq"] == 2
    history = await store.transitions.list("pos_old")
    assert [(e["seq"], e["trigger"]) for e in history] == [
        (1, "spec_declared"),
        (2, "spec_changed"),
    ]
