"""Positions through HTTP: declare, read, list, change, unstake, history, dry-run plan, and
the validation that uses the chain."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.api import harness
from tests.support.devnet import Devnet
from tron_staking.domain import addresses
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
SUN = 1_000_000


def spec(owner: str, witness: str | None = None, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"owner": owner, "resource": "ENERGY", "amount_sun": 10 * SUN}
    if witness is not None:
        body["votes"] = [{"witness": witness, "weight": 70}]
    body.update(extra)
    return body


async def create(
    client: httpx.AsyncClient, auth: dict[str, str], body: object
) -> dict[str, object]:
    response = await client.post(P + "/positions", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_declare_returns_the_contract_resource_field_by_field(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, witness: str, other_owner: str
) -> None:
    body = spec(
        owner,
        witness,
        amount_sun=None,
        amount_trx="12.5",
        delegate={"receiver": other_owner, "lock": True, "lock_period_blocks": 100},
        auto_claim=True,
        labels={"team": "treasury"},
    )
    del body["amount_sun"]
    created = await create(client, auth, body)
    assert set(created) == {
        "id", "owner", "resource", "amount_sun", "amount_trx", "votes", "delegate",
        "auto_claim", "labels", "state", "target_state", "unstake_requested", "generation",
        "observed_generation", "conditions", "unfreeze_expire_time_ms", "next_reconcile_at",
        "transactions", "created_by", "created_at", "updated_at",
    }  # fmt: skip
    assert str(created["id"]).startswith("pos_")
    assert created["owner"] == owner
    assert (created["resource"], created["amount_sun"], created["amount_trx"]) == (
        "ENERGY", 12_500_000, "12.5",
    )  # fmt: skip
    assert created["votes"] == [{"witness": witness, "weight": 70}]
    assert created["delegate"] == {"receiver": other_owner, "lock": True, "lock_period_blocks": 100}
    assert created["auto_claim"] is True
    assert created["labels"] == {"team": "treasury"}
    assert (created["state"], created["target_state"]) == ("pending", "delegated")
    assert (created["generation"], created["observed_generation"]) == (1, 0)
    assert created["unstake_requested"] is False
    assert created["transactions"] == []
    assert created["created_by"] == "alice"
    assert str(created["created_at"]).endswith("Z")
    ready = [c for c in created["conditions"] if c["type"] == "Ready"]  # type: ignore[attr-defined]
    assert ready[0]["status"] == "False"
    again = await client.get(f"{P}/positions/{created['id']}", headers=auth)
    assert again.status_code == 200
    assert again.json() == created


async def test_hex_owner_is_answered_in_base58(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    hex_owner = addresses.to_hex(addresses.parse_address(owner))
    created = await create(client, auth, spec(hex_owner))
    assert created["owner"] == owner


async def test_list_filters_restricts_and_pages(
    api: harness.ApiServer, client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    both = harness.bearer(api.token(owner, other_owner))
    for index in range(3):
        await create(client, both, spec(owner, labels={"n": str(index)}))
    await create(client, both, spec(other_owner, resource="BANDWIDTH"))
    mine = harness.bearer(api.token(owner))
    listed = (await client.get(P + "/positions", headers=mine)).json()
    assert len(listed["items"]) == 3
    assert listed["next_cursor"] is None
    assert {p["owner"] for p in listed["items"]} == {owner}
    first = (await client.get(P + "/positions", params={"limit": 2}, headers=both)).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = await client.get(
        P + "/positions", params={"limit": 2, "cursor": first["next_cursor"]}, headers=both
    )
    ids = [p["id"] for p in first["items"]] + [p["id"] for p in rest.json()["items"]]
    assert len(set(ids)) == 4
    assert rest.json()["next_cursor"] is None
    bandwidth = await client.get(P + "/positions", params={"resource": "BANDWIDTH"}, headers=both)
    assert [p["owner"] for p in bandwidth.json()["items"]] == [other_owner]
    labelled = await client.get(P + "/records", params={"label": "n:1"}, headers=both)
    assert [p["labels"] for p in labelled.json()["items"]] == [{"n": "1"}]
    elsewhere = await client.get(P + "/positions", params={"owner": other_owner}, headers=mine)
    assert elsewhere.status_code == 200
    assert elsewhere.json()["items"] == []
    by_state = await client.get(P + "/positions", params={"state": "frozen"}, headers=both)
    assert by_state.json()["items"] == []
    bad = await client.get(P + "/positions", params={"cursor": "bm90LW91cnM"}, headers=both)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
    too_many = await client.get(P + "/positions", params={"limit": 501}, headers=both)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_patch_bumps_generation_checks_if_match_and_immutables(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, witness: str, other_owner: str
) -> None:
    created = await create(client, auth, spec(owner, witness))
    url = f"{P}/positions/{created['id']}"
    changed = await client.patch(
        url,
        json={"delegate": {"receiver": other_owner}, "labels": {"a": "b"}},
        headers={**auth, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["generation"] == 2
    assert changed.json()["delegate"]["receiver"] == other_owner
    stale = await client.patch(url, json={"auto_claim": True}, headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    removed = await client.patch(url, json={"delegate": None}, headers=auth)
    assert removed.json()["delegate"] is None
    assert removed.json()["generation"] == 3
    immutable = await client.patch(url, json={"amount_sun": 99 * SUN}, headers=auth)
    assert immutable.status_code == 422
    assert immutable.json()["errors"][0]["loc"] == ["body", "amount_sun"]
    same = await client.patch(url, json={"owner": owner}, headers=auth)
    assert same.status_code == 200
    assert same.json()["generation"] == 3


async def test_delete_requests_unstake_idempotently_and_history_names_the_subject(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, witness: str
) -> None:
    created = await create(client, auth, spec(owner, witness))
    url = f"{P}/positions/{created['id']}"
    first = await client.delete(url, headers=auth)
    assert first.status_code == 202
    assert first.json()["unstake_requested"] is True
    assert first.json()["target_state"] == "withdrawn"
    second = await client.delete(url, headers=auth)
    assert second.status_code == 202
    assert second.json()["generation"] == first.json()["generation"]
    refused = await client.patch(url, json={"auto_claim": True}, headers=auth)
    assert refused.status_code == 409
    history = (await client.get(url + "/transitions", headers=auth)).json()["items"]
    assert [(h["trigger"], h["subject"], h["generation"]) for h in history] == [
        ("spec_declared", "alice", 1),
        ("unstake_requested", "alice", 2),
    ]
    assert all(h["from"] == h["to"] == "pending" for h in history)


async def test_unknown_position_is_404(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    for url in (
        f"{P}/positions/pos_0000000000000000000000",
        f"{P}/positions/not-an-id",
        f"{P}/positions/pos_0000000000000000000000/transitions",
        f"{P}/operations/op_0000000000000000000000",
    ):
        response = await client.get(url, headers=auth)
        assert response.status_code == 404, url
        assert response.json()["status"] == 404


async def test_chain_validation_names_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, witness: str, other_owner: str
) -> None:
    not_witness = await client.post(
        P + "/positions",
        json=spec(
            owner, votes=[{"witness": witness, "weight": 1}, {"witness": other_owner, "weight": 1}]
        ),
        headers=auth,
    )
    assert not_witness.status_code == 422
    assert not_witness.json()["errors"][0]["loc"] == ["body", "votes", 1, "witness"]
    to_self = await client.post(
        P + "/positions", json=spec(owner, delegate={"receiver": owner}), headers=auth
    )
    assert to_self.status_code == 422
    assert to_self.json()["errors"][0]["loc"] == ["body", "delegate", "receiver"]
    bad_checksum = owner[:-1] + ("A" if owner[-1] != "A" else "B")
    checksum = await client.post(P + "/positions", json=spec(bad_checksum), headers=auth)
    assert checksum.status_code == 422
    assert checksum.json()["errors"][0]["loc"] == ["body", "owner"]


async def test_unactivated_receiver_is_accepted_with_a_condition(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    fresh = addresses.from_bytes(bytes([0x41]) + bytes(range(1, 21)))
    created = await create(client, auth, spec(owner, delegate={"receiver": fresh}))
    stalled = [c for c in created["conditions"] if c["type"] == "Stalled"]  # type: ignore[attr-defined]
    assert stalled
    assert stalled[0]["status"] == "True"
    assert stalled[0]["reason"] == "ReceiverNotActivated"


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    headers = {**auth, "Idempotency-Key": "k-1"}
    first = await client.post(P + "/positions", json=spec(owner), headers=headers)
    replay = await client.post(P + "/positions", json=spec(owner), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    other = await client.post(P + "/positions", json=spec(owner, auto_claim=True), headers=headers)
    assert other.status_code == 409
    listed = await client.get(P + "/positions", headers=auth)
    assert len(listed.json()["items"]) == 1
    too_long = await client.post(
        P + "/positions", json=spec(owner), headers={**auth, "Idempotency-Key": "x" * 129}
    )
    assert too_long.status_code == 422


async def test_concurrent_creates_with_one_key_make_exactly_one_position(
    api: harness.ApiServer, store: MongoStore, auth: dict[str, str], owner: str
) -> None:
    headers = {**auth, "Idempotency-Key": "together"}
    results: list[httpx.Response] = []

    async def send(http: httpx.AsyncClient) -> None:
        results.append(await http.post(P + "/positions", json=spec(owner), headers=headers))

    async with (
        httpx.AsyncClient(base_url=api.url, timeout=30.0) as http,
        anyio.create_task_group() as tg,
    ):
        for _ in range(8):
            tg.start_soon(send, http)
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.json()["id"] for r in results}) == 1
    assert await store.positions.count({"owner": owner}) == 1


async def test_plan_is_a_dry_run_of_the_owner(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    owner: str,
    witness: str,
    store: MongoStore,
    devnet_module: Devnet,
) -> None:
    created = await create(client, auth, spec(owner, witness))
    head_before = await devnet_module.state()
    plan = await client.get(f"{P}/positions/{created['id']}/plan", headers=auth)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["owner"] == owner
    kinds = [a["kind"] for a in body["actions"]]
    assert kinds[:2] == ["freeze", "vote"]
    assert body["actions"][0]["positions"] == [created["id"]]
    assert await store.operations.count({}) == 0
    assert (await devnet_module.state()) == head_before


async def test_a_create_whose_response_was_lost_is_answered_from_its_position(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, store: MongoStore
) -> None:
    headers = {**auth, "Idempotency-Key": "lost"}
    first = await client.post(P + "/positions", json=spec(owner), headers=headers)
    # As if the process died after storing the position and before storing the response.
    await store.database["idempotency_keys"].delete_many({"key": "lost"})
    other = await client.post(P + "/positions", json=spec(owner, auto_claim=True), headers=headers)
    assert other.status_code == 409
    retry = await client.post(P + "/positions", json=spec(owner), headers=headers)
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert await store.positions.count({"owner": owner}) == 1
