"""Read endpoints over real HTTP: shapes of present and absent data (reference §6, §10)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tronpy import AsyncTron
from tronpy.exceptions import AddressNotFound

from tests.support.devnet import Devnet
from tron_devnet import crypto

pytestmark = pytest.mark.anyio

UNKNOWN = crypto.private_key_to_address(crypto.derive_private_key("nobody", 0))
UNKNOWN_B58 = crypto.address_to_base58(UNKNOWN)


async def test_fresh_account_shape_visible(devnet: Devnet) -> None:
    account = devnet.accounts[0]
    body = await devnet.post("wallet/getaccount", {"address": account.address, "visible": True})
    assert body["address"] == account.address
    assert body["balance"] == 1_000_000 * 1_000_000
    assert body["frozenV2"] == [{}, {"type": "ENERGY"}, {"type": "TRON_POWER"}]
    assert body["net_window_size"] == 28_800_000
    assert body["net_window_optimized"] is True
    assert body["account_resource"] == {
        "energy_window_size": 28_800_000,
        "energy_window_optimized": True,
    }
    assert body["owner_permission"]["keys"] == [{"address": account.address, "weight": 1}]
    active = body["active_permission"][0]
    assert active["type"] == "Active"
    assert active["id"] == 2
    assert len(active["operations"]) == 64
    assert "unfrozenV2" not in body
    assert "votes" not in body


async def test_account_hex_without_visible(devnet: Devnet) -> None:
    account = devnet.accounts[0]
    body = await devnet.post("wallet/getaccount", {"address": account.hex_address})
    assert body["address"] == account.hex_address
    assert body["owner_permission"]["keys"][0]["address"] == account.hex_address


async def test_account_get_with_query(devnet: Devnet) -> None:
    account = devnet.accounts[1]
    body = await devnet.get("wallet/getaccount", {"address": account.address, "visible": "true"})
    assert body["address"] == account.address
    body = await devnet.get("wallet/getaccount", {"address": account.hex_address})
    assert body["address"] == account.hex_address


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("wallet/getaccount", {"address": UNKNOWN_B58, "visible": True}),
        ("wallet/getaccount", {"visible": True}),
        ("walletsolidity/getaccount", {"address": UNKNOWN_B58, "visible": True}),
        ("wallet/getaccountresource", {"address": UNKNOWN_B58, "visible": True}),
        ("wallet/getaccountnet", {"address": UNKNOWN_B58, "visible": True}),
        (
            "wallet/getdelegatedresourcev2",
            {"fromAddress": UNKNOWN_B58, "toAddress": UNKNOWN_B58, "visible": True},
        ),
        ("wallet/getavailableunfreezecount", {"owner_address": UNKNOWN_B58, "visible": True}),
        ("wallet/getcanwithdrawunfreezeamount", {"owner_address": UNKNOWN_B58, "visible": True}),
        (
            "wallet/getcandelegatedmaxsize",
            {"owner_address": UNKNOWN_B58, "type": 1, "visible": True},
        ),
        ("wallet/gettransactionbyid", {"value": "00" * 32, "visible": True}),
        ("wallet/gettransactioninfobyid", {"value": "00" * 32, "visible": True}),
        ("walletsolidity/gettransactioninfobyid", {"value": "00" * 32, "visible": True}),
        ("wallet/getblockbynum", {"num": 999_999}),
        ("wallet/getblockbyid", {"value": "00" * 32}),
        ("wallet/getdelegatedresourceaccountindexv2", {"value": "4100"}),
    ],
)
async def test_absent_shapes_are_empty_objects(
    devnet: Devnet, path: str, body: dict[str, Any]
) -> None:
    assert await devnet.post(path, body) == {}


async def test_fresh_account_stake_queries(devnet: Devnet) -> None:
    """E4: a funded account with no stake."""
    address = devnet.accounts[0].address
    owner = {"owner_address": address, "visible": True}
    assert await devnet.post("wallet/getavailableunfreezecount", owner) == {"count": 32}
    assert await devnet.post("wallet/getcanwithdrawunfreezeamount", owner) == {}
    assert await devnet.post("wallet/getcandelegatedmaxsize", {**owner, "type": 1}) == {}
    other = devnet.accounts[1].address
    pair = {"fromAddress": address, "toAddress": other, "visible": True}
    assert await devnet.post("wallet/getdelegatedresourcev2", pair) == {}
    index = await devnet.post(
        "wallet/getdelegatedresourceaccountindexv2", {"value": address, "visible": True}
    )
    assert index == {"account": address}
    hex_index = await devnet.post(
        "wallet/getdelegatedresourceaccountindexv2", {"value": devnet.accounts[0].hex_address}
    )
    assert hex_index == {"account": devnet.accounts[0].hex_address}
    unknown = await devnet.post(
        "wallet/getdelegatedresourceaccountindexv2", {"value": UNKNOWN_B58, "visible": True}
    )
    assert unknown == {"account": UNKNOWN_B58}


async def test_account_resource_shape(devnet: Devnet, tron: AsyncTron) -> None:
    address = devnet.accounts[0].address
    body = await devnet.post("wallet/getaccountresource", {"address": address, "visible": True})
    assert body["freeNetLimit"] == 600
    assert body["TotalNetLimit"] == 43_200_000_000
    assert body["TotalEnergyLimit"] == 180_000_000_000
    assert "NetLimit" not in body
    assert await tron.get_account_resource(address) == body
    assert await tron.get_bandwidth(address) == 600
    net = await devnet.post("wallet/getaccountnet", {"address": address, "visible": True})
    assert net == {"freeNetLimit": 600, "TotalNetLimit": 43_200_000_000}


async def test_tronpy_account_reads(devnet: Devnet, tron: AsyncTron) -> None:
    address = devnet.accounts[2].address
    account = await tron.get_account(address)
    assert account["address"] == address
    assert await tron.get_account_balance(address) == 1_000_000
    with pytest.raises(AddressNotFound):
        await tron.get_account(UNKNOWN_B58)
    with pytest.raises(AddressNotFound):
        await tron.get_account_resource(UNKNOWN_B58)
    assert await tron.get_delegated_resource_account_index_v2(address) == {"account": address}
    assert await tron.get_can_delegated_max_size(address, "ENERGY") == {}


async def test_reward_and_brokerage(devnet: Devnet) -> None:
    witness = devnet.witnesses[0]
    raw = await _raw_post(devnet, "wallet/getReward", {"address": devnet.accounts[0].address})
    assert raw == '{"reward": 0}\n'
    assert await devnet.post("wallet/getReward", {"address": UNKNOWN.hex()}) == {"reward": 0}
    assert await devnet.post("wallet/getReward", {}) == {"reward": 0}
    assert await devnet.post("wallet/getReward", {"address": "Tnotanaddress"}) == {"reward": 0}
    bad = await devnet.post("wallet/getReward", {"address": "41abc"})
    assert bad["Error"].startswith("INVALID address")
    assert await devnet.post("wallet/getBrokerage", {"address": witness.address}) == {
        "brokerage": 20
    }
    assert await devnet.get("walletsolidity/getBrokerage", {"address": witness.hex_address}) == {
        "brokerage": 20
    }
    assert await devnet.get("walletsolidity/getReward", {"address": witness.address}) == {
        "reward": 0
    }


async def test_reward_path_is_case_sensitive(devnet: Devnet) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{devnet.url}/wallet/getreward", json={})
    assert response.status_code == 404


async def test_list_witnesses_ignores_body_visible(devnet: Devnet, tron: AsyncTron) -> None:
    body = await devnet.post("wallet/listwitnesses", {"visible": True})
    witnesses = body["witnesses"]
    assert len(witnesses) == 30
    assert all(entry["address"].startswith("41") for entry in witnesses)
    jobs = [entry for entry in witnesses if entry.get("isJobs")]
    assert len(jobs) == 27
    visible = await devnet.get("wallet/listwitnesses", {"visible": "true"})
    assert visible["witnesses"][0]["address"].startswith("T")
    listed = await tron.list_witnesses()
    assert {entry["address"] for entry in listed} == {w.address for w in devnet.witnesses}


async def test_chain_parameters(devnet: Devnet, tron: AsyncTron) -> None:
    params = await tron.get_chain_parameters()
    by_key = {entry["key"]: entry.get("value") for entry in params}
    assert params[0] == {"key": "getMaintenanceTimeInterval", "value": 21_600_000}
    assert by_key["getUnfreezeDelayDays"] == 14
    assert by_key["getFreeNetLimit"] == 600
    assert by_key["getTransactionFee"] == 1000
    assert {"key": "getAllowNewResourceModel"} in params


async def test_node_info_and_blocks(devnet: Devnet, tron: AsyncTron) -> None:
    await devnet.mine(25)
    info = await tron.get_node_info()
    assert info["block"].startswith("Num:25,ID:")
    assert info["solidityBlock"].startswith("Num:6,ID:")
    assert await tron.get_latest_block_number() == 25
    assert await tron.get_latest_solid_block_number() == 6
    solid_id = await tron.get_latest_solid_block_id()
    assert int(solid_id[:16], 16) == 6
    head = await tron.get_latest_block()
    assert head["block_header"]["raw_data"]["number"] == 25
    block_id = head["blockID"]
    assert await tron.get_latest_block_id() == block_id
    assert (await tron.get_block(block_id))["blockID"] == block_id
    assert (await tron.get_block(25))["blockID"] == block_id
    by_num = await devnet.post("wallet/getblockbynum", {"num": 25, "visible": True})
    assert by_num["block_header"]["raw_data"]["witness_address"].startswith("T")
    assert by_num["block_header"]["raw_data"]["parentHash"] == (await tron.get_block(24))["blockID"]
    solid = await devnet.post("walletsolidity/getnowblock")
    assert solid["blockID"] == solid_id
    assert await devnet.post("walletsolidity/getblockbynum", {"num": 7}) == {}
    assert await devnet.post("walletsolidity/getblockbyid", {"value": block_id}) == {}
    got = await devnet.get("wallet/getblockbynum", {"num": "3"})
    assert got["block_header"]["raw_data"]["number"] == 3
    timestamps = [
        (await tron.get_block(n))["block_header"]["raw_data"]["timestamp"] for n in (1, 2)
    ]
    assert timestamps[1] - timestamps[0] == 3000


async def _raw_post(devnet: Devnet, path: str, body: object) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{devnet.url}/{path}", json=body)
    return response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("wallet/getaccount", b"{not json"),
        ("wallet/getaccount", b"[1, 2]"),
        ("wallet/getaccount", b'{"address": "Tnope", "visible": true}'),
        ("wallet/getaccount", b'{"address": "zz"}'),
        ("wallet/getaccountresource", b'{"address": 12}'),
        ("wallet/getcandelegatedmaxsize", b'{"owner_address": "41", "type": "x"}'),
        ("wallet/gettransactionbyid", b'{"value": "xyz"}'),
        ("wallet/broadcasttransaction", b'{"raw_data": 5}'),
        ("wallet/broadcasthex", b'{"transaction": "0aff"}'),
        ("wallet/getsignweight", b"{}"),
        ("wallet/freezebalancev2", b'{"owner_address": "Tnope", "visible": true}'),
        ("wallet/freezebalancev2", b'{"frozen_balance": "ten"}'),
    ],
)
async def test_malformed_input_answers_error_with_http_200(
    devnet: Devnet, path: str, body: bytes
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{devnet.url}/{path}", content=body)
    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"Error"}
    assert payload["Error"].startswith("class ")


async def test_unknown_paths_and_methods(devnet: Devnet) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{devnet.url}/wallet/nosuch", json={})).status_code == 404
        assert (await client.get(f"{devnet.url}/wallet/broadcasttransaction")).status_code == 405
        assert (await client.put(f"{devnet.url}/wallet/getaccount")).status_code == 405
