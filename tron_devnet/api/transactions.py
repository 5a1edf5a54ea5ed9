"""Transaction endpoints: node-side builders, ``getsignweight``, ``broadcasttransaction`` and
``broadcasthex``.

Builders validate the contract against the pending state (``Chain.validate_for_build``) and
answer java-tron's ``ContractValidateException`` text on failure; a built transaction
references the head block and expires 60 s after the head's time (chain time), stamped with
the node's wall clock as java-tron stamps it. Broadcasts answer ``GrpcAPI.Return`` as
``BroadcastServlet`` / ``BroadcastHexServlet`` print it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.responses import Response

from tron_devnet import codec
from tron_devnet.api.call import JSON_MEDIA_TYPE, Call, Handler, Node, int_param
from tron_devnet.codec import CodecError
from tron_devnet.engine.chain import ContractValidateError
from tron_devnet.render import render
from tron_devnet.types import (
    BroadcastResult,
    CancelAllUnfreezeV2Contract,
    ContractValue,
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    RawData,
    Transaction,
    TransferContract,
    UnDelegateResourceContract,
    UnfreezeBalanceV2Contract,
    VoteWitnessContract,
    WithdrawBalanceContract,
    WithdrawExpireUnfreezeContract,
)

NODE_EXPIRATION_MS: Final = 60_000  # java-tron's default trxExpirationTimeInMilliseconds
VALIDATE_EXCEPTION: Final = "org.tron.core.exception.ContractValidateException"
BUILDERS: Final[dict[str, type]] = {
    "wallet/createtransaction": TransferContract,
    "wallet/freezebalancev2": FreezeBalanceV2Contract,
    "wallet/unfreezebalancev2": UnfreezeBalanceV2Contract,
    "wallet/withdrawexpireunfreeze": WithdrawExpireUnfreezeContract,
    "wallet/cancelallunfreezev2": CancelAllUnfreezeV2Contract,
    "wallet/delegateresource": DelegateResourceContract,
    "wallet/undelegateresource": UnDelegateResourceContract,
    "wallet/votewitnessaccount": VoteWitnessContract,
    "wallet/withdrawbalance": WithdrawBalanceContract,
}


def _transaction(call: Call) -> Transaction:
    return codec.parse_transaction_json(call.params, visible=call.visible)


def _with_transaction(answer: dict[str, Any], tx: Transaction, call: Call) -> dict[str, Any]:
    """``answer`` plus the ``TransactionExtention`` java-tron appends (``transaction``)."""
    out = dict(render(answer, visible=call.visible))
    out["transaction"] = {
        "result": {"result": True},
        "txid": tx.txid.hex(),
        "transaction": codec.transaction_to_json(tx, visible=call.visible),
    }
    return out


async def get_sign_weight(node: Node, call: Call) -> Any:
    if call.request.method == "GET":
        return Response(b"", media_type=JSON_MEDIA_TYPE)
    tx = _transaction(call)
    return _with_transaction(node.chain.sign_weight_json(tx), tx, call)


async def get_approved_list(node: Node, call: Call) -> Any:
    """``wallet/getapprovedlist`` (``GetTransactionApprovedListServlet``, POST only)."""
    tx = _transaction(call)
    return _with_transaction(node.chain.approved_list_json(tx), tx, call)


def broadcast_body(result: BroadcastResult, txid: bytes, *, visible: bool) -> dict[str, Any]:
    """``GrpcAPI.Return`` as JsonFormat prints it, plus ``txid`` (``BroadcastServlet``)."""
    if result.ok:
        return {"result": True, "txid": txid.hex()}
    body: dict[str, Any] = {"code": result.code.name}
    if result.message:
        body["message"] = result.message if visible else result.message.encode().hex()
    body["txid"] = txid.hex()
    return body


async def broadcast_transaction(node: Node, call: Call) -> Any:
    tx = _transaction(call)
    result = node.chain.broadcast(tx, discard=call.discard)
    return broadcast_body(result, tx.txid, visible=call.visible)


async def broadcast_hex(node: Node, call: Call) -> Any:
    text = call.params.get("transaction")
    data = codec.parse_hex("" if text is None else text, "transaction")
    try:
        tx = codec.decode_transaction_bytes(data)
    except CodecError as exc:
        raise CodecError(
            f"Protocol message is malformed: {exc.message}",
            "com.google.protobuf.InvalidProtocolBufferException",
        ) from None
    result = node.chain.broadcast(tx, discard=call.discard)
    plain = json.dumps(codec.transaction_to_plain_json(tx, visible=True), ensure_ascii=False)
    return {
        "result": result.ok,
        "code": result.code.name,
        "message": result.message,
        "transaction": plain,
        "txid": tx.txid.hex(),
    }


def build_transaction(
    node: Node, value: ContractValue, *, permission_id: int, data: bytes
) -> Transaction:
    """A node-built transaction: reference block = head, expiration = head time + 60 s,
    ``timestamp`` = the wall clock (as java-tron's ``TransactionCapsule.setTimestamp``)."""
    head = node.chain.head
    raw = RawData(
        ref_block_bytes=head.block_id[6:8],
        ref_block_hash=head.block_id[8:16],
        expiration=head.timestamp + NODE_EXPIRATION_MS,
        data=data,
        contracts=(codec.new_contract(value, permission_id=max(permission_id, 0)),),
        timestamp=node.clock.now_ms(),
    )
    return codec.make_transaction(raw)


def builder(cls: type) -> Handler:
    """The node-side builder endpoint of contract class ``cls`` (``BUILDERS``)."""

    async def handler(node: Node, call: Call) -> Any:
        value = codec.parse_contract_value(cls, call.params, visible=call.visible)
        permission_id = int_param(call, "Permission_id", bits=32)
        data = b""
        extra = call.params.get("extra_data")
        if cls is TransferContract and isinstance(extra, str) and extra:
            data = extra.encode() if call.visible else codec.parse_hex(extra, "extra_data")
        try:
            node.chain.validate_for_build(value)
        except ContractValidateError as exc:
            return {"Error": f"class {VALIDATE_EXCEPTION} : {exc.message}"}
        tx = build_transaction(node, value, permission_id=permission_id, data=data)
        out: dict[str, Any] = {"visible": call.visible}
        out.update(codec.transaction_to_json(tx, visible=call.visible))
        return out

    return handler
