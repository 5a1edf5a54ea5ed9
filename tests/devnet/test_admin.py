"""Admin endpoints (``/devnet/…``), ``--no-admin`` and the wall-clock block producer."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tronpy import AsyncTron

from tests.support.devnet import Devnet
from tron_devnet import crypto
from tron_devnet.server import start

pytestmark = pytest.mark.anyio

FRESH = crypto.private_key_to_address(crypto.derive_private_key("admin-test", 0))
FRESH_B58 = crypto.address_to_base58(FRESH)


async def _status(devnet: Devnet, method: str, path: str, body: Any = None) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.request(method, f"{devnet.url}/{path}", json=body)
    return response.status_code


async def test_mine(devnet: Devnet) -> None:
    genesis = await devnet.post("wallet/getblockbynum", {"num": 0})
    genesis_time = genesis["block_header"]["raw_data"]["timestamp"]
    result = await devnet.mine(3)
    assert result["head"] == 3
    assert result["head_time_ms"] == genesis_time + 9000
    assert (await devnet.post("devnet/mine", {}))["head"] == 4
    assert (await devnet.post("devnet/mine", {"blocks": 0}))["head"] == 4
    assert await _status(devnet, "POST", "devnet/mine", {"blocks": -1}) == 400
    assert await _status(devnet, "POST", "devnet/mine", {"blocks": "many"}) == 400
    assert await _status(devnet, "GET", "devnet/mine") == 405


async def test_advance_time(devnet: Devnet) -> None:
    head = await devnet.mine(1)
    advanced = await devnet.advance_time(3600)
    assert advanced["head"] == 1
    assert advanced["chain_time_ms"] == head["head_time_ms"] + 3_600_000
    after = await devnet.mine(1)
    assert after["head_time_ms"] == head["head_time_ms"] + 3000 + 3_600_000
    assert await _status(devnet, "POST", "devnet/time/advance", {"seconds": -5}) == 400
    assert await _status(devnet, "POST", "devnet/time/advance", {}) == 400


async def test_fund_creates_and_credits(devnet: Devnet, tron: AsyncTron) -> None:
    funded = await devnet.fund(FRESH_B58, 5_000_000)
    assert funded == {"address": FRESH_B58, "balance": 5_000_000}
    assert (await tron.get_account(FRESH_B58))["balance"] == 5_000_000
    again = await devnet.fund(FRESH.hex(), 1)
    assert again["balance"] == 5_000_001
    assert await _status(devnet, "POST", "devnet/fund", {"address": "nope", "amount_sun": 1}) == 400
    zero = {"address": FRESH_B58, "amount_sun": 0}
    assert await _status(devnet, "POST", "devnet/fund", zero) == 400


async def test_transactions_listing(devnet: Devnet, tron: AsyncTron) -> None:
    first, second = devnet.accounts[0], devnet.accounts[1]
    await devnet.send_and_mine(tron.trx.freeze_balance(first.address, 2_000_000, "ENERGY"), first)
    await devnet.send_and_mine(tron.trx.freeze_balance(second.address, 3_000_000), second)
    everything = (await devnet.get("devnet/transactions"))["transactions"]
    assert [entry["block"] for entry in everything] == [1, 2]
    assert everything[0]["type"] == "FreezeBalanceV2Contract"
    assert everything[0]["owner"] == first.address
    assert len(everything[0]["txid"]) == 64
    mine = await devnet.get("devnet/transactions", {"owner": second.address})
    assert [entry["owner"] for entry in mine["transactions"]] == [second.address]
    later = await devnet.get("devnet/transactions", {"since_block": 2})
    assert [entry["block"] for entry in later["transactions"]] == [2]
    async with httpx.AsyncClient() as client:
        bad = await client.get(f"{devnet.url}/devnet/transactions", params={"owner": "x"})
    assert bad.status_code == 400


async def test_state(devnet: Devnet) -> None:
    await devnet.mine(2)
    state = await devnet.state()
    assert state["head"]["number"] == 2
    assert state["solid"]["number"] == 0
    assert state["pending"] == 0
    assert isinstance(state["chain_time_ms"], int)
    addresses = {entry["address"] for entry in state["accounts"]}
    assert {account.address for account in devnet.accounts} <= addresses
    assert len(state["witnesses"]) == 30
    assert state["witnesses"][0]["address"].startswith("T")


def test_no_admin_hides_devnet_endpoints() -> None:
    with start(admin=False) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/devnet/mine", json={"blocks": 1}).status_code == 404
        assert client.get("/devnet/state").status_code == 404
        assert client.post("/devnet/faults", json={"rules": []}).status_code == 404
        info = client.post("/wallet/getnodeinfo", json={})
        assert info.json()["block"].startswith("Num:0,")


def test_block_producer_follows_wall_clock() -> None:
    with start(block_interval_ms=100) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(100):
            head = client.post("/wallet/getnowblock").json()
            if head["block_header"]["raw_data"].get("number", 0) >= 3:
                break
            time.sleep(0.05)
        raw = head["block_header"]["raw_data"]
        assert raw["number"] >= 3
        one = client.post("/wallet/getblockbynum", json={"num": 1}).json()
        two = client.post("/wallet/getblockbynum", json={"num": 2}).json()
        step = (
            two["block_header"]["raw_data"]["timestamp"]
            - one["block_header"]["raw_data"]["timestamp"]
        )
        assert step == 3000
        mined = client.post("/devnet/mine", json={"blocks": 1}).json()
        assert mined["head"] >= raw["number"] + 1
