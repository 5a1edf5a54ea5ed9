"""Writes under a lease are fenced by its token: two replicas on one database, one paused
until its lease is taken over; when it resumes, nothing it writes reaches the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.errors import DuplicateKeyError, LeaseLostError, VersionConflictError
from tron_staking.store import names
from tron_staking.store.client import MongoStore
from tron_staking.store.documents import VersionedRepository
from tron_staking.store.fencing import LeaseFence
from tron_staking.store.records import Document, Lease

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OWNER = "TOwnerAddress"
TTL_S = 30


@pytest.fixture
async def replica_b(
    store: MongoStore, mongo_settings: settings.MongoSettings, clock: ManualClock
) -> AsyncIterator[MongoStore]:
    """A second replica: its own client on the same database (and the same clock)."""
    other = MongoStore.connect(mongo_settings, clock)
    try:
        yield other
    finally:
        await other.close()


def _operation(id_: str, intent_key: str, state: str = "recorded") -> dict[str, Any]:
    return {"id": id_, "owner": OWNER, "intent_key": intent_key, "state": state, "txid": id_}


async def _snapshot(store: MongoStore) -> dict[str, list[Document]]:
    """Every document of the collections a reconcile writes, in a comparable order."""
    found: dict[str, list[Document]] = {}
    for name in (names.STAKING_RECORDS, names.STAKING_OPERATIONS, names.STATE_TRANSITIONS):
        cursor = store.database[name].find({}, {"_id": False}).sort([("id", 1), ("seq", 1)])
        found[name] = await cursor.to_list()
    return found


async def test_a_paused_replica_that_lost_its_lease_writes_nothing(
    store: MongoStore, replica_b: MongoStore, clock: ManualClock
) -> None:
    replica_a = store
    lease_a = await replica_a.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    position = await replica_a.positions.insert(
        {"id": "pos_1", "owner": OWNER, "state": "pending"}, lease=lease_a
    )
    untouched = await replica_a.positions.insert(
        {"id": "pos_2", "owner": OWNER, "state": "pending"}, lease=lease_a
    )
    operation = await replica_a.operations.insert(_operation("op_1", "freeze:A"), lease=lease_a)
    await replica_a.transitions.append("pos_1", {"to": "frozen"}, lease=lease_a)
    assert position["fencing_token"] == lease_a.token

    # Replica A pauses; its lease expires and replica B takes the owner over and writes.
    clock.advance(TTL_S + 1)
    lease_b = await replica_b.leases.acquire(OWNER, "replica-b", ttl_s=TTL_S)
    assert lease_b.token > lease_a.token
    await replica_b.positions.update(
        "pos_1", position["version"], {"state": "frozen"}, lease=lease_b
    )
    await replica_b.transitions.append("pos_1", {"to": "voting"}, lease=lease_b)
    before = await _snapshot(replica_a)

    # Replica A resumes with its old lease: every write it attempts fails.
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: replica_a.positions.update(
            "pos_1", position["version"], {"state": "x"}, lease=lease_a
        ),
        lambda: replica_a.positions.update(
            "pos_2", untouched["version"], {"state": "x"}, lease=lease_a
        ),
        lambda: replica_a.positions.replace(
            "pos_2", untouched["version"], untouched, lease=lease_a
        ),
        lambda: replica_a.operations.update(
            "op_1", operation["version"], {"state": "broadcast"}, lease=lease_a
        ),
        lambda: replica_a.operations.insert(_operation("op_2", "delegate:A"), lease=lease_a),
        lambda: replica_a.transitions.append("pos_1", {"to": "delegated"}, lease=lease_a),
    ]
    for attempt in attempts:
        with pytest.raises(LeaseLostError):
            await attempt()

    assert await _snapshot(replica_a) == before
    stored = await replica_b.positions.get("pos_1")
    assert (stored["state"], stored["fencing_token"]) == ("frozen", lease_b.token)


async def test_an_expired_lease_writes_nothing_until_renewed(
    store: MongoStore, clock: ManualClock
) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    clock.advance(TTL_S)

    with pytest.raises(LeaseLostError):
        await store.positions.insert({"id": "pos_1", "owner": OWNER}, lease=lease)
    assert await store.positions.find_one({"id": "pos_1"}) is None

    renewed = await store.leases.renew(lease, ttl_s=TTL_S)
    stored = await store.positions.insert({"id": "pos_1", "owner": OWNER}, lease=renewed)
    assert stored["fencing_token"] == lease.token


async def test_a_released_lease_writes_nothing(store: MongoStore) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    await store.leases.release(lease)

    with pytest.raises(LeaseLostError):
        await store.transitions.append("pos_1", {"to": "frozen"}, lease=lease)
    assert await store.transitions.list("pos_1") == []


async def test_a_document_written_under_a_newer_token_refuses_an_older_one(
    store: MongoStore,
) -> None:
    # Tokens are per owner; a document stamped by owner B's third lease is "newer" than owner
    # A's first, which isolates the per-document check from the lease check.
    for _ in range(3):
        newer = await store.leases.acquire("TOwnerB", "replica-b", ttl_s=TTL_S)
    older = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    document = await store.positions.insert({"id": "pos_1", "owner": "TOwnerB"}, lease=newer)

    with pytest.raises(LeaseLostError, match="newer lease"):
        await store.positions.update("pos_1", document["version"], {"x": 1}, lease=older)
    with pytest.raises(LeaseLostError, match="newer lease"):
        await store.positions.replace("pos_1", document["version"], document, lease=older)
    assert await store.positions.get("pos_1") == document


async def test_spec_edits_without_a_lease_keep_working_and_keep_the_token(
    store: MongoStore,
) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    written = await store.positions.insert(
        {"id": "pos_1", "owner": OWNER, "spec": {"amount_sun": 1}}, lease=lease
    )
    await store.leases.release(lease)

    edited = await store.positions.update("pos_1", written["version"], {"spec.amount_sun": 2})

    assert edited["spec"] == {"amount_sun": 2}
    assert edited["fencing_token"] == lease.token
    with pytest.raises(VersionConflictError):
        await store.positions.update("pos_1", written["version"], {"spec.amount_sun": 3})


async def test_a_position_created_without_a_lease_is_updated_under_one(
    store: MongoStore,
) -> None:
    created = await store.positions.insert({"id": "pos_1", "owner": OWNER, "state": "pending"})
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)

    updated = await store.positions.update(
        "pos_1", created["version"], {"state": "frozen"}, lease=lease
    )

    assert "fencing_token" not in created
    assert (updated["state"], updated["fencing_token"]) == ("frozen", lease.token)


async def test_a_repository_without_a_fence_refuses_a_lease(store: MongoStore) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    unfenced = VersionedRepository(store.database[names.STAKING_RECORDS])

    with pytest.raises(ValueError, match="cannot write under a lease"):
        await unfenced.insert({"id": "pos_1", "owner": OWNER}, lease=lease)
    assert await store.positions.find_one({"id": "pos_1"}) is None


async def test_the_fencing_token_is_not_an_ordinary_field(store: MongoStore) -> None:
    written = await store.positions.insert({"id": "pos_1", "owner": OWNER})

    with pytest.raises(ValueError, match="fencing_token"):
        await store.positions.update("pos_1", written["version"], {"fencing_token": 99})


async def test_one_in_flight_operation_per_intent_key(store: MongoStore) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    first = await store.operations.insert(_operation("op_1", "freeze:A"), lease=lease)

    with pytest.raises(DuplicateKeyError, match="intent_key"):
        await store.operations.insert(_operation("op_2", "freeze:A", "broadcast"), lease=lease)
    await store.operations.update("op_1", first["version"], {"state": "expired"}, lease=lease)
    await store.operations.insert(_operation("op_3", "freeze:A"), lease=lease)

    assert await store.operations.count({"intent_key": "freeze:A"}) == 2


async def test_a_takeover_waits_for_a_fenced_write_in_progress(
    store: MongoStore, replica_b: MongoStore, clock: ManualClock
) -> None:
    lease_a = await store.leases.acquire(OWNER, "replica-a", ttl_s=TTL_S)
    # A fence of replica A's, used directly so that the test can hold its transaction open.
    fence = LeaseFence(store.client, store.database[names.CONTROLLER_LEASES], clock)
    inside = anyio.Event()
    finish = anyio.Event()
    taken: list[Lease] = []

    async def slow_write(session: AsyncClientSession | None) -> None:
        await store.database["staking_records"].insert_one({"id": "pos_1"}, session=session)
        inside.set()
        await finish.wait()

    async def take_over() -> None:
        await inside.wait()
        await replica_b.leases.release(lease_a)  # so that B may take the owner at once
        taken.append(await replica_b.leases.acquire(OWNER, "replica-b", ttl_s=TTL_S))

    async with anyio.create_task_group() as tg:
        tg.start_soon(fence.run, lease_a, "slow write", slow_write)
        tg.start_soon(take_over)
        await inside.wait()
        await anyio.sleep(0.5)
        assert taken == []  # the lease document is locked by the open transaction
        finish.set()

    assert [lease.token for lease in taken] == [lease_a.token + 1]
    assert await store.positions.find_one({"id": "pos_1"}) is not None
