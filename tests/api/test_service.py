"""The operational endpoints, the OpenAPI document and the self-hosted docs page."""

from __future__ import annotations

import re

import httpx
import pytest
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import Route

from tests.api import harness
from tron_staking.api import catalogue, openapi

pytestmark = pytest.mark.anyio

CONTRACT_METRICS = {
    "staking_requests", "staking_freezes", "staking_unfreezes", "staking_rewards_claimed",
    "staking_active_records", "staking_total_trx_staked", "staking_operation_duration_seconds",
    "staking_reconcile", "staking_reconcile_duration_seconds", "staking_positions",
    "staking_transactions", "staking_chain_requests", "staking_chain_request_duration_seconds",
    "staking_drift_detected", "staking_position_convergence_seconds", "staking_workqueue_depth",
    "staking_leases_held", "staking_chain_head_lag_blocks",
}  # fmt: skip


async def test_root_health_and_probes(
    client: httpx.AsyncClient, auth: dict[str, str], owner: str
) -> None:
    root = (await client.get("/")).json()
    assert root == {
        "name": "tron-staking",
        "version": "0.1.0",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "health": "/health",
    }
    await client.post(
        "/api/v1/tron/staking/positions",
        json={"owner": owner, "resource": "ENERGY", "amount_trx": "2.5"},
        headers=auth,
    )
    health = await client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "healthy"
    assert body["service"] == "tron-staking"
    assert body["service_initialized"] is True
    assert body["timestamp"].endswith("Z")
    assert body["staking"] == {
        "total_staking_records": 1,
        "active_staking_records": 1,
        "total_staked_trx": 0.0,
        "total_resource_records": 0,
    }
    assert body["checks"] == {"mongo": "ok", "redis": "ok", "chain": "ok", "controller": "stopped"}
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    assert (await client.get("/health/ready")).json() == {"status": "ready"}
    status = (await client.get("/status")).json()
    assert status["state"] == "running"
    assert status["database"] == {"status": "ok"}
    assert (
        status["chain"]["lag_blocks"]
        == status["chain"]["head_block"] - status["chain"]["solid_block"]
    )
    assert status["stats"]["positions_total"] == 1
    assert status["controller"]["replica_id"] is None


async def test_metrics_carry_every_contract_name_and_count_requests(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await client.get("/api/v1/tron/staking/positions/pos_0000000000000000000000", headers=auth)
    await client.get("/health/live")
    text = (await client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) >= CONTRACT_METRICS
    samples = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in families["staking_requests"].samples
        if s.name == "staking_requests_total"
    }
    assert samples[("GET", "/api/v1/tron/staking/positions/{id}", "404")] == 1
    assert samples[("GET", "/health/live", "200")] >= 1
    assert "pos_0000000000000000000000" not in text


async def test_openapi_is_valid_3_1_and_names_every_route(
    api: harness.ApiServer, client: httpx.AsyncClient
) -> None:
    document = (await client.get("/openapi.json")).json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert api.app is not None
    served = {
        (method, route.path)
        for route in api.app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD" and not route.path.startswith("/docs/assets")
    }
    assert documented == served
    for path, item in document["paths"].items():
        for method, operation in item.items():
            success = [c for c in operation["responses"] if c.startswith("2")]
            content = operation["responses"][success[0]]["content"]
            assert all("example" in media for media in content.values()), (method, path)
            if "requestBody" in operation:
                assert "example" in operation["requestBody"]["content"]["application/json"]


async def test_docs_page_serves_its_own_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references
    assert not [r for r in references if re.match(r"^(https?:)?//", r)]
    for reference in references:
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 0
    init = (await client.get("/docs/assets/docs-init.js")).text
    assert '"/openapi.json"' in init


def test_operation_table_matches_document() -> None:
    document = openapi.document("1")
    count = sum(len(item) for item in document["paths"].values())
    assert count == len(catalogue.OPERATIONS)


async def test_ready_waits_for_the_start_up_of_the_process(api_env: dict[str, str]) -> None:
    server = harness.ApiServer(api_env).start(startup_finished=False)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as http:
            assert (await http.get("/health/ready")).status_code == 503
            assert (await http.get("/health")).json()["service_initialized"] is False
            assert (await http.get("/health/live")).status_code == 200
            server.startup.set()
            assert (await http.get("/health/ready")).status_code == 200
            assert (await http.get("/health")).json()["service_initialized"] is True
    finally:
        server.stop()
