"""Authentication (hostile tokens → 401 with WWW-Authenticate) and authorization (scopes,
wallet ownership on every route, admin) through HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api import harness
from tests.support.devnet import Devnet
from tron_staking import settings
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
ISSUER = "https://issuer.example"
AUDIENCE = "tron-staking"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned(claims: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hs256_with(key: bytes, claims: dict[str, Any]) -> str:
    """An HS256 token whose HMAC key is ``key`` (here: the RSA public key's PEM)."""
    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + "."
        + b64(json.dumps(claims).encode())
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(owner: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "mallory",
        "scope": "staking:read staking:write",
        "wallets": [owner],
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def rs_api(
    mongo_settings: settings.MongoSettings,
    redis_url: str,
    devnet_module: Devnet,
    rsa_key: rsa.RSAPrivateKey,
) -> Iterator[harness.ApiServer]:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    env = harness.env_for(
        mongo_settings,
        redis_url,
        devnet_module.url,
        STAKING_JWT_PUBLIC_KEY=public_pem.decode(),
        STAKING_JWT_ISSUER=ISSUER,
        STAKING_JWT_AUDIENCE=AUDIENCE,
    )
    del env["STAKING_JWT_SECRET"]
    server = harness.ApiServer(env).start()
    try:
        yield server
    finally:
        server.stop()


async def test_hostile_tokens_are_401_with_www_authenticate(
    rs_api: harness.ApiServer, rsa_key: rsa.RSAPrivateKey, owner: str
) -> None:
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    good = jwt.encode(claims(owner), private_pem, algorithm="RS256")
    within_leeway = jwt.encode(claims(owner, exp=now - 10), private_pem, algorithm="RS256")
    hostile = {
        "alg none": unsigned(claims(owner)),
        "HS256 signed with the RS public key": hs256_with(public_pem, claims(owner)),
        "expired": jwt.encode(claims(owner, exp=now - 120), private_pem, algorithm="RS256"),
        "future nbf": jwt.encode(claims(owner, nbf=now + 120), private_pem, algorithm="RS256"),
        "wrong audience": jwt.encode(claims(owner, aud="other"), private_pem, algorithm="RS256"),
        "no audience": jwt.encode(claims(owner, aud=None), private_pem, algorithm="RS256"),
        "wrong issuer": jwt.encode(claims(owner, iss="https://x"), private_pem, algorithm="RS256"),
        "no exp": jwt.encode(claims(owner, exp=None), private_pem, algorithm="RS256"),
        "no sub": jwt.encode(claims(owner, sub=None), private_pem, algorithm="RS256"),
        "other key": jwt.encode(
            claims(owner),
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
        ),
        "garbage": "not.a.jwt",
        "more garbage": "abc",
        "bad wallets": jwt.encode(claims(owner, wallets=["T123"]), private_pem, algorithm="RS256"),
    }
    async with httpx.AsyncClient(base_url=rs_api.url, timeout=30.0) as http:
        ok = await http.get(P + "/positions", headers=harness.bearer(good))
        assert ok.status_code == 200, ok.text
        lenient = await http.get(P + "/positions", headers=harness.bearer(within_leeway))
        assert lenient.status_code == 200
        for name, token in hostile.items():
            response = await http.get(P + "/positions", headers=harness.bearer(token))
            assert response.status_code == 401, name
            assert response.headers["www-authenticate"].startswith("Bearer"), name
            assert response.headers["content-type"] == "application/problem+json"
        for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Token abc"}):
            response = await http.get(P + "/positions", headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_hs256_with_another_secret_is_401(client: httpx.AsyncClient, owner: str) -> None:
    token = jwt.encode(claims(owner, iss=None, aud=None), "x" * 40, algorithm="HS256")
    response = await client.get(P + "/positions", headers=harness.bearer(token))
    assert response.status_code == 401


async def test_scopes_are_required(
    api: harness.ApiServer, client: httpx.AsyncClient, owner: str
) -> None:
    body = {"owner": owner, "resource": "ENERGY", "amount_sun": 10_000_000}
    reader = harness.bearer(api.token(owner, scope="staking:read"))
    writer = harness.bearer(api.token(owner, scope="staking:write"))
    assert (await client.post(P + "/positions", json=body, headers=reader)).status_code == 403
    assert (await client.get(P + "/positions", headers=writer)).status_code == 403
    assert (await client.post(P + "/positions", json=body, headers=writer)).status_code == 201
    nothing = harness.bearer(api.token(owner, scope=""))
    assert (await client.get(P + "/stats", headers=nothing)).status_code == 403


async def test_another_owner_is_403_on_every_route_and_absent_from_lists(
    api: harness.ApiServer,
    client: httpx.AsyncClient,
    store: MongoStore,
    owner: str,
    other_owner: str,
    witness: str,
) -> None:
    theirs = harness.bearer(api.token(other_owner, subject="bob"))
    spec = {"owner": other_owner, "resource": "ENERGY", "amount_sun": 10_000_000}
    created = await client.post(P + "/positions", json=spec, headers=theirs)
    pid = created.json()["id"]
    await store.operations.insert(operation_document(other_owner, pid))
    mine = harness.bearer(api.token(owner))
    ref = {"position_id": pid}
    forbidden: list[tuple[str, str, Any]] = [
        ("GET", f"/positions/{pid}", None),
        ("PATCH", f"/positions/{pid}", {"auto_claim": True}),
        ("DELETE", f"/positions/{pid}", None),
        ("GET", f"/positions/{pid}/transitions", None),
        ("GET", f"/positions/{pid}/plan", None),
        ("GET", f"/positions/{pid}/events", None),
        ("GET", "/operations/op_0000000000000000000001", None),
        ("POST", "/positions", spec),
        ("POST", "/freeze", spec),
        ("POST", "/unfreeze", ref),
        ("POST", "/vote", {**ref, "votes": [{"witness": witness, "weight": 1}]}),
        ("POST", "/delegate", {**ref, "receiver": owner}),
        ("POST", "/undelegate", ref),
        ("POST", "/claim-rewards", {"owner": other_owner}),
        ("GET", f"/status/{other_owner}", None),
        ("GET", f"/rewards/{other_owner}", None),
        ("GET", f"/resources/{other_owner}", None),
        ("GET", f"/history/{other_owner}", None),
    ]
    for method, path, body in forbidden:
        response = await client.request(method, P + path, json=body, headers=mine)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    for path in ("/positions", "/records"):
        listed = await client.get(P + path, params={"owner": other_owner}, headers=mine)
        assert listed.json()["items"] == []
        assert (await client.get(P + path, headers=mine)).json()["items"] == []
    stats = (await client.get(P + "/stats", headers=mine)).json()
    assert stats["positions_total"] == 0
    assert stats["operations_by_state"] == {}
    admin = harness.bearer(api.token(scope="staking:admin", subject="root"))
    assert (await client.get(f"{P}/positions/{pid}", headers=admin)).status_code == 200
    assert (await client.get(P + "/stats", headers=admin)).json()["positions_total"] == 1
    seen = await events_seen(client, P + "/events", {"owner": other_owner}, mine)
    assert seen == []
    seen_by_admin = await events_seen(client, P + "/events", {"owner": other_owner}, admin)
    assert "transition" in seen_by_admin


def operation_document(owner: str, position_id: str) -> dict[str, Any]:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return {
        "id": "op_0000000000000000000001",
        "kind": "freeze",
        "owner": owner,
        "intent_key": f"freeze:{owner}:ENERGY",
        "position_ids": [position_id],
        "params": {},
        "position_votes": {},
        "reason": "freeze",
        "txid": "ab" * 32,
        "expiration_ms": 0,
        "state": "recorded",
        "block": None,
        "fee_sun": None,
        "error": None,
        "created_at": now,
        "updated_at": now,
    }


async def events_seen(
    client: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str]
) -> list[str]:
    """The event types a stream sends within 1.5 s."""
    kinds: list[str] = []
    with anyio.move_on_after(1.5):
        async with client.stream("GET", url, params=params, headers=headers) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    kinds.append(line.split(":", 1)[1].strip())
    return kinds
