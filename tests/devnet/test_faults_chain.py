"""Faults of the chain itself, over HTTP: ``lag`` and ``empty`` reads and ``POST /devnet/reorg``.

A lagging node answers from the block ``lag_blocks`` behind the head (so a just-included
transaction stays invisible for that many blocks); an unsynced node answers ``{}``; a reorg
replaces non-solid blocks, re-packs their transactions in a later block or, for dropped ones,
forgets them as if never broadcast.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.devnet import Devnet
from tron_devnet import crypto

pytestmark = pytest.mark.anyio

TRX = 1_000_000
FRESH = crypto.private_key_to_address(crypto.derive_private_key("reorg-test", 0))
FRESH_B58 = crypto.address_to_base58(FRESH)


async def _signed(devnet: Devnet, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A node-built transaction of account 0, signed (expiration from the head's time)."""
    owner = devnet.accounts[0]
    built = await devnet.post(path, {"owner_address": owner.address, "visible": True, **body})
    assert "Error" not in built, built
    signature = crypto.sign(bytes.fromhex(built["txID"]), bytes.fromhex(owner.private_key))
    return {**built, "signature": [signature.hex()]}


async def _broadcast(devnet: Devnet, tx: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await devnet.post("wallet/broadcasttransaction", tx)
    return result


async def _freeze(devnet: Devnet, amount_sun: int) -> str:
    tx = await _signed(
        devnet, "wallet/freezebalancev2", {"frozen_balance": amount_sun, "resource": "ENERGY"}
    )
    assert (await _broadcast(devnet, tx))["result"] is True
    return str(tx["txID"])


async def _account(devnet: Devnet, address: str) -> dict[str, Any]:
    result: dict[str, Any] = await devnet.post(
        "wallet/getaccount", {"address": address, "visible": True}
    )
    return result


async def _info(devnet: Devnet, txid: str) -> dict[str, Any]:
    result: dict[str, Any] = await devnet.post("wallet/gettransactioninfobyid", {"value": txid})
    return result


async def _reorg(devnet: Devnet, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{devnet.url}/devnet/reorg", json=body)


# ---------------------------------------------------------------------------------- lag


async def test_lag_hides_a_just_included_transaction_for_k_blocks(devnet: Devnet) -> None:
    owner = devnet.accounts[0].address
    await devnet.mine(2)
    txid = await _freeze(devnet, 10 * TRX)
    included = (await devnet.mine(1))["head"]
    assert (await _info(devnet, txid))["blockNumber"] == included
    assert (await _account(devnet, owner))["frozenV2"][1] == {"type": "ENERGY", "amount": 10 * TRX}
    lag_blocks = 3
    await devnet.faults(
        {"path": "wallet/getaccount", "mode": "lag", "lag_blocks": lag_blocks},
        {"path": "wallet/gettransactioninfobyid", "mode": "lag", "lag_blocks": lag_blocks},
        {"path": "wallet/getnowblock", "mode": "lag", "lag_blocks": lag_blocks},
    )
    for behind in range(lag_blocks):
        head = (await devnet.post("wallet/getnowblock"))["block_header"]["raw_data"]
        assert head.get("number", 0) == included + behind - lag_blocks
        assert (await _account(devnet, owner))["frozenV2"][1] == {"type": "ENERGY"}
        assert await _info(devnet, txid) == {}
        await devnet.mine(1)
    head = (await devnet.post("wallet/getnowblock"))["block_header"]["raw_data"]
    assert head["number"] == included
    assert (await _account(devnet, owner))["frozenV2"][1] == {"type": "ENERGY", "amount": 10 * TRX}
    assert (await _info(devnet, txid))["blockNumber"] == included
    rules = (await devnet.get("devnet/faults"))["rules"]
    assert [rule["lag_blocks"] for rule in rules] == [lag_blocks] * 3


async def test_lag_never_reads_below_the_solid_block(devnet: Devnet) -> None:
    await devnet.mine(25)  # solid = 6
    await devnet.faults({"path": "wallet/getnowblock", "mode": "lag", "lag_blocks": 1000})
    head = await devnet.post("wallet/getnowblock")
    assert head == await devnet.post("walletsolidity/getnowblock")


async def test_lag_rule_needs_lag_blocks(devnet: Devnet) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{devnet.url}/devnet/faults",
            json={"rules": [{"path": "wallet/getaccount", "mode": "lag"}]},
        )
    assert response.status_code == 400
    assert "lag_blocks" in response.json()["Error"]


# ---------------------------------------------------------------------------------- empty


async def test_empty_answers_empty_object(devnet: Devnet) -> None:
    owner = devnet.accounts[0].address
    await devnet.faults({"path": "wallet/getaccount", "mode": "empty", "count": 2})
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{devnet.url}/wallet/getaccount", json={"address": owner, "visible": True}
        )
    assert (response.status_code, response.json()) == (200, {})
    assert response.headers["content-type"].startswith("application/json")
    assert await _account(devnet, owner) == {}
    assert (await _account(devnet, owner))["address"] == owner


# ---------------------------------------------------------------------------------- reorg


async def test_reorg_with_drop_forgets_the_transaction_and_restores_balances(
    devnet: Devnet,
) -> None:
    owner = devnet.accounts[0].address
    await devnet.mine(2)
    before = await _account(devnet, owner)
    tx = await _signed(
        devnet, "wallet/createtransaction", {"to_address": FRESH_B58, "amount": 5 * TRX}
    )
    assert (await _broadcast(devnet, tx))["result"] is True
    included = (await devnet.mine(1))["head"]
    assert (await _info(devnet, tx["txID"]))["blockNumber"] == included
    assert (await _account(devnet, FRESH_B58))["balance"] == 5 * TRX
    assert (await _account(devnet, owner))["balance"] < before["balance"] - 5 * TRX  # + fees

    response = await _reorg(devnet, {"depth": 1, "drop": [tx["txID"]]})
    assert response.status_code == 200
    result = response.json()
    assert result["replaced"] == [included]
    assert result["dropped"] == [tx["txID"]]
    assert result["repacked"] == []
    assert result["head"] == included + 1
    assert await _info(devnet, tx["txID"]) == {}
    assert await devnet.post("wallet/gettransactionbyid", {"value": tx["txID"]}) == {}
    assert await _account(devnet, FRESH_B58) == {}
    assert (await _account(devnet, owner))["balance"] == before["balance"]
    packed = (await devnet.get("devnet/transactions"))["transactions"]
    assert tx["txID"] not in {entry["txid"] for entry in packed}
    # it "never was broadcast": the same signed bytes are accepted again
    assert (await _broadcast(devnet, tx))["result"] is True


async def test_reorg_without_drop_repacks_in_a_later_block(devnet: Devnet) -> None:
    owner = devnet.accounts[0].address
    await devnet.mine(2)
    txid = await _freeze(devnet, 7 * TRX)
    included = (await devnet.mine(1))["head"]
    old_block = await devnet.post("wallet/getblockbynum", {"num": included})
    frozen_before = (await _account(devnet, owner))["frozenV2"]
    balance_before = (await _account(devnet, owner))["balance"]

    response = await _reorg(devnet, {"depth": 1})
    assert response.status_code == 200
    result = response.json()
    assert result["repacked"] == [{"txid": txid, "block": included + 1}]
    info = await _info(devnet, txid)
    assert info["blockNumber"] == included + 1
    assert info["blockTimeStamp"] > old_block["block_header"]["raw_data"]["timestamp"]
    replaced = await devnet.post("wallet/getblockbynum", {"num": included})
    assert replaced["blockID"] != old_block["blockID"]
    assert "transactions" not in replaced
    repacked_block = await devnet.post("wallet/getblockbynum", {"num": included + 1})
    assert [t["txID"] for t in repacked_block["transactions"]] == [txid]
    assert repacked_block["block_header"]["raw_data"]["parentHash"] == replaced["blockID"]
    assert (await _account(devnet, owner))["frozenV2"] == frozen_before
    assert (await _account(devnet, owner))["balance"] == balance_before
    packed = (await devnet.get("devnet/transactions"))["transactions"]
    assert [(e["txid"], e["block"]) for e in packed] == [(txid, included + 1)]


async def test_reorg_keeps_chain_time_monotonic(devnet: Devnet) -> None:
    await devnet.mine(5)
    old_head = await devnet.post("wallet/getnowblock")
    old_time = old_head["block_header"]["raw_data"]["timestamp"]
    result = (await _reorg(devnet, {"depth": 3})).json()
    assert result["replaced"] == [3, 4, 5]
    assert result["head"] == 6
    assert result["head_time_ms"] == old_time + 4 * 3000
    times = [
        (await devnet.post("wallet/getblockbynum", {"num": n}))["block_header"]["raw_data"][
            "timestamp"
        ]
        for n in range(1, 7)
    ]
    assert times == sorted(times)
    assert times[2] == old_time + 3000


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"depth": 4}, "solid block"),
        ({"depth": 0}, "depth must be >= 1"),
        ({"depth": 1, "drop": ["00" * 32]}, "neither in the replaced blocks nor pending"),
        ({"depth": 1, "drop": ["xyz"]}, "not a txid"),
        ({}, "depth must be an integer"),
    ],
)
async def test_reorg_refusals(devnet: Devnet, body: dict[str, Any], fragment: str) -> None:
    await devnet.mine(3)  # solid block 0: three blocks above it
    before = await devnet.post("wallet/getnowblock")
    response = await _reorg(devnet, body)
    assert response.status_code == 400
    assert fragment in response.json()["Error"]
    assert await devnet.post("wallet/getnowblock") == before


async def test_reorg_cannot_reach_the_solid_block(devnet: Devnet) -> None:
    await devnet.mine(25)  # head 25, solid 6: 19 blocks above the solid one
    assert (await _reorg(devnet, {"depth": 20})).status_code == 400
    assert (await _reorg(devnet, {"depth": 19})).status_code == 200
    solid = await devnet.post("walletsolidity/getnowblock")
    assert solid["block_header"]["raw_data"]["number"] == 7  # the longer fork moved the head
