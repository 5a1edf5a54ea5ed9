"""Contract of the versioned repository against a real MongoDB-protocol server."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from tron_staking.errors import (
    ConflictError,
    DuplicateKeyError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from tron_staking.store.client import MongoStore

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_insert_gives_version_one_and_get_reads_it_back(store: MongoStore) -> None:
    stored = await store.positions.insert({"id": "pos_1", "owner": "TA", "state": "pending"})

    assert stored == {"id": "pos_1", "owner": "TA", "state": "pending", "version": 1}
    assert await store.positions.get("pos_1") == stored


async def test_get_of_a_missing_id_raises_not_found(store: MongoStore) -> None:
    with pytest.raises(NotFoundError):
        await store.positions.get("pos_missing")


async def test_insert_of_an_existing_id_raises_duplicate_key(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1"})

    with pytest.raises(DuplicateKeyError) as caught:
        await store.positions.insert({"id": "pos_1"})
    assert isinstance(caught.value, ConflictError)


async def test_update_is_a_compare_and_set_on_version(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1", "state": "pending", "status": {"n": 0}})

    first = await store.positions.update("pos_1", 1, {"state": "frozen", "status.n": 1})
    assert first["version"] == 2
    assert first["state"] == "frozen"
    assert first["status"] == {"n": 1}

    with pytest.raises(VersionConflictError, match="version 2, not 1"):
        await store.positions.update("pos_1", 1, {"state": "voting"})
    assert (await store.positions.get("pos_1"))["state"] == "frozen"


async def test_update_of_a_missing_id_raises_not_found(store: MongoStore) -> None:
    with pytest.raises(NotFoundError):
        await store.positions.update("pos_missing", 1, {"state": "frozen"})


async def test_update_refuses_to_touch_id_or_version(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1"})

    with pytest.raises(ValueError, match="version"):
        await store.positions.update("pos_1", 1, {"version": 7})


async def test_replace_is_a_compare_and_set_on_version(store: MongoStore) -> None:
    await store.operations.insert({"id": "op_1", "state": "recorded"})

    replaced = await store.operations.replace("op_1", 1, {"state": "broadcast"})
    assert replaced == {"id": "op_1", "state": "broadcast", "version": 2}
    assert await store.operations.get("op_1") == replaced

    with pytest.raises(VersionConflictError):
        await store.operations.replace("op_1", 1, {"state": "included"})
    with pytest.raises(NotFoundError):
        await store.operations.replace("op_missing", 1, {"state": "included"})


async def test_concurrent_writers_of_one_version_cannot_both_win(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1", "state": "pending"})
    await store.positions.update("pos_1", 1, {"state": "frozen"})

    with pytest.raises(VersionConflictError):
        await store.positions.update("pos_1", 1, {"state": "withdrawn"})
    assert (await store.positions.get("pos_1"))["version"] == 2


async def test_find_pages_through_every_match_once_in_sort_order(store: MongoStore) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number in range(11):
        await store.positions.insert(
            {
                "id": f"pos_{number:02d}",
                "owner": "TA" if number % 2 else "TB",
                "created_at": start + dt.timedelta(minutes=number // 3),
            }
        )

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await store.positions.find(
            {"owner": "TA"}, sort=[("created_at", -1)], limit=2, cursor=cursor
        )
        pages += 1
        seen.extend(item["id"] for item in page.items)
        assert all("_id" not in item for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    expected = sorted(
        (f"pos_{n:02d}" for n in range(11) if n % 2),
        key=lambda id_: (-(int(id_[4:]) // 3), id_),
    )
    assert seen == expected
    assert pages == 3
    assert await store.positions.count({"owner": "TA"}) == 5


async def test_find_refuses_a_cursor_it_did_not_issue(store: MongoStore) -> None:
    for number in range(3):
        await store.positions.insert({"id": f"pos_{number}", "owner": "TA"})
    page = await store.positions.find(sort=[("owner", 1)], limit=1)
    assert page.next_cursor is not None

    with pytest.raises(ValidationError) as caught:
        await store.positions.find(limit=1, cursor="not-a-cursor")
    assert caught.value.field == "cursor"
    with pytest.raises(ValidationError):
        await store.positions.find(sort=[("state", 1)], limit=1, cursor=page.next_cursor)


async def test_a_crafted_cursor_cannot_inject_query_operators(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1", "owner": "TA"})
    sort = [("owner", 1), ("id", 1)]
    payload = json.dumps({"s": [list(pair) for pair in sort], "v": [{"$ne": None}, "pos_0"]})
    crafted = base64.urlsafe_b64encode(payload.encode()).decode()

    with pytest.raises(ValidationError):
        await store.positions.find(sort=[("owner", 1)], cursor=crafted)
