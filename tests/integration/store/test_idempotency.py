"""Idempotency keys: the first response wins, another request under the same key conflicts."""

from __future__ import annotations

import pytest

from tests.support.clock import ManualClock
from tron_staking.errors import ConflictError
from tron_staking.store.client import MongoStore
from tron_staking.store.records import StoredResponse

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

FIRST = StoredResponse(status_code=201, body='{"id":"pos_1"}', headers=(("location", "/p/1"),))
SECOND = StoredResponse(status_code=201, body='{"id":"pos_2"}')


async def test_a_new_key_is_absent(store: MongoStore) -> None:
    assert await store.idempotency.lookup("key-1", "alice", "hash-a") is None


async def test_the_first_response_is_kept_and_replayed(store: MongoStore) -> None:
    assert await store.idempotency.put_if_absent("key-1", "alice", "hash-a", FIRST) == FIRST

    assert await store.idempotency.put_if_absent("key-1", "alice", "hash-a", SECOND) == FIRST
    assert await store.idempotency.lookup("key-1", "alice", "hash-a") == FIRST


async def test_the_same_key_with_another_request_conflicts(store: MongoStore) -> None:
    await store.idempotency.put_if_absent("key-1", "alice", "hash-a", FIRST)

    with pytest.raises(ConflictError):
        await store.idempotency.lookup("key-1", "alice", "hash-b")
    with pytest.raises(ConflictError):
        await store.idempotency.put_if_absent("key-1", "alice", "hash-b", SECOND)


async def test_keys_are_scoped_by_subject(store: MongoStore) -> None:
    await store.idempotency.put_if_absent("key-1", "alice", "hash-a", FIRST)

    assert await store.idempotency.lookup("key-1", "bob", "hash-b") is None
    assert await store.idempotency.put_if_absent("key-1", "bob", "hash-b", SECOND) == SECOND


async def test_a_key_older_than_a_day_no_longer_counts(
    store: MongoStore, clock: ManualClock
) -> None:
    await store.idempotency.put_if_absent("key-1", "alice", "hash-a", FIRST)
    clock.advance(86_400 + 1)

    assert await store.idempotency.lookup("key-1", "alice", "hash-b") is None
    assert await store.idempotency.put_if_absent("key-1", "alice", "hash-b", SECOND) == SECOND
