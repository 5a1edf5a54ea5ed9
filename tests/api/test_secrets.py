"""Secrets never leave the process: a full run of the API (every route, hostile and valid
tokens, errors) leaves no JWT secret, bearer token or private key in the logs or responses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api import harness
from tests.support.devnet import Devnet
from tron_staking import settings

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"


@pytest.fixture
def logged_api(
    mongo_settings: settings.MongoSettings, redis_url: str, devnet_module: Devnet
) -> Iterator[harness.ApiServer]:
    env = harness.env_for(mongo_settings, redis_url, devnet_module.url, LOG_LEVEL="DEBUG")
    server = harness.ApiServer(env)
    server.capture_logs()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_logs_and_responses_hold_no_secret(
    logged_api: harness.ApiServer, devnet_module: Devnet, owner: str, witness: str
) -> None:
    token = logged_api.token(owner)
    headers = harness.bearer(token)
    bodies: list[str] = []
    async with httpx.AsyncClient(base_url=logged_api.url, timeout=30.0) as http:
        created = await http.post(
            P + "/positions",
            json={"owner": owner, "resource": "ENERGY", "amount_sun": 2_000_000,
                  "votes": [{"witness": witness, "weight": 1}]},
            headers={**headers, "Idempotency-Key": "secret-scan"},
        )  # fmt: skip
        pid = created.json()["id"]
        requests = [
            ("GET", P + "/positions", None, headers),
            ("GET", f"{P}/positions/{pid}", None, headers),
            ("GET", f"{P}/positions/{pid}/plan", None, headers),
            ("GET", f"{P}/positions/{pid}/transitions", None, headers),
            ("PATCH", f"{P}/positions/{pid}", {"labels": {"a": "b"}}, headers),
            ("GET", f"{P}/status/{owner}", None, headers),
            ("GET", f"{P}/positions", None, harness.bearer(token + "x")),
            ("GET", f"{P}/positions", None, harness.bearer(harness.JWT_SECRET)),
            ("POST", P + "/positions", {"owner": harness.JWT_SECRET}, headers),
            ("GET", "/health", None, {}),
            ("GET", "/status", None, {}),
            ("GET", "/metrics", None, {}),
            ("DELETE", f"{P}/positions/{pid}", None, headers),
        ]
        for method, url, body, request_headers in requests:
            response = await http.request(method, url, json=body, headers=request_headers)
            assert response.status_code < 500, (url, response.text)
            bodies.append(response.text)
            bodies.extend(f"{k}: {v}" for k, v in response.headers.items())
    logs = logged_api.logs.getvalue()
    assert logs
    private_keys = [a.private_key for a in devnet_module.accounts + devnet_module.witnesses]
    for secret in (harness.JWT_SECRET, token, *private_keys):
        assert secret not in logs
        assert not [b for b in bodies if secret in b]
