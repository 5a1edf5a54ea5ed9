"""Every error is problem+json with the contract's status: 400, 404, 405, 409, 412 (see
test_positions), 413, 415, 422, 429 with Retry-After, 503 with the store down — produced by
real requests."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.api import harness
from tests.support import servers
from tests.support.devnet import Devnet
from tron_staking import settings

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


def spec(owner: str) -> dict[str, object]:
    return {"owner": owner, "resource": "ENERGY", "amount_sun": 10_000_000}


async def test_body_over_64_kib_is_413(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    body = {**spec(owner), "labels": {"x": "y" * (65 * 1024)}}
    response = await client.post(P + "/positions", json=body, headers=auth)
    assert_problem(response, 413)

    async def chunks() -> object:
        for _ in range(70):
            yield b" " * 1024

    streamed = await client.post(
        P + "/positions",
        content=chunks(),  # type: ignore[arg-type]
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)


async def test_non_json_is_415_and_malformed_json_is_400(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    text = await client.post(
        P + "/positions",
        content=json.dumps(spec(owner)),
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert_problem(text, 415)
    broken = await client.post(
        P + "/positions",
        content=b'{"owner": ',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_problem(broken, 400)
    empty = await client.post(
        P + "/vote", content=b"", headers={**auth, "Content-Type": "application/json"}
    )
    assert_problem(empty, 400)


async def test_validation_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str, other_owner: str
) -> None:
    unknown = await client.post(
        P + "/positions", json={**spec(owner), "colour": "red"}, headers=auth
    )
    body = assert_problem(unknown, 422)
    assert body["errors"] == [{"loc": ["body", "colour"], "msg": "Extra inputs are not permitted"}]
    cases: list[tuple[dict[str, object], list[object]]] = [
        ({**spec(owner), "amount_sun": 5}, ["body", "amount_sun"]),
        ({**spec(owner), "amount_sun": "10000000"}, ["body", "amount_sun"]),
        ({**spec(owner), "resource": "TRX"}, ["body", "resource"]),
        ({**spec(owner), "amount_trx": "1.0000001", "amount_sun": None}, ["body", "amount_trx"]),
        (
            {**spec(owner), "votes": [{"witness": owner, "weight": 101}]},
            ["body", "votes", 0, "weight"],
        ),
        ({"resource": "ENERGY", "amount_sun": 10_000_000}, ["body", "owner"]),
        (
            {**spec(owner), "delegate": {"receiver": other_owner, "lock_period_blocks": 5}},
            ["body", "delegate", "lock_period_blocks"],
        ),
    ]
    for payload, loc in cases:
        payload = {k: v for k, v in payload.items() if v is not None}
        response = await client.post(P + "/positions", json=payload, headers=auth)
        errors = assert_problem(response, 422)["errors"]
        assert isinstance(errors, list)
        assert errors[0]["loc"] == loc, (payload, errors)
    address = await client.get(P + "/status/Tnot-an-address", headers=auth)
    assert assert_problem(address, 422)["errors"] == [
        {"loc": ["path", "address"], "msg": address.json()["detail"]}
    ]


async def test_starlette_404_and_405_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/no/such/path"), 404)
    not_allowed = await client.put("/health")
    assert_problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["allow"]


@pytest.fixture
def limited_api(
    mongo_settings: settings.MongoSettings, redis_url: str, devnet_module: Devnet
) -> Iterator[harness.ApiServer]:
    env = harness.env_for(
        mongo_settings,
        redis_url,
        devnet_module.url,
        STAKING_RATE_LIMIT_READ="3/minute",
        STAKING_RATE_LIMIT_WRITE="2/minute",
    )
    server = harness.ApiServer(env).start()
    try:
        yield server
    finally:
        server.stop()


async def test_rate_limits_answer_429_with_retry_after(
    limited_api: harness.ApiServer, owner: str
) -> None:
    reader = harness.bearer(limited_api.token(owner, subject="reader-1"))
    async with httpx.AsyncClient(base_url=limited_api.url, timeout=30.0) as http:
        statuses = [
            (await http.get(P + "/positions", headers=reader)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        limited = await http.get(P + "/positions", headers=reader)
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        another = harness.bearer(limited_api.token(owner, subject="reader-2"))
        assert (await http.get(P + "/positions", headers=another)).status_code == 200
        writes = [
            (await http.post(P + "/positions", json=spec(owner), headers=reader)).status_code
            for _ in range(3)
        ]
        assert writes[:2] == [201, 201]
        assert writes[2] == 429


@pytest.fixture
def storeless_api(redis_url: str, devnet_module: Devnet) -> Iterator[harness.ApiServer]:
    dead = settings.load(
        {
            "MONGODB_URL": f"mongodb://127.0.0.1:{servers.free_port()}",
            "STAKING_MONGO_TIMEOUT_S": "0.3",
        }
    ).mongo
    env = harness.env_for(dead, redis_url, devnet_module.url, STAKING_MONGO_TIMEOUT_S="0.3")
    server = harness.ApiServer(env, ensure_indexes=False).start()
    try:
        yield server
    finally:
        server.stop()


async def test_store_unavailable_is_503(storeless_api: harness.ApiServer, owner: str) -> None:
    headers = harness.bearer(storeless_api.token(owner))
    async with httpx.AsyncClient(base_url=storeless_api.url, timeout=30.0) as http:
        listing = await http.get(P + "/positions", headers=headers)
        assert_problem(listing, 503)
        assert int(listing.headers["retry-after"]) >= 1
        created = await http.post(P + "/positions", json=spec(owner), headers=headers)
        assert_problem(created, 503)
        ready = await http.get("/health/ready")
        assert ready.status_code == 503
        health = await http.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy"
        assert health.json()["checks"]["mongo"] == "error"
        assert (await http.get("/health/live")).status_code == 200
