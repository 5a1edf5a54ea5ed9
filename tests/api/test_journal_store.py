"""The watch journal against the real store: a journal longer than one read (recorded once per
change, streamed past its first thousand entries) and replicas appending out of order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import anyio
import pytest

from tests.unit.controller import builders as b
from tron_staking.api import events, journal
from tron_staking.api.journal import Journal
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType
from tron_staking.domain.position import Position
from tron_staking.store import names
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

SEEDED = 1000
T1 = b.T0 + dt.timedelta(minutes=1)
T2 = b.T0 + dt.timedelta(minutes=2)
T3 = b.T0 + dt.timedelta(minutes=3)


async def stalled_position(store: MongoStore) -> Position:
    position = b.position("journal", b.spec()).with_conditions(
        (ConditionUpdate.true(ConditionType.STALLED, "Blocked", "waiting"),), at=b.T0
    )
    await store.positions.insert(dict(position.for_storage()))
    return position


async def seed(store: MongoStore, position_id: str, count: int) -> None:
    """``count`` earlier operation updates of another subject, stored in one round trip."""
    rows = [
        {"position_id": journal.journal_id(position_id), "seq": seq, "kind": "operation",
         "subject": "op_old", "key": f"k{seq % 2}", "data": {"seq": seq}, "at": b.T0}
        for seq in range(1, count + 1)
    ]  # fmt: skip
    await store.database[names.STATE_TRANSITIONS].insert_many(rows)


async def first_events(
    store: MongoStore, position: Position, cursor: events.Cursor, count: int
) -> list[dict[str, str]]:
    async def positions() -> Sequence[Position]:
        return [position]

    found = []
    stream = events.stream(store, Journal(store), positions, cursor, 0.01)
    with anyio.fail_after(30):
        async for event in stream:
            found.append(event)
            if len(found) == count:
                break
    await stream.aclose()  # type: ignore[attr-defined]
    return found


async def test_a_journal_past_its_first_thousand_entries_records_each_change_once(
    store: MongoStore,
) -> None:
    position = await stalled_position(store)
    await seed(store, position.id, SEEDED)
    conditions = len(position.conditions)
    assert conditions >= 1
    recorder = Journal(store)
    # This process looks three times, another replica (a fresh journal) in between.
    for look in (recorder, Journal(store), recorder):
        await look.record(position.id)
        count = await store.database[names.STATE_TRANSITIONS].count_documents(
            {"position_id": journal.journal_id(position.id)}
        )
        assert count == SEEDED + conditions
    stored = await Journal(store).entries(position.id)  # the whole journal, past one page
    assert len(stored) == SEEDED + conditions
    added = stored[SEEDED:]
    assert [e["seq"] for e in added] == list(range(SEEDED + 1, SEEDED + conditions + 1))
    assert {e["subject"] for e in added} == {c.type.value for c in position.conditions}
    # A stream resuming after entry 1000 gets every later entry.
    sent = await first_events(store, position, {position.id: {"t": 0, "j": SEEDED}}, conditions)
    assert [e["event"] for e in sent] == ["condition"] * conditions
    assert {events.decode(e["id"])[position.id]["j"] for e in sent[-1:]} == {SEEDED + conditions}


def operation(version: int, state: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": "op_0000000000000000000042", "kind": "freeze", "owner": b.OWNER,
        "intent_key": "freeze", "position_ids": [b.pid("journal")], "params": {},
        "reason": "freeze", "txid": "ab" * 32, "expiration_ms": 0, "state": state,
        "block": None, "fee_sun": None, "error": None, "created_at": b.T0, "updated_at": at,
        "version": version, **fields,
    }  # fmt: skip


async def test_a_slower_replica_never_appends_an_older_operation_state(store: MongoStore) -> None:
    position = await stalled_position(store)
    stored = await store.operations.insert(operation(1, "recorded", b.T0))
    await store.operations.update(stored["id"], 1, {"state": "broadcast", "updated_at": T1})
    first = Journal(store)
    await first.record(position.id)
    # A faster replica saw the operation included (version 3) and appended it; this replica
    # still reads it broadcast (version 2), the state it saw before.
    included = journal.operation_change(operation(3, "included", T2, block=9, fee_sun=0))
    await store.transitions.append(journal.journal_id(position.id), included.for_storage())
    for look in (first, Journal(store)):
        await look.record(position.id)
    states = [
        e["data"]["state"]
        for e in await Journal(store).entries(position.id)
        if e["kind"] == "operation"
    ]
    assert states == ["broadcast", "included"]


async def test_readers_drop_an_older_state_a_replica_appended_late(store: MongoStore) -> None:
    position = await stalled_position(store)
    key = journal.journal_id(position.id)
    appended = [
        journal.operation_change(operation(1, "recorded", b.T0)),
        journal.operation_change(operation(3, "included", T2, block=9, fee_sun=0)),
        journal.operation_change(operation(2, "broadcast", T1)),  # a slower replica, late
        journal.operation_change(operation(3, "included", T2, block=9, fee_sun=0)),
        journal.operation_change(operation(4, "broadcast", T3)),  # a reorg took it out
    ]
    ready = {"type": "Ready", "status": "True"}
    appended += [
        journal.Change("condition", "Ready", "true", ready, T2),
        journal.Change("condition", "Ready", "false", {**ready, "status": "False"}, T1),  # late
    ]
    for change in appended:
        await store.transitions.append(key, change.for_storage())
    kept = journal.significant(await Journal(store).entries(position.id))
    assert [(e["kind"], e["data"].get("state") or e["data"]["status"]) for e in kept] == [
        ("operation", "recorded"),
        ("operation", "included"),
        ("operation", "broadcast"),
        ("condition", "True"),
    ]
    assert [e["seq"] for e in kept] == [1, 2, 5, 6]
    sent = await first_events(store, position, {position.id: {"t": 0, "j": 0}}, 4)
    assert [events.decode(e["id"])[position.id]["j"] for e in sent] == [1, 2, 5, 6]
