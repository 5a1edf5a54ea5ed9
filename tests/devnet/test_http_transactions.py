"""Transactions over real HTTP: tronpy flows, builders, sign weight, broadcast bodies."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tronpy import AsyncTron
from tronpy.exceptions import BadSignature, TaposError, TransactionError, ValidationError

from tests.support.devnet import Devnet
from tron_devnet import codec, crypto

pytestmark = pytest.mark.anyio

VALIDATE_EXCEPTION = "class org.tron.core.exception.ContractValidateException : "


async def test_tronpy_freeze_mine_transaction_info(devnet: Devnet, tron: AsyncTron) -> None:
    account = devnet.accounts[0]
    builder = tron.trx.freeze_balance(account.address, 1_000_000_000, "ENERGY")
    ret = await devnet.send(builder, account)
    assert ret["result"] is True
    assert len(ret.txid) == 64
    # pending: gettransactionbyid shows it with its ret, as java-tron does (the result is set
    # before the transaction store put); only gettransactioninfobyid proves inclusion
    pending = await tron.get_transaction(ret.txid)
    assert pending["ret"] == [{"contractRet": "SUCCESS"}]
    assert pending["txID"] == ret.txid
    assert await devnet.post("wallet/gettransactioninfobyid", {"value": ret.txid}) == {}
    assert await devnet.post("walletsolidity/gettransactionbyid", {"value": ret.txid}) == {}
    await devnet.mine(1)
    info = await ret.wait(timeout=10, interval=0.2)
    assert info["id"] == ret.txid
    assert info["blockNumber"] == 1
    assert info["contractResult"] == [""]
    assert info["receipt"] == {"net_usage": 254}
    packed = await tron.get_transaction(ret.txid)
    assert packed["ret"] == [{"contractRet": "SUCCESS"}]
    assert packed["txID"] == ret.txid
    assert packed["raw_data"]["contract"][0]["parameter"]["value"]["owner_address"] == (
        account.address
    )
    assert crypto.sha256(bytes.fromhex(packed["raw_data_hex"])).hex() == ret.txid
    account_json = await tron.get_account(account.address)
    assert account_json["frozenV2"][1] == {"type": "ENERGY", "amount": 1_000_000_000}
    block = await tron.get_block(1)
    assert [tx["txID"] for tx in block["transactions"]] == [ret.txid]
    # not solid yet
    assert await devnet.post("walletsolidity/gettransactioninfobyid", {"value": ret.txid}) == {}
    await devnet.mine(19)
    solid_info = await tron.get_solid_transaction_info(ret.txid)
    assert solid_info["id"] == ret.txid
    assert (await tron.get_solid_transaction(ret.txid))["txID"] == ret.txid


async def test_solid_reads_lag_the_head(devnet: Devnet, tron: AsyncTron) -> None:
    account = devnet.accounts[4]
    query = {"address": account.address, "visible": True}
    before = (await devnet.post("walletsolidity/getaccount", query))["balance"]
    await devnet.send_and_mine(tron.trx.freeze_balance(account.address, 9_000_000), account)
    head_view = await devnet.post("wallet/getaccount", query)
    assert head_view["balance"] == before - 9_000_000
    assert (await devnet.post("walletsolidity/getaccount", query))["balance"] == before
    await devnet.mine(19)
    assert (await devnet.post("walletsolidity/getaccount", query))["balance"] == before - 9_000_000


async def test_tronpy_stake_cycle(devnet: Devnet, tron: AsyncTron) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    trx = tron.trx
    info = await devnet.send_and_mine(
        trx.freeze_balance(owner.address, 2_000_000_000, "BANDWIDTH"), owner
    )
    assert info["blockNumber"] == 1
    info = await devnet.send_and_mine(
        trx.delegate_resource(owner.address, receiver.address, 500_000_000, "BANDWIDTH"), owner
    )
    delegated = await tron.get_delegated_resource_v2(owner.address, receiver.address)
    assert delegated["delegatedResource"][0]["frozen_balance_for_bandwidth"] == 500_000_000
    assert delegated["delegatedResource"][0]["from"] == owner.address
    info = await devnet.send_and_mine(
        trx.undelegate_resource(owner.address, receiver.address, 500_000_000, "BANDWIDTH"), owner
    )
    witness = devnet.witnesses[0]
    info = await devnet.send_and_mine(
        trx.vote_witness(owner.address, (witness.address, 100)), owner
    )
    account = await tron.get_account(owner.address)
    assert account["votes"] == [{"vote_address": witness.address, "vote_count": 100}]
    info = await devnet.send_and_mine(
        trx.unfreeze_balance(owner.address, "BANDWIDTH", unfreeze_balance=1_000_000_000), owner
    )
    account = await tron.get_account(owner.address)
    assert account["unfrozenV2"][0]["unfreeze_amount"] == 1_000_000_000
    info = await devnet.send_and_mine(
        trx.transfer(owner.address, devnet.accounts[3].address, 1_000_000), owner
    )
    assert info["blockNumber"] == 6
    # CancelAllUnfreezeV2 is not in tronpy's builder: build it on the node.
    built = await devnet.post(
        "wallet/cancelallunfreezev2", {"owner_address": owner.address, "visible": True}
    )
    tx = await _sign_built(devnet, built, owner.private_key)
    result = await devnet.post("wallet/broadcasttransaction", tx)
    assert result == {"result": True, "txid": built["txID"]}
    await devnet.mine(1)
    info = await tron.get_transaction_info(built["txID"])
    assert info["cancel_unfreezeV2_amount"] == [
        {"key": "ENERGY", "value": 0},
        {"key": "TRON_POWER", "value": 0},
        {"key": "BANDWIDTH", "value": 1_000_000_000},
    ]


async def _sign_built(devnet: Devnet, built: dict[str, Any], private_key: str) -> dict[str, Any]:
    signature = crypto.sign(bytes.fromhex(built["txID"]), bytes.fromhex(private_key))
    return {**built, "signature": [signature.hex()]}


async def test_builder_response_shape_and_refs(devnet: Devnet) -> None:
    await devnet.mine(3)
    owner = devnet.accounts[0]
    before_ms = int(time.time() * 1000)
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": 5_000_000, "resource": "ENERGY"},
    )
    assert list(built) == ["visible", "txID", "raw_data", "raw_data_hex"]
    assert built["visible"] is False
    head = await devnet.post("wallet/getnowblock")
    head_id = head["blockID"]
    head_time = head["block_header"]["raw_data"]["timestamp"]
    raw = built["raw_data"]
    assert raw["ref_block_bytes"] == head_id[12:16]
    assert raw["ref_block_hash"] == head_id[16:32]
    assert raw["expiration"] == head_time + 60_000
    assert raw["timestamp"] >= before_ms
    value = raw["contract"][0]["parameter"]["value"]
    assert value == {
        "owner_address": owner.hex_address,
        "frozen_balance": 5_000_000,
        "resource": "ENERGY",
    }
    assert crypto.sha256(bytes.fromhex(built["raw_data_hex"])).hex() == built["txID"]
    again = codec.parse_transaction_json(built, visible=False)
    assert again.txid.hex() == built["txID"]
    # java-tron's Permission_id on a builder body
    built2 = await devnet.post(
        "wallet/freezebalancev2",
        {
            "owner_address": owner.address,
            "frozen_balance": 10**6,
            "visible": True,
            "Permission_id": 2,
        },
    )
    assert built2["raw_data"]["contract"][0]["Permission_id"] == 2
    assert built2["raw_data"]["contract"][0]["parameter"]["value"]["owner_address"] == owner.address


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "wallet/freezebalancev2",
            {"frozen_balance": 0, "resource": "ENERGY"},
            "frozenBalance must be positive",
        ),
        (
            "wallet/unfreezebalancev2",
            {"unfreeze_balance": 1_000_000, "resource": "ENERGY"},
            "no frozenBalance(Energy)",
        ),
        ("wallet/withdrawexpireunfreeze", {}, "no unFreeze balance to withdraw "),
        ("wallet/cancelallunfreezev2", {}, "No unfreezeV2 list to cancel"),
        (
            "wallet/delegateresource",
            {"balance": 1_000_000, "resource": "ENERGY", "receiver": 1},
            "delegateBalance must be less than or equal to available FreezeEnergyV2 balance",
        ),
        (
            "wallet/undelegateresource",
            {"balance": 1, "receiver": 1},
            "delegated Resource does not exist",
        ),
        (
            "wallet/votewitnessaccount",
            {"votes": [{"vote_address": "witness", "vote_count": 100}]},
            "The total number of votes[100000000] is greater than the tronPower[0]",
        ),
    ],
)
async def test_builder_validation_errors(
    devnet: Devnet, path: str, body: dict[str, Any], message: str
) -> None:
    payload: dict[str, Any] = {"owner_address": devnet.accounts[0].address, "visible": True}
    for key, value in body.items():
        if key == "receiver":
            payload["receiver_address"] = devnet.accounts[1].address
        elif key == "votes":
            payload["votes"] = [
                {"vote_address": devnet.witnesses[0].address, "vote_count": v["vote_count"]}
                for v in value
            ]
        else:
            payload[key] = value
    assert await devnet.post(path, payload) == {"Error": VALIDATE_EXCEPTION + message}


async def test_builder_for_unknown_owner(devnet: Devnet) -> None:
    unknown = crypto.private_key_to_address(crypto.derive_private_key("x", 1))
    body = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": unknown.hex(), "frozen_balance": 1_000_000, "resource": "ENERGY"},
    )
    assert body == {"Error": VALIDATE_EXCEPTION + f"Account[{unknown.hex()}] not exists"}


async def test_create_transaction_and_memo(devnet: Devnet) -> None:
    owner, to = devnet.accounts[0], devnet.accounts[1]
    built = await devnet.post(
        "wallet/createtransaction",
        {
            "owner_address": owner.address,
            "to_address": to.address,
            "amount": 1_000_000,
            "extra_data": "hello",
            "visible": True,
        },
    )
    assert built["visible"] is True
    assert built["raw_data"]["data"] == b"hello".hex()
    assert built["raw_data"]["contract"][0]["type"] == "TransferContract"


async def test_broadcast_failure_body_hex_and_visible(devnet: Devnet) -> None:
    owner = devnet.accounts[0]
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": 5_000_000, "resource": "ENERGY"},
    )
    # signed by the wrong key
    tx = await _sign_built(devnet, built, devnet.accounts[1].private_key)
    hex_body = await devnet.post("wallet/broadcasttransaction", tx)
    assert list(hex_body) == ["code", "message", "txid"]
    assert hex_body["code"] == "SIGERROR"
    assert hex_body["txid"] == built["txID"]
    text = bytes.fromhex(hex_body["message"]).decode()
    assert text.startswith("Validate signature error: ")
    visible_built = {
        **codec.transaction_to_json(codec.parse_transaction_json(tx, visible=False), visible=True),
        "visible": True,
    }
    visible_body = await devnet.post("wallet/broadcasttransaction", visible_built)
    assert visible_body["code"] == "SIGERROR"
    assert visible_body["message"] == text
    # properly signed: success body
    good = await _sign_built(devnet, built, owner.private_key)
    assert await devnet.post("wallet/broadcasttransaction", good) == {
        "result": True,
        "txid": built["txID"],
    }
    dup = await devnet.post("wallet/broadcasttransaction", good)
    assert dup["code"] == "DUP_TRANSACTION_ERROR"
    assert bytes.fromhex(dup["message"]).decode() == "Dup transaction."


async def test_broadcast_without_contract(devnet: Devnet) -> None:
    body = await devnet.post(
        "wallet/broadcasttransaction",
        {"raw_data": {"contract": [], "expiration": 1}, "signature": []},
    )
    assert body["code"] == "CONTRACT_VALIDATE_ERROR"
    assert bytes.fromhex(body["message"]).decode() == "Contract validate error : No contract!"


async def test_tronpy_error_mapping(devnet: Devnet, tron: AsyncTron) -> None:
    owner, other = devnet.accounts[0], devnet.accounts[1]
    with pytest.raises(
        ValidationError, match="frozenBalance must be greater than or equal to 1 TRX"
    ):
        await devnet.send(tron.trx.freeze_balance(owner.address, 10, "ENERGY"), owner)
    # wrong key (tronpy's own permission check bypassed)
    tx = await tron.trx.freeze_balance(owner.address, 10**6, "ENERGY").build()
    tx._permission = None
    tx.sign(other.key)
    with pytest.raises(BadSignature):
        await tx.broadcast()
    # expiration beyond head + 24 h
    builder = tron.trx.freeze_balance(owner.address, 10**6, "ENERGY")
    builder._raw_data["expiration"] = int(time.time() * 1000) + 25 * 3600 * 1000
    tx = await builder.build()
    tx.sign(owner.key)
    with pytest.raises(TransactionError, match="Transaction expired"):
        await tx.broadcast()
    # unknown reference block
    tx = await tron.trx.freeze_balance(owner.address, 2 * 10**6, "ENERGY").build()
    tx._raw_data["ref_block_hash"] = "11" * 8
    tx.txid = ""
    await tx.check_sign_weight()
    tx.sign(owner.key)
    with pytest.raises(TaposError):
        await tx.broadcast()


async def test_sign_weight_shapes(devnet: Devnet) -> None:
    owner = devnet.accounts[0]
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": 5_000_000, "resource": "ENERGY"},
    )
    unsigned = await devnet.post(
        "wallet/getsignweight",
        {"txID": "", "raw_data": built["raw_data"], "signature": [], "permission": None},
    )
    assert unsigned["permission"]["keys"] == [{"address": owner.hex_address, "weight": 1}]
    assert unsigned["result"] == {"code": "NOT_ENOUGH_PERMISSION"}
    inner = unsigned["transaction"]
    assert inner["result"] == {"result": True}
    assert inner["txid"] == built["txID"]
    assert inner["transaction"]["txID"] == built["txID"]
    assert inner["transaction"]["raw_data_hex"] == built["raw_data_hex"]
    signed = await devnet.post(
        "wallet/getsignweight", await _sign_built(devnet, built, owner.private_key)
    )
    assert signed["result"] == {}
    assert signed["current_weight"] == 1
    assert signed["approved_list"] == [owner.hex_address]
    # owner account missing
    stranger = crypto.private_key_to_address(crypto.derive_private_key("x", 9))
    raw = dict(built["raw_data"])
    raw["contract"] = [
        {
            **built["raw_data"]["contract"][0],
            "parameter": {
                "value": {"owner_address": stranger.hex(), "frozen_balance": 5_000_000},
                "type_url": "type.googleapis.com/protocol.FreezeBalanceV2Contract",
            },
        }
    ]
    missing = await devnet.post("wallet/getsignweight", {"raw_data": raw})
    assert missing["result"] == {"code": "PERMISSION_ERROR", "message": "Account does not exist!"}
    assert "permission" not in missing
    empty = await devnet.post("wallet/getsignweight", {"raw_data": {"contract": []}})
    assert empty["result"]["code"] == "OTHER_ERROR"


async def test_approved_list_shapes(devnet: Devnet) -> None:
    """``wallet/getapprovedlist`` as ``Wallet.getTransactionApprovedList`` builds it (java-tron
    source): signers in signature order, ``result`` ``{}`` on success (SUCCESS is proto3's
    default), the ``TransactionExtention`` appended like ``getsignweight``'s."""
    owner = devnet.accounts[0]
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": 5_000_000, "resource": "ENERGY"},
    )
    unsigned = await devnet.post("wallet/getapprovedlist", built)
    assert list(unsigned) == ["result", "transaction"]
    assert unsigned["result"] == {}
    assert unsigned["transaction"]["txid"] == built["txID"]
    signed = await devnet.post(
        "wallet/getapprovedlist", await _sign_built(devnet, built, owner.private_key)
    )
    assert signed["approved_list"] == [owner.hex_address]
    assert signed["result"] == {}
    short = await devnet.post("wallet/getapprovedlist", {**built, "signature": ["00" * 10]})
    assert short["result"] == {"code": "SIGNATURE_FORMAT_ERROR", "message": "Signature size is 10"}
    empty = await devnet.post("wallet/getapprovedlist", {"raw_data": {"contract": []}})
    assert empty["result"] == {
        "code": "OTHER_ERROR",
        "message": "Invalid transaction: no valid contract",
    }


async def test_broadcast_hex(devnet: Devnet) -> None:
    owner = devnet.accounts[0]
    built = await devnet.post(
        "wallet/freezebalancev2",
        {"owner_address": owner.hex_address, "frozen_balance": 7_000_000, "resource": "BANDWIDTH"},
    )
    signed = await _sign_built(devnet, built, owner.private_key)
    tx = codec.parse_transaction_json(signed, visible=False)
    body = await devnet.post(
        "wallet/broadcasthex", {"transaction": codec.encode_signed_transaction(tx).hex()}
    )
    assert body["result"] is True
    assert body["code"] == "SUCCESS"
    assert body["txid"] == built["txID"]
    assert isinstance(body["transaction"], str)
    again = await devnet.post(
        "wallet/broadcasthex", {"transaction": codec.encode_signed_transaction(tx).hex()}
    )
    assert again["result"] is False
    assert again["code"] == "DUP_TRANSACTION_ERROR"
    assert again["message"] == "Dup transaction."


async def test_accept_get_for_sign_weight_is_empty(devnet: Devnet) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{devnet.url}/wallet/getsignweight")
    assert response.status_code == 200
    assert response.content == b""
