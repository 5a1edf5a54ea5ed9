"""The watch streams: declare a position, follow its events until Ready while the store is
driven the way the controller drives it, and resume with Last-Event-ID missing nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import anyio
import httpx
import pytest

from tests.api import harness
from tron_staking.api.journal import Journal
from tron_staking.domain import conditions
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType
from tron_staking.domain.position import Position
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
FOLLOW_TIMEOUT_S = 30.0
Event = tuple[str, str, dict[str, Any]]  # (id, event, data)


async def follow(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    until: Any,
    params: dict[str, str] | None = None,
) -> list[Event]:
    """Events of the stream at ``url`` until ``until(events)`` is true."""
    events: list[Event] = []
    with anyio.fail_after(FOLLOW_TIMEOUT_S):
        async with client.stream("GET", url, headers=headers, params=params) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "event" in fields:
                    events.append((fields["id"], fields["event"], json.loads(fields["data"])))
                    if until(events):
                        return events
                fields = {}
    return events


def ready(events: list[Event]) -> bool:
    """Ready is True and Progressing False: the declaration converged."""
    states = {(data["type"], data["status"]) for _, kind, data in events if kind == "condition"}
    return {("Ready", "True"), ("Progressing", "False")} <= states


async def drive_to_ready(store: MongoStore, position_id: str) -> None:
    """What the controller does: an operation recorded then included, two transitions, the
    position's state and Ready written with compare-and-set."""
    await anyio.sleep(0.5)
    now = dt.datetime.now(dt.UTC)
    document = await store.positions.get(position_id)
    await store.operations.insert(
        {
            "id": "op_0000000000000000000042",
            "kind": "freeze",
            "owner": document["owner"],
            "intent_key": f"freeze:{document['owner']}:ENERGY",
            "position_ids": [position_id],
            "params": {},
            "reason": "freeze for the position",
            "txid": "cd" * 32,
            "expiration_ms": 0,
            "state": "recorded",
            "block": None,
            "fee_sun": None,
            "error": None,
            "created_at": now,
            "updated_at": now,
        }
    )
    await anyio.sleep(0.3)
    later = dt.datetime.now(dt.UTC)
    await store.operations.update(
        "op_0000000000000000000042", 1, {"state": "included", "block": 7, "updated_at": later}
    )
    for from_state, to_state, trigger in (
        ("pending", "frozen", "freeze_included"),
        ("frozen", "voting", "vote_included"),
    ):
        await store.transitions.append(
            position_id,
            {"from": from_state, "to": to_state, "trigger": trigger, "reason": trigger,
             "txid": "cd" * 32, "block": 7, "generation": 1, "at": dt.datetime.now(dt.UTC)},
        )  # fmt: skip
        await anyio.sleep(0.2)
    position = Position.from_storage(await store.positions.get(position_id))  # type: ignore[arg-type]
    at = dt.datetime.now(dt.UTC)
    merged = conditions.apply_updates(
        position.conditions,
        (
            ConditionUpdate.true(ConditionType.READY, "Ready", "final on chain"),
            ConditionUpdate.false(ConditionType.PROGRESSING, "Converged", "nothing to do"),
        ),
        at,
    )
    await store.positions.update(
        position_id,
        position.version,
        {"state": "voting", "conditions": [c.for_storage() for c in merged]},
    )


async def test_follow_a_declaration_to_ready_and_resume_missing_nothing(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    store: MongoStore,
    auth: dict[str, str],
    owner: str,
    witness: str,
) -> None:
    created = await client.post(
        P + "/positions",
        json={"owner": owner, "resource": "ENERGY", "amount_sun": 5_000_000,
              "votes": [{"witness": witness, "weight": 1}]},
        headers=auth,
    )  # fmt: skip
    pid = created.json()["id"]
    url = f"{P}/positions/{pid}/events"
    async with anyio.create_task_group() as tg:
        tg.start_soon(drive_to_ready, store, pid)
        seen = await follow(client, url, auth, ready)
    transitions = [d["trigger"] for _, kind, d in seen if kind == "transition"]
    assert transitions == ["spec_declared", "freeze_included", "vote_included"]
    operations = [(d["id"], d["state"]) for _, kind, d in seen if kind == "operation"]
    assert operations[-1] == ("op_0000000000000000000042", "included")
    assert len(set(operations)) == len(operations)
    assert all(d["position_id"] == pid for _, _, d in seen)
    assert len({event_id for event_id, _, _ in seen}) == len(seen)

    # The operation was seen recorded, then included: each state once, in order.
    assert [state for op_id, state in operations] == ["recorded", "included"]

    resume_after = seen[1]
    resumed = await follow(client, url, {**auth, "Last-Event-ID": resume_after[0]}, ready)
    assert by_kind(resumed) == by_kind(seen[2:])
    assert latest(resumed) == latest(seen)

    everything = await follow(
        client, P + "/events", auth, lambda events: ready(events), {"owner": owner}
    )
    assert by_kind(everything) == by_kind(seen)
    assert latest(everything) == latest(seen)


def latest(events: list[Event]) -> dict[tuple[str, str], dict[str, Any]]:
    """The last state sent of each operation and each condition type, and every transition:
    what a client knows after following the stream."""
    known: dict[tuple[str, str], dict[str, Any]] = {}
    for _, kind, data in events:
        key = {"operation": "id", "condition": "type", "transition": "at"}[kind]
        known[(kind, str(data[key]))] = data
    return known


def by_kind(events: list[Event]) -> dict[str, list[dict[str, Any]]]:
    """Each kind's events in the order sent (the stream keeps that order per kind)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for _, kind, data in events:
        grouped.setdefault(kind, []).append(data)
    return grouped


async def test_malformed_last_event_id_is_422(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    created = await client.post(
        P + "/positions",
        json={"owner": owner, "resource": "ENERGY", "amount_sun": 5_000_000},
        headers=auth,
    )
    url = f"{P}/positions/{created.json()['id']}/events"
    response = await client.get(url, headers={**auth, "Last-Event-ID": "garbage!"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Last-Event-ID"]


async def journaled(store: MongoStore, position_id: str, kind: str, **expected: Any) -> None:
    """Wait until the API's recorder journaled a ``kind`` change whose data has ``expected``
    (nobody is watching: the lifespan's recorder keeps the history)."""
    with anyio.fail_after(FOLLOW_TIMEOUT_S):
        while True:
            for entry in await Journal(store).entries(position_id):
                data = entry["data"]
                if entry["kind"] == kind and all(data.get(k) == v for k, v in expected.items()):
                    return
            await anyio.sleep(0.05)


async def test_resume_replays_every_change_made_while_away(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    store: MongoStore,
    auth: dict[str, str],
    owner: str,
) -> None:
    created = await client.post(
        P + "/positions",
        json={"owner": owner, "resource": "ENERGY", "amount_sun": 5_000_000},
        headers=auth,
    )
    pid = created.json()["id"]
    url = f"{P}/positions/{pid}/events"
    before = await follow(
        client, url, auth, lambda events: {"transition", "condition"} <= {k for _, k, _ in events}
    )
    # Away: the operation goes recorded → broadcast → included, the conditions change twice.
    now = dt.datetime.now(dt.UTC)
    op_id = "op_0000000000000000000077"
    await store.operations.insert(
        {"id": op_id, "kind": "freeze", "owner": owner, "intent_key": f"freeze:{owner}:ENERGY",
         "position_ids": [pid], "params": {}, "reason": "freeze", "txid": "ab" * 32,
         "expiration_ms": 0, "state": "recorded", "block": None, "fee_sun": None,
         "error": None, "created_at": now, "updated_at": now}
    )  # fmt: skip
    await journaled(store, pid, "operation", id=op_id, state="recorded")
    steps: list[dict[str, Any]] = [
        {"state": "broadcast"},
        {"state": "included", "block": 9, "fee_sun": 0},
    ]
    for version, changes in enumerate(steps, start=1):
        await store.operations.update(
            op_id, version, {**changes, "updated_at": dt.datetime.now(dt.UTC)}
        )
        await journaled(store, pid, "operation", id=op_id, state=changes["state"])
    for updates in (
        (ConditionUpdate.true(ConditionType.PROGRESSING, "AwaitingFinality", "included"),),
        (
            ConditionUpdate.true(ConditionType.READY, "Ready", "final on chain"),
            ConditionUpdate.false(ConditionType.PROGRESSING, "Converged", "nothing to do"),
        ),
    ):
        position = Position.from_storage(await store.positions.get(pid))  # type: ignore[arg-type]
        merged = position.with_conditions(updates, at=dt.datetime.now(dt.UTC))
        await store.positions.update(
            pid,
            position.version,
            {
                "conditions": [c.for_storage() for c in merged.conditions],
                "updated_at": merged.updated_at,
            },
        )
        await journaled(
            store, pid, "condition", type=updates[0].type.value, reason=updates[0].reason
        )

    resumed = await follow(client, url, {**auth, "Last-Event-ID": before[-1][0]}, ready)
    operations = [(d["state"], d["block"]) for _, kind, d in resumed if kind == "operation"]
    assert operations == [("recorded", None), ("broadcast", None), ("included", 9)]
    progressing = [
        (d["status"], d["reason"])
        for _, kind, d in resumed
        if kind == "condition" and d["type"] == "Progressing"
    ]
    assert progressing[-2:] == [("True", "AwaitingFinality"), ("False", "Converged")]
    assert not any(kind == "transition" for _, kind, _ in resumed)  # none since: none replayed
    replay = await follow(client, url, auth, ready)
    assert by_kind(before + resumed) == by_kind(replay)
    assert len({event_id for event_id, _, _ in before + resumed}) == len(before + resumed)
