"""A position's write and its transitions in one fenced transaction, on a real server: both
land or neither does — under a failing append (a real server failpoint), a lost lease or a
stale version."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pymongo
import pytest
from pymongo import AsyncMongoClient

from tests.support import servers
from tests.support.clock import ManualClock
from tron_staking.errors import LeaseLostError, PermanentError, VersionConflictError
from tron_staking.store.client import MongoStore
from tron_staking.store.records import Document

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OWNER = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"
ENTRY = {"from": "pending", "to": "frozen", "trigger": "freeze_included"}


def _answers(url: str) -> bool:
    client: pymongo.MongoClient[Document] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
    return True


@pytest.fixture(scope="module")
def failpoint_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SecantusDB of this module with test commands (``configureFailPoint``) enabled."""
    workdir: Path = tmp_path_factory.mktemp("secantus-journal")

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            *("-m", "secantus", "--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(workdir / "data"), "--log-level", "WARNING"),
            "--enable-test-commands",
        ]

    server = servers.ServerProcess(
        "secantus-journal", command, lambda port: f"mongodb://127.0.0.1:{port}", _answers, workdir
    )
    with servers.running(server) as running:
        yield running.url


@pytest.fixture
async def failing_store(failpoint_url: str, clock: ManualClock) -> AsyncIterator[MongoStore]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(failpoint_url, tz_aware=True)
    mongo_store = MongoStore(client, f"test_{uuid.uuid4().hex[:12]}", clock)
    try:
        await mongo_store.ensure_indexes()
        yield mongo_store
    finally:
        await client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        await client.drop_database(mongo_store.database.name)
        await mongo_store.close()


async def _position(store: MongoStore) -> Document:
    return await store.positions.insert({"id": "pos_1", "owner": OWNER, "state": "pending"})


async def test_a_failing_append_rolls_the_position_write_back(failing_store: MongoStore) -> None:
    store = failing_store
    await _position(store)
    lease = await store.leases.acquire(OWNER, "replica-a", 30)
    await store.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": ["insert"], "errorCode": 2},
        }
    )

    with pytest.raises(PermanentError, match="code 2"):
        await store.journal.replace_with_transitions(
            "pos_1", 1, {"owner": OWNER, "state": "frozen"}, [ENTRY], lease=lease
        )

    position = await store.positions.get("pos_1")
    assert (position["version"], position["state"]) == (1, "pending")
    assert "fencing_token" not in position
    assert await store.transitions.list("pos_1") == []

    # The failpoint spent, the same write lands whole.
    written, entries = await store.journal.replace_with_transitions(
        "pos_1", 1, {"owner": OWNER, "state": "frozen"}, [ENTRY], lease=lease
    )
    assert (written["version"], written["state"]) == (2, "frozen")
    history = await store.transitions.list("pos_1")
    assert history == entries
    assert [(e["seq"], e["to"], e["fencing_token"]) for e in history] == [
        (1, "frozen", lease.token)
    ]


async def test_both_writes_land_and_seqs_continue(store: MongoStore) -> None:
    await _position(store)
    await store.transitions.append("pos_1", {"from": "none", "to": "pending"})
    lease = await store.leases.acquire(OWNER, "replica-a", 30)

    written, _ = await store.journal.replace_with_transitions(
        "pos_1",
        1,
        {"owner": OWNER, "state": "voting"},
        [ENTRY, {"from": "frozen", "to": "voting"}],
        lease=lease,
    )

    assert (await store.positions.get("pos_1")) == written
    assert written["fencing_token"] == lease.token
    history = await store.transitions.list("pos_1")
    assert [(e["seq"], e["to"]) for e in history] == [(1, "pending"), (2, "frozen"), (3, "voting")]


async def test_a_stale_version_writes_neither(store: MongoStore) -> None:
    await _position(store)
    lease = await store.leases.acquire(OWNER, "replica-a", 30)

    with pytest.raises(VersionConflictError):
        await store.journal.replace_with_transitions(
            "pos_1", 7, {"owner": OWNER, "state": "frozen"}, [ENTRY], lease=lease
        )

    assert (await store.positions.get("pos_1"))["version"] == 1
    assert await store.transitions.list("pos_1") == []


async def test_a_lost_lease_writes_neither(store: MongoStore, clock: ManualClock) -> None:
    await _position(store)
    stale = await store.leases.acquire(OWNER, "replica-a", 30)
    clock.advance(31)
    await store.leases.acquire(OWNER, "replica-b", 30)

    with pytest.raises(LeaseLostError):
        await store.journal.replace_with_transitions(
            "pos_1", 1, {"owner": OWNER, "state": "frozen"}, [ENTRY], lease=stale
        )

    assert (await store.positions.get("pos_1"))["version"] == 1
    assert await store.transitions.list("pos_1") == []
