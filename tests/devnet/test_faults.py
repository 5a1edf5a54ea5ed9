"""Fault injection (``POST /devnet/faults``): every mode observably behaves as specified."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest

from tests.support.devnet import Devnet
from tron_devnet import crypto
from tron_devnet.server import start

pytestmark = pytest.mark.anyio

BROADCAST = "wallet/broadcasttransaction"


async def _signed_freeze(devnet: Devnet, amount: int = 3_000_000) -> dict[str, Any]:
    owner = devnet.accounts[0]
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": amount, "resource": "ENERGY"},
    )
    signature = crypto.sign(bytes.fromhex(built["txID"]), bytes.fromhex(owner.private_key))
    return {**built, "signature": [signature.hex()]}


async def _known(devnet: Devnet, txid: str) -> bool:
    return bool(await devnet.post("wallet/gettransactionbyid", {"value": txid}))


async def _post_raw(
    devnet: Devnet, path: str, body: Any, client_timeout: float = 5.0
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=client_timeout) as client:
        return await client.post(f"{devnet.url}/{path}", json=body)


async def test_http_503_with_count(devnet: Devnet) -> None:
    await devnet.faults({"path": "wallet/getaccount", "mode": "http_503", "count": 1})
    body = {"address": devnet.accounts[0].address, "visible": True}
    first = await _post_raw(devnet, "wallet/getaccount", body)
    assert first.status_code == 503
    second = await _post_raw(devnet, "wallet/getaccount", body)
    assert second.status_code == 200
    assert second.json()["address"] == devnet.accounts[0].address
    rules = (await devnet.get("devnet/faults"))["rules"]
    assert rules[0]["hits"] == 1


async def test_http_429_has_retry_after_and_processes_nothing(devnet: Devnet) -> None:
    tx = await _signed_freeze(devnet)
    await devnet.faults({"path": BROADCAST, "mode": "http_429"})
    response = await _post_raw(devnet, BROADCAST, tx)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert not await _known(devnet, tx["txID"])


async def test_delay(devnet: Devnet) -> None:
    await devnet.faults({"path": "wallet/getnodeinfo", "mode": "delay", "delay_ms": 300})
    started = time.monotonic()
    response = await _post_raw(devnet, "wallet/getnodeinfo", {})
    assert response.status_code == 200
    assert "solidityBlock" in response.json()
    assert time.monotonic() - started >= 0.3


async def test_timeout_processes_nothing_and_never_answers(devnet: Devnet) -> None:
    tx = await _signed_freeze(devnet)
    await devnet.faults({"path": BROADCAST, "mode": "timeout"})
    with pytest.raises(httpx.ReadTimeout):
        await _post_raw(devnet, BROADCAST, tx, client_timeout=0.5)
    await devnet.faults()
    assert not await _known(devnet, tx["txID"])
    # the held request is released once the client gave up
    for _ in range(50):
        if devnet.server.held_requests == 0:
            break
        await anyio.sleep(0.02)
    assert devnet.server.held_requests == 0
    assert (await _post_raw(devnet, BROADCAST, tx)).json()["result"] is True


async def test_drop_closes_connection_without_response(devnet: Devnet) -> None:
    tx = await _signed_freeze(devnet)
    await devnet.faults({"path": BROADCAST, "mode": "drop", "count": 1})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await _post_raw(devnet, BROADCAST, tx)
    assert not await _known(devnet, tx["txID"])
    assert (await _post_raw(devnet, BROADCAST, tx)).json()["result"] is True


async def test_accept_then_timeout_enters_pool(devnet: Devnet) -> None:
    tx = await _signed_freeze(devnet)
    await devnet.faults({"path": BROADCAST, "mode": "accept_then_timeout", "count": 1})
    with pytest.raises(httpx.ReadTimeout):
        await _post_raw(devnet, BROADCAST, tx, client_timeout=0.5)
    assert await _known(devnet, tx["txID"])
    retry = (await _post_raw(devnet, BROADCAST, tx)).json()
    assert retry["code"] == "DUP_TRANSACTION_ERROR"
    await devnet.mine(1)
    info = await devnet.post("wallet/gettransactioninfobyid", {"value": tx["txID"]})
    assert info["blockNumber"] == 1


async def test_accept_then_drop_answers_success_but_never_packs(devnet: Devnet) -> None:
    tx = await _signed_freeze(devnet)
    await devnet.faults({"path": BROADCAST, "mode": "accept_then_drop", "count": 1})
    answer = (await _post_raw(devnet, BROADCAST, tx)).json()
    assert answer == {"result": True, "txid": tx["txID"]}
    assert not await _known(devnet, tx["txID"])
    assert (await devnet.state())["pending"] == 0
    await devnet.mine(1)
    assert await devnet.post("wallet/gettransactioninfobyid", {"value": tx["txID"]}) == {}
    packed = await devnet.get("devnet/transactions", {"since_block": 0})
    assert packed["transactions"] == []


async def test_probability_is_seeded_and_reproducible(devnet: Devnet) -> None:
    async def pattern() -> list[int]:
        await devnet.faults(
            {"path": "wallet/getnodeinfo", "mode": "http_503", "probability": 0.5}, seed=42
        )
        return [(await _post_raw(devnet, "wallet/getnodeinfo", {})).status_code for _ in range(20)]

    first = await pattern()
    assert await pattern() == first
    assert 503 in first
    assert 200 in first


async def test_glob_paths_admin_never_faulted_and_clearing(devnet: Devnet) -> None:
    await devnet.faults({"path": "*", "mode": "http_503"})
    assert (await _post_raw(devnet, "wallet/getnodeinfo", {})).status_code == 503
    assert (await _post_raw(devnet, "walletsolidity/getnowblock", {})).status_code == 503
    assert (await devnet.get("devnet/faults"))["rules"][0]["mode"] == "http_503"
    await devnet.faults({"path": "walletsolidity/*", "mode": "http_503"})
    assert (await _post_raw(devnet, "wallet/getnodeinfo", {})).status_code == 200
    assert (await _post_raw(devnet, "walletsolidity/getnowblock", {})).status_code == 503
    cleared = await devnet.post("devnet/faults", {"rules": []})
    assert cleared == {"rules": []}
    assert (await _post_raw(devnet, "walletsolidity/getnowblock", {})).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"path": BROADCAST, "mode": "explode"},
        {"path": "", "mode": "drop"},
        {"path": BROADCAST, "mode": "drop", "probability": 2},
        {"path": BROADCAST, "mode": "drop", "count": -1},
        {"path": BROADCAST, "mode": "delay", "delay_ms": "soon"},
        {"path": BROADCAST, "mode": "drop", "colour": "red"},
    ],
)
async def test_invalid_rules_are_rejected_and_change_nothing(
    devnet: Devnet, rule: dict[str, Any]
) -> None:
    await devnet.faults({"path": "wallet/getnodeinfo", "mode": "delay", "delay_ms": 1})
    response = await _post_raw(devnet, "devnet/faults", {"rules": [rule]})
    assert response.status_code == 400
    assert "Error" in response.json()
    assert len((await devnet.get("devnet/faults"))["rules"]) == 1


def test_stop_releases_held_requests() -> None:
    """A request held by a ``timeout`` fault does not keep the server from stopping."""
    server = start()
    errors: list[BaseException] = []

    async def client() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            await http.post(
                f"{server.url}/devnet/faults",
                json={"rules": [{"path": "wallet/getnodeinfo", "mode": "timeout"}]},
            )
            async with anyio.create_task_group() as group:

                async def held() -> None:
                    try:
                        await http.post(f"{server.url}/wallet/getnodeinfo", json={})
                    except httpx.HTTPError as exc:
                        errors.append(exc)

                group.start_soon(held)
                for _ in range(100):
                    if server.held_requests:
                        break
                    await anyio.sleep(0.02)
                started = time.monotonic()
                await anyio.to_thread.run_sync(server.stop)
                assert time.monotonic() - started < 5

    anyio.run(client)
    assert errors
    assert isinstance(errors[0], httpx.RemoteProtocolError | httpx.ReadError)
