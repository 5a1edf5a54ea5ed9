"""Block and chain-clock endpoints that TronWeb and tronpy call, against java-tron's servlets.

Shapes follow java-tron's source (tronprotocol/java-tron, framework/.../services/http):
``GetBlockServlet`` + ``Wallet.getBlock`` (the head when ``id_or_num`` is absent, transactions
cleared unless ``detail``; ``{"Error": <IllegalArgumentException message>}`` for a bad id or a
negative number; ``{}`` past the head), ``GetNextMaintenanceTimeServlet`` (``NumberMessage``
``{"num": ms}``), ``GetBlockByLatestNumServlet`` / ``GetBlockByLimitNextServlet``
(``Util.printBlockList``: ``{"block": [...]}`` ascending by number, ``{}`` outside
``0 < n < 100`` / ``0 < end - start <= 100``), ``GetTransactionInfoByBlockNumServlet`` (a JSON
array of ``TransactionInfo``, ``{}`` for ``num <= 0``), ``GetBandwidthPricesServlet`` /
``GetEnergyPricesServlet`` (``{"prices": "0:<fee>"}``, java-tron's default price history
``DynamicPropertiesStore.DEFAULT_*_PRICE_HISTORY``) and ``ListNodesServlet`` (an empty
``NodeList`` prints ``{}``). A pending transaction carries ``ret`` (``Manager.processTransaction``
sets the result before ``TransactionStore.put``) while its info stays ``{}`` until packed.
GET parameters of the block-list servlets go through ``Long.parseLong`` (``Util.processError``:
``{"Error": "class java.lang.NumberFormatException : <message>"}``, ``null`` when absent).
"""

from __future__ import annotations

from typing import Any

import pytest
from tronpy import AsyncTron

from tests.support.devnet import Devnet

pytestmark = pytest.mark.anyio

SUN_PER_TRX = 1_000_000


async def _transfer(devnet: Devnet, tron: AsyncTron, amount_sun: int) -> str:
    """Broadcast a transfer from account 0 to account 1 (not mined); returns its txid."""
    sender, receiver = devnet.accounts[0], devnet.accounts[1]
    builder = tron.trx.transfer(sender.address, receiver.address, amount_sun)
    ret = await devnet.send(builder, sender)
    return str(ret.txid)


async def test_getblock_without_id_is_head_without_transactions(
    devnet: Devnet, tron: AsyncTron
) -> None:
    await devnet.mine(3)
    txid = await _transfer(devnet, tron, SUN_PER_TRX)
    await devnet.mine(1)
    head = await devnet.post("wallet/getnowblock")
    assert [tx["txID"] for tx in head["transactions"]] == [txid]
    header_only = await devnet.post("wallet/getblock", {"detail": False})
    assert header_only == {"blockID": head["blockID"], "block_header": head["block_header"]}
    assert await devnet.post("wallet/getblock") == header_only
    assert await devnet.get("wallet/getblock") == header_only
    detailed = await devnet.post("wallet/getblock", {"detail": True})
    assert detailed == head
    raw = header_only["block_header"]["raw_data"]
    assert raw["number"] == 4
    assert raw["version"] == 32
    assert set(raw) == {
        "number",
        "txTrieRoot",
        "witness_address",
        "parentHash",
        "version",
        "timestamp",
    }


async def test_getblock_by_number_and_id(devnet: Devnet) -> None:
    await devnet.mine(5)
    by_num = await devnet.post("wallet/getblockbynum", {"num": 2})
    assert await devnet.post("wallet/getblock", {"id_or_num": "2", "detail": True}) == by_num
    assert await devnet.get("wallet/getblock", {"id_or_num": "2", "detail": "true"}) == by_num
    block_id = by_num["blockID"]
    assert await devnet.post("wallet/getblock", {"id_or_num": block_id}) == by_num
    visible = await devnet.post("wallet/getblock", {"id_or_num": "2", "visible": True})
    assert visible["block_header"]["raw_data"]["witness_address"].startswith("T")
    assert await devnet.get("wallet/getblock", {"id_or_num": "0"}) == await devnet.post(
        "wallet/getblockbynum", {"num": 0}
    )


@pytest.mark.parametrize(
    ("id_or_num", "expected"),
    [
        ("6", {}),
        ("99999999", {}),
        ("-1", {"Error": "num must be non-positive number."}),
        ("abc", {"Error": "id must be legal block hash."}),
        ("zz" * 32, {"Error": "id must be legal block hash."}),
        ("00000000000000ff" + "00" * 24, {"Error": "id must be legal block hash."}),
        ("0000000000000003" + "00" * 24, {}),
    ],
)
async def test_getblock_errors_and_absent(
    devnet: Devnet, id_or_num: str, expected: dict[str, Any]
) -> None:
    await devnet.mine(5)
    assert await devnet.post("wallet/getblock", {"id_or_num": id_or_num}) == expected


async def test_solidity_getblock_answers_from_the_solid_block(devnet: Devnet) -> None:
    await devnet.mine(25)  # solid = 25 - 19 = 6
    solid = await devnet.post("walletsolidity/getnowblock")
    assert await devnet.post("walletsolidity/getblock") == solid
    assert solid["block_header"]["raw_data"]["number"] == 6
    assert await devnet.post("walletsolidity/getblock", {"id_or_num": "7"}) == {}
    head_id = (await devnet.post("wallet/getnowblock"))["blockID"]
    assert await devnet.post("walletsolidity/getblock", {"id_or_num": head_id}) == {
        "Error": "id must be legal block hash."
    }


async def test_next_maintenance_time_follows_the_chain_clock(devnet: Devnet) -> None:
    genesis_ms = devnet.server.chain.genesis.genesis_time_ms
    interval_ms = 6 * 3600 * 1000
    await devnet.mine(1)  # block 1 schedules the first maintenance
    first = await devnet.get("wallet/getnextmaintenancetime")
    assert set(first) == {"num"}
    assert first["num"] > genesis_ms
    assert (first["num"] - genesis_ms) % interval_ms == 0
    assert await devnet.post("wallet/getnextmaintenancetime") == first
    await devnet.advance_time(6 * 3600)
    await devnet.mine(1)
    second = await devnet.post("wallet/getnextmaintenancetime", {})
    assert second["num"] == first["num"] + interval_ms


async def test_block_by_latest_num(devnet: Devnet) -> None:
    await devnet.mine(5)
    expected = [await devnet.post("wallet/getblockbynum", {"num": n}) for n in (3, 4, 5)]
    assert await devnet.post("wallet/getblockbylatestnum", {"num": 3}) == {"block": expected}
    assert await devnet.get("wallet/getblockbylatestnum", {"num": "3"}) == {"block": expected}
    everything = await devnet.post("wallet/getblockbylatestnum", {"num": 99})
    assert [b["block_header"]["raw_data"].get("number", 0) for b in everything["block"]] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]
    for num in (0, -1, 100):
        assert await devnet.post("wallet/getblockbylatestnum", {"num": num}) == {}
    assert await devnet.get("wallet/getblockbylatestnum") == {
        "Error": "class java.lang.NumberFormatException : null"
    }


async def test_block_by_limit_next(devnet: Devnet) -> None:
    await devnet.mine(5)
    blocks = [await devnet.post("wallet/getblockbynum", {"num": n}) for n in range(6)]
    body = {"startNum": 1, "endNum": 4}
    assert await devnet.post("wallet/getblockbylimitnext", body) == {"block": blocks[1:4]}
    query = {"startNum": "4", "endNum": "10"}
    assert await devnet.get("wallet/getblockbylimitnext", query) == {"block": blocks[4:6]}
    far = {"startNum": 50, "endNum": 60}
    assert await devnet.post("wallet/getblockbylimitnext", far) == {"block": []}
    for start, end in ((3, 3), (4, 2), (0, 101), (-5, 0)):
        limits = {"startNum": start, "endNum": end}
        assert await devnet.post("wallet/getblockbylimitnext", limits) == {}
    assert await devnet.get("wallet/getblockbylimitnext", {"startNum": "x", "endNum": "2"}) == {
        "Error": 'class java.lang.NumberFormatException : For input string: "x"'
    }


async def test_block_lists_on_solidity_stop_at_the_solid_block(devnet: Devnet) -> None:
    await devnet.mine(25)  # solid 6
    latest = await devnet.post("walletsolidity/getblockbylatestnum", {"num": 2})
    assert [b["block_header"]["raw_data"]["number"] for b in latest["block"]] == [5, 6]
    limited = await devnet.post("walletsolidity/getblockbylimitnext", {"startNum": 5, "endNum": 9})
    assert [b["block_header"]["raw_data"]["number"] for b in limited["block"]] == [5, 6]


async def test_transaction_info_by_block_num(devnet: Devnet, tron: AsyncTron) -> None:
    await devnet.mine(1)
    first = await _transfer(devnet, tron, SUN_PER_TRX)
    second = await _transfer(devnet, tron, 2 * SUN_PER_TRX)
    await devnet.mine(1)
    infos = await devnet.post("wallet/gettransactioninfobyblocknum", {"num": 2})
    assert infos == [
        await devnet.post("wallet/gettransactioninfobyid", {"value": txid})
        for txid in (first, second)
    ]
    assert [info["blockNumber"] for info in infos] == [2, 2]
    assert await devnet.get("wallet/gettransactioninfobyblocknum", {"num": "2"}) == infos
    assert await devnet.post("wallet/gettransactioninfobyblocknum", {"num": 1}) == []
    assert await devnet.post("wallet/gettransactioninfobyblocknum", {"num": 99}) == []
    assert await devnet.post("wallet/gettransactioninfobyblocknum", {"num": 0}) == {}
    assert await devnet.post("walletsolidity/gettransactioninfobyblocknum", {"num": 2}) == []
    await devnet.mine(19)
    solid = await devnet.post("walletsolidity/gettransactioninfobyblocknum", {"num": 2})
    assert solid == infos


async def test_prices_and_nodes(devnet: Devnet) -> None:
    parameters = (await devnet.post("wallet/getchainparameters"))["chainParameter"]
    by_key = {entry["key"]: entry.get("value", 0) for entry in parameters}
    bandwidth = {"prices": f"0:{by_key['getTransactionFee']}"}
    energy = {"prices": f"0:{by_key['getEnergyFee']}"}
    for prefix in ("wallet", "walletsolidity"):
        assert await devnet.post(f"{prefix}/getbandwidthprices") == bandwidth
        assert await devnet.get(f"{prefix}/getenergyprices") == energy
    assert await devnet.get("wallet/listnodes") == {}
    assert await devnet.post("wallet/listnodes") == {}


async def test_pending_transaction_has_ret_but_no_receipt(devnet: Devnet, tron: AsyncTron) -> None:
    await devnet.mine(1)
    txid = await _transfer(devnet, tron, SUN_PER_TRX)
    pending = await devnet.post("wallet/gettransactionbyid", {"value": txid})
    assert pending["ret"] == [{"contractRet": "SUCCESS"}]
    assert await devnet.post("wallet/gettransactioninfobyid", {"value": txid}) == {}
    assert await devnet.post("walletsolidity/gettransactionbyid", {"value": txid}) == {}
    await devnet.mine(1)
    packed = await devnet.post("wallet/gettransactionbyid", {"value": txid})
    assert packed == pending
    assert (await devnet.post("wallet/gettransactioninfobyid", {"value": txid}))["blockNumber"] == 2
