"""The seed's operation endpoints, operation reads, per-address reads and stats."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.api import harness
from tests.support.devnet import Devnet
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
SUN = 1_000_000


def operation(
    owner: str, position_id: str, number: int, state: str, **extra: Any
) -> dict[str, Any]:
    at = dt.datetime(2026, 11, 24, 10, 0, number, tzinfo=dt.UTC)
    document: dict[str, Any] = {
        "id": f"op_{number:022d}",
        "kind": "freeze",
        "owner": owner,
        "intent_key": f"freeze:{owner}:ENERGY",
        "position_ids": [position_id],
        "params": {"frozen_balance": 10 * SUN},
        "reason": "freeze for the position",
        "txid": f"{number:064x}",
        "expiration_ms": 0,
        "state": state,
        "block": 5 if state in ("included", "solidified") else None,
        "fee_sun": 0,
        "error": None,
        "created_at": at,
        "updated_at": at,
    }
    document.update(extra)
    return document


async def test_seed_endpoints_change_positions_and_answer_202(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    owner: str,
    other_owner: str,
    witness: str,
    store: MongoStore,
) -> None:
    spec = {"owner": owner, "resource": "BANDWIDTH", "amount_sun": 3 * SUN}
    frozen = await client.post(P + "/freeze", json=spec, headers=auth)
    assert frozen.status_code == 202, frozen.text
    position = frozen.json()["items"][0]
    pid = position["id"]
    assert (position["resource"], position["state"]) == ("BANDWIDTH", "pending")
    ref = {"position_id": pid}
    voted = await client.post(
        P + "/vote", json={**ref, "votes": [{"witness": witness, "weight": 5}]}, headers=auth
    )
    assert voted.status_code == 202
    assert voted.json()["items"][0]["votes"] == [{"witness": witness, "weight": 5}]
    not_witness = await client.post(
        P + "/vote", json={**ref, "votes": [{"witness": owner, "weight": 5}]}, headers=auth
    )
    assert not_witness.status_code == 422
    assert not_witness.json()["errors"][0]["loc"] == ["body", "votes", 0, "witness"]
    delegated = await client.post(
        P + "/delegate", json={**ref, "receiver": other_owner, "lock": True}, headers=auth
    )
    assert delegated.status_code == 202
    assert delegated.json()["items"][0]["delegate"] == {
        "receiver": other_owner,
        "lock": True,
        "lock_period_blocks": None,
    }
    to_self = await client.post(P + "/delegate", json={**ref, "receiver": owner}, headers=auth)
    assert to_self.status_code == 422
    assert to_self.json()["errors"][0]["loc"] == ["body", "receiver"]
    undelegated = await client.post(P + "/undelegate", json=ref, headers=auth)
    assert undelegated.json()["items"][0]["delegate"] is None
    unfrozen = await client.post(P + "/unfreeze", json=ref, headers=auth)
    assert unfrozen.status_code == 202
    assert unfrozen.json()["items"][0]["unstake_requested"] is True
    stored = await store.positions.get(pid)
    assert stored["unstake_requested"] is True
    assert stored["generation"] == 5
    triggers = [e["trigger"] for e in await store.transitions.list(pid)]
    assert triggers == [
        "spec_declared", "spec_changed", "spec_changed", "spec_changed", "unstake_requested",
    ]  # fmt: skip
    missing = await client.post(P + "/unfreeze", json={"position_id": "pos_x"}, headers=auth)
    assert missing.status_code == 404


async def test_claim_request_is_stored_and_read_from_the_chain(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, store: MongoStore
) -> None:
    response = await client.post(P + "/claim-rewards", json={"owner": owner}, headers=auth)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"owner", "requested_at", "next_claim_possible_at", "unclaimed_sun"}
    assert body["owner"] == owner
    assert body["unclaimed_sun"] == 0
    again = await client.post(P + "/claim-rewards", json={"owner": owner}, headers=auth)
    assert again.status_code == 202
    request = await store.rewards.get(f"claimreq_{owner}")
    assert request["kind"] == "claim_request"
    assert request["version"] == 2


async def test_operation_history_and_address_reads(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    owner: str,
    store: MongoStore,
    devnet_module: Devnet,
) -> None:
    created = await client.post(
        P + "/positions",
        json={"owner": owner, "resource": "ENERGY", "amount_sun": 10 * SUN},
        headers=auth,
    )
    pid = created.json()["id"]
    for number, state in ((1, "solidified"), (2, "included"), (3, "rejected")):
        await store.operations.insert(operation(owner, pid, number, state))
    one = await client.get(f"{P}/operations/op_{1:022d}", headers=auth)
    assert one.status_code == 200
    assert one.json() == {
        "id": f"op_{1:022d}",
        "kind": "freeze",
        "owner": owner,
        "txid": f"{1:064x}",
        "state": "solidified",
        "positions": [pid],
        "block": 5,
        "fee_sun": 0,
        "error": None,
        "reason": "freeze for the position",
        "created_at": "2026-11-24T10:00:01Z",
        "updated_at": "2026-11-24T10:00:01Z",
    }
    position = (await client.get(f"{P}/positions/{pid}", headers=auth)).json()
    assert [(t["txid"], t["state"]) for t in position["transactions"]] == [
        (f"{n:064x}", s) for n, s in ((1, "solidified"), (2, "included"), (3, "rejected"))
    ]
    history = await client.get(f"{P}/history/{owner}", params={"limit": 2}, headers=auth)
    page = history.json()
    assert [op["id"] for op in page["items"]] == [f"op_{3:022d}", f"op_{2:022d}"]
    rest = await client.get(
        f"{P}/history/{owner}", params={"cursor": page["next_cursor"]}, headers=auth
    )
    assert [op["id"] for op in rest.json()["items"]] == [f"op_{1:022d}"]
    stats = (await client.get(P + "/stats", headers=auth)).json()
    assert stats["operations_by_state"] == {"solidified": 1, "included": 1, "rejected": 1}
    assert (stats["positions_total"], stats["owners"], stats["active_positions"]) == (1, 1, 1)

    balance = (await devnet_module.post("wallet/getaccount", {"address": owner, "visible": True}))[
        "balance"
    ]
    status = (await client.get(f"{P}/status/{owner}", headers=auth)).json()
    assert status["balance_sun"] == balance
    assert status["positions"] == {"by_state": {"pending": 1}}
    assert status["activated"] is True
    resources = (await client.get(f"{P}/resources/{owner}", headers=auth)).json()
    assert resources["bandwidth"]["free_available"] > 0
    rewards = (await client.get(f"{P}/rewards/{owner}", headers=auth)).json()
    assert rewards["claims"] == []
    assert rewards["unclaimed_sun"] == 0


async def test_address_reads_use_the_seeds_cache_keys(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    owner: str,
    redis_url: str,
) -> None:
    connection = redis.asyncio.Redis.from_url(redis_url)
    try:
        # The session's Redis outlives other tests' databases: start from no cached view.
        await connection.delete(
            *(f"{v}:{owner}" for v in ("staking_stats", "rewards", "resource_info"))
        )
        first = (await client.get(f"{P}/status/{owner}", headers=auth)).json()
        assert await connection.exists(f"staking_stats:{owner}") == 1
        await client.get(f"{P}/resources/{owner}", headers=auth)
        assert await connection.exists(f"resource_info:{owner}") == 1
        await client.post(
            P + "/positions",
            json={"owner": owner, "resource": "ENERGY", "amount_sun": 10 * SUN},
            headers=auth,
        )
        assert await connection.exists(f"staking_stats:{owner}", f"resource_info:{owner}") == 0
    finally:
        await connection.aclose()
    after = (await client.get(f"{P}/status/{owner}", headers=auth)).json()
    assert first["positions"] == {"by_state": {}}
    assert after["positions"] == {"by_state": {"pending": 1}}
