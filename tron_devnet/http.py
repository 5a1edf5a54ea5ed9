"""The devnet's HTTP API: java-tron's ``/wallet`` and ``/walletsolidity`` endpoints over one
``Chain``, plus the ``/devnet`` admin endpoints, as a Starlette app.

Every handler runs on the event loop that owns the chain (the chain is not thread-safe and
never awaited), so requests are serialised exactly like blocks. Request parsing follows
java-tron's servlets: POST bodies are JSON with ``visible`` read from the body (absent = false),
GET reads query parameters; a few servlets (``listwitnesses``, ``getnowblock``,
``getnodeinfo``, ``getchainparameters``, ``getReward``, ``getBrokerage``) read ``visible`` from
the query string only. Malformed input answers HTTP 200 ``{"Error": "class <X> : <msg>"}``,
never a 500. Paths are case-sensitive (``wallet/getReward``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_devnet import codec, crypto
from tron_devnet.codec import CodecError
from tron_devnet.engine.chain import Chain, ContractValidateError
from tron_devnet.faults import (
    DISCARD_SCOPE_KEY,
    FaultMiddleware,
    FaultRuleError,
    FaultRules,
    Receive,
    Scope,
    Send,
)
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

logger = logging.getLogger("tron_devnet.http")

JSON_MEDIA_TYPE: Final = "application/json"
NODE_EXPIRATION_MS: Final = 60_000  # java-tron's default trxExpirationTimeInMilliseconds
CODE_VERSION: Final = "4.8.0"
VALIDATE_EXCEPTION: Final = "org.tron.core.exception.ContractValidateException"
MAX_MINE_BLOCKS: Final = 1_000_000

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


class AdminInputError(ValueError):
    """Bad input to an admin endpoint (answered with HTTP 400)."""


def dumps(obj: Any) -> bytes:
    """Compact JSON plus the trailing newline java-tron's ``println`` writes."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(dumps(obj), status_code=status, media_type=JSON_MEDIA_TYPE)


def error_response(exc: CodecError) -> Response:
    return json_response({"Error": exc.error_text()})


def _is_true(value: object) -> bool:
    """java's ``Boolean.parseBoolean(String.valueOf(value))``."""
    return str(value).lower() == "true"


@dataclass(slots=True)
class Call:
    """One parsed request: JSON parameters (body or query), ``visible`` and the solid flag."""

    request: Request
    params: dict[str, Any]
    visible: bool
    query_visible: bool
    solid: bool

    @property
    def discard(self) -> bool:
        return bool(self.request.scope.get(DISCARD_SCOPE_KEY, False))


Handler = Callable[["DevnetApp", Call], Awaitable[Any]]


# ------------------------------------------------------------------------------ parameters


def _opt_address(call: Call, key: str) -> bytes | None:
    """An address field parsed like java-tron's JsonFormat (base58 when visible, else hex)."""
    value = call.params.get(key)
    if value is None:
        return None
    return codec.parse_address_field(value, visible=call.visible, what=key)


def _address(call: Call, key: str) -> bytes:
    value = _opt_address(call, key)
    return b"" if value is None else value


def _int(call: Call, key: str, *, bits: int = 64) -> int:
    value = call.params.get(key)
    if value is None:
        return 0
    if isinstance(value, str) and call.request.method == "GET":
        try:
            value = int(value)
        except ValueError:
            raise CodecError(
                f'For input string: "{value}"', "java.lang.NumberFormatException"
            ) from None
    return codec.parse_int(value, key, bits=bits)


def _bytes_value(call: Call, key: str = "value") -> bytes:
    value = call.params.get(key)
    return b"" if value is None else codec.parse_hex(value, key)


# ------------------------------------------------------------------------------ handlers: reads


async def get_account(app: DevnetApp, call: Call) -> Any:
    address = _address(call, "address")
    if not crypto.is_valid_address(address):
        return {}
    return render(app.chain.account_json(address, solid=call.solid), visible=call.visible)


async def get_account_resource(app: DevnetApp, call: Call) -> Any:
    address = _address(call, "address")
    if not crypto.is_valid_address(address):
        return {}
    return render(app.chain.account_resource_json(address), visible=call.visible)


async def get_account_net(app: DevnetApp, call: Call) -> Any:
    address = _address(call, "address")
    if not crypto.is_valid_address(address):
        return {}
    return render(app.chain.account_net_json(address), visible=call.visible)


async def get_delegated_resource_v2(app: DevnetApp, call: Call) -> Any:
    source = _address(call, "fromAddress")
    target = _address(call, "toAddress")
    if not (crypto.is_valid_address(source) and crypto.is_valid_address(target)):
        return {}
    result = app.chain.delegated_resource_v2_json(source, target, solid=call.solid)
    return render(result, visible=call.visible)


async def get_delegated_index_v2(app: DevnetApp, call: Call) -> Any:
    address = _address(call, "value")
    if len(address) != crypto.ADDRESS_SIZE:
        return {}
    result = app.chain.delegated_index_v2_json(address, solid=call.solid)
    return render(result, visible=call.visible)


async def get_can_delegated_max_size(app: DevnetApp, call: Call) -> Any:
    owner = _address(call, "owner_address")
    resource = _int(call, "type", bits=32)
    if not crypto.is_valid_address(owner):
        return {}
    result = app.chain.can_delegated_max_size_json(owner, resource, solid=call.solid)
    return render(result, visible=call.visible)


async def get_available_unfreeze_count(app: DevnetApp, call: Call) -> Any:
    if call.request.method == "GET" and call.params.get("ownerAddress") is not None:
        call.params.setdefault("owner_address", call.params["ownerAddress"])
    owner = _address(call, "owner_address")
    if not crypto.is_valid_address(owner):
        return {}
    result = app.chain.available_unfreeze_count_json(owner, solid=call.solid)
    return render(result, visible=call.visible)


async def get_can_withdraw_unfreeze_amount(app: DevnetApp, call: Call) -> Any:
    owner = _address(call, "owner_address")
    timestamp = _int(call, "timestamp")
    if not crypto.is_valid_address(owner) or timestamp < 0:
        return {}
    result = app.chain.can_withdraw_unfreeze_amount_json(owner, timestamp, solid=call.solid)
    return render(result, visible=call.visible)


def _reward_address(call: Call) -> bytes | None:
    """java-tron's ``Util.getAddress``: ``41…`` is hex, anything else base58 (invalid → None)."""
    value = call.params.get("address")
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    if not text.strip():
        return None
    if text.startswith("41"):
        if len(text) % 2:
            raise CodecError("INVALID address, exception decoding Hex string: odd length")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise CodecError("INVALID address, exception decoding Hex string") from None
    try:
        raw = crypto.b58check_decode(text)
    except (crypto.AddressError, ValueError):
        return None
    return raw if crypto.is_valid_address(raw) else None


def _raw_json(text: str) -> Response:
    return Response(text.encode() + b"\n", media_type=JSON_MEDIA_TYPE)


def _per_address_value(call: Call, name: str, lookup: Callable[..., int]) -> Response:
    """``{"<name>": lookup(address)}`` for the call's ``address`` (0 when it has none)."""
    try:
        address = _reward_address(call)
    except CodecError as exc:
        return _raw_json(json.dumps({"Error": exc.message}))
    value = 0 if address is None else lookup(address, solid=call.solid)
    return _raw_json(f'{{"{name}": {value}}}')


async def get_reward(app: DevnetApp, call: Call) -> Any:
    return _per_address_value(call, "reward", app.chain.reward)


async def get_brokerage(app: DevnetApp, call: Call) -> Any:
    return _per_address_value(call, "brokerage", app.chain.brokerage)


def _block_string(number: int, block_id: bytes) -> str:
    return f"Num:{number},ID:{block_id.hex()}"


async def get_node_info(app: DevnetApp, call: Call) -> Any:
    chain = app.chain
    head = chain.head
    solid = chain.solid
    return {
        "activeConnectCount": 0,
        "beginSyncNum": head.number,
        "block": _block_string(head.number, head.block_id),
        "cheatWitnessInfoMap": {},
        "configNodeInfo": {
            "activeNodeSize": 0,
            "allowAdaptiveEnergy": 0,
            "allowCreationOfContracts": 0,
            "backupListenPort": 0,
            "backupMemberSize": 0,
            "backupPriority": 0,
            "codeVersion": CODE_VERSION,
            "dbVersion": 2,
            "discoverEnable": False,
            "listenPort": app.listen_port,
            "maxConnectCount": 30,
            "maxTimeRatio": 5.0,
            "minParticipationRate": 0,
            "minTimeRatio": 0.0,
            "p2pVersion": "devnet",
            "passiveNodeSize": 0,
            "sameIpMaxConnectCount": 2,
            "sendNodeSize": 0,
            "supportConstant": False,
            "versionNum": "tron-devnet",
        },
        "currentConnectCount": 0,
        "machineInfo": {
            "cpuCount": 1,
            "javaVersion": "none",
            "osName": "tron-devnet",
            "threadCount": 1,
        },
        "passiveConnectCount": 0,
        "peerList": [],
        "solidityBlock": _block_string(solid.number, solid.block_id),
        "totalFlow": 0,
    }


async def get_now_block(app: DevnetApp, call: Call) -> Any:
    block = app.chain.now_block(solid=call.solid)
    return codec.block_to_json(block, visible=call.query_visible)


def _visible_block(app: DevnetApp, call: Call, block: Any) -> Any:
    if block is None or (call.solid and block.number > app.chain.solid.number):
        return {}
    return codec.block_to_json(block, visible=call.visible)


async def get_block_by_num(app: DevnetApp, call: Call) -> Any:
    number = _int(call, "num")
    return _visible_block(app, call, app.chain.block_by_num(number))


async def get_block_by_id(app: DevnetApp, call: Call) -> Any:
    block_id = _bytes_value(call)
    return _visible_block(app, call, app.chain.block_by_id(block_id))


_LONG_TEXT: Final = re.compile(r"[+-]?[0-9]+")
INT64_MAX: Final = (1 << 63) - 1
BLOCK_LIST_LIMIT: Final = 100  # GetBlockByLatestNumServlet / GetBlockByLimitNextServlet


def _java_long(text: str) -> int | None:
    """``WalletUtil.isLong``: ``Long.parseLong`` or None."""
    if not _LONG_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


def _block_for_request(app: DevnetApp, call: Call, id_or_num: str) -> Any:
    """``Wallet.getBlock``'s lookup: the now block, a number or a block id (hex)."""
    head_number = app.chain.now_block(solid=call.solid).number
    if not id_or_num:
        return app.chain.now_block(solid=call.solid)
    number = _java_long(id_or_num)
    if number is not None:
        if number > head_number:
            return None
        if number < 0:
            raise _IllegalArgumentError("num must be non-positive number.")
        return app.chain.block_by_num(number)
    bad_id = _IllegalArgumentError("id must be legal block hash.")
    if len(id_or_num) != 64:
        raise bad_id
    try:
        block_id = bytes.fromhex(id_or_num)
    except ValueError:
        raise bad_id from None
    if int.from_bytes(block_id[:8], "big") > head_number:
        raise bad_id
    return app.chain.block_by_id(block_id)


class _IllegalArgumentError(Exception):
    """java's ``IllegalArgumentException`` caught by ``GetBlockServlet``: ``{"Error": msg}``."""


async def get_block(app: DevnetApp, call: Call) -> Any:
    """``wallet/getblock`` (``GetBlockServlet`` + ``Wallet.getBlock``): ``id_or_num`` absent =
    the head; without ``detail`` the transactions are cleared."""
    raw_id = call.params.get("id_or_num")
    id_or_num = "" if raw_id is None else (raw_id if isinstance(raw_id, str) else str(raw_id))
    detail = _is_true(call.params.get("detail", False))
    try:
        block = _block_for_request(app, call, id_or_num)
    except _IllegalArgumentError as exc:
        return {"Error": str(exc)}
    if block is None:
        return {}
    if block.transactions and not detail:
        block = dataclasses.replace(block, transactions=())
    return codec.block_to_json(block, visible=call.visible)


async def get_next_maintenance_time(app: DevnetApp, call: Call) -> Any:
    """``wallet/getnextmaintenancetime``: ``NumberMessage`` of the next maintenance (ms)."""
    return {"num": app.chain.next_maintenance_time_ms()}


async def get_chain_parameters(app: DevnetApp, call: Call) -> Any:
    return render(app.chain.chain_parameters_json(), visible=call.query_visible)


async def list_witnesses(app: DevnetApp, call: Call) -> Any:
    return render(app.chain.witnesses_json(solid=call.solid), visible=call.query_visible)


async def get_transaction_by_id(app: DevnetApp, call: Call) -> Any:
    found = app.chain.transaction(_bytes_value(call), solid=call.solid)
    if found is None:
        return {}
    tx, block_number = found
    return codec.transaction_to_json(tx, visible=call.visible, ret=block_number is not None)


async def get_transaction_info_by_id(app: DevnetApp, call: Call) -> Any:
    info = app.chain.transaction_info_json(_bytes_value(call), solid=call.solid)
    return render(info, visible=call.visible)


# ------------------------------------------------------------------------------ handlers: txs


def _transaction(call: Call) -> Transaction:
    return codec.parse_transaction_json(call.params, visible=call.visible)


async def get_sign_weight(app: DevnetApp, call: Call) -> Any:
    if call.request.method == "GET":
        return Response(b"", media_type=JSON_MEDIA_TYPE)
    tx = _transaction(call)
    out = dict(render(app.chain.sign_weight_json(tx), visible=call.visible))
    out["transaction"] = {
        "result": {"result": True},
        "txid": tx.txid.hex(),
        "transaction": codec.transaction_to_json(tx, visible=call.visible),
    }
    return out


def broadcast_body(result: BroadcastResult, txid: bytes, *, visible: bool) -> dict[str, Any]:
    """``GrpcAPI.Return`` as JsonFormat prints it, plus ``txid`` (``BroadcastServlet``)."""
    if result.ok:
        return {"result": True, "txid": txid.hex()}
    body: dict[str, Any] = {"code": result.code.name}
    if result.message:
        body["message"] = result.message if visible else result.message.encode().hex()
    body["txid"] = txid.hex()
    return body


async def broadcast_transaction(app: DevnetApp, call: Call) -> Any:
    tx = _transaction(call)
    result = app.chain.broadcast(tx, discard=call.discard)
    return broadcast_body(result, tx.txid, visible=call.visible)


async def broadcast_hex(app: DevnetApp, call: Call) -> Any:
    text = call.params.get("transaction")
    data = codec.parse_hex("" if text is None else text, "transaction")
    try:
        tx = codec.decode_transaction_bytes(data)
    except CodecError as exc:
        raise CodecError(
            f"Protocol message is malformed: {exc.message}",
            "com.google.protobuf.InvalidProtocolBufferException",
        ) from None
    result = app.chain.broadcast(tx, discard=call.discard)
    plain = json.dumps(codec.transaction_to_plain_json(tx, visible=True), ensure_ascii=False)
    return {
        "result": result.ok,
        "code": result.code.name,
        "message": result.message,
        "transaction": plain,
        "txid": tx.txid.hex(),
    }


def build_transaction(
    app: DevnetApp, value: ContractValue, *, permission_id: int, data: bytes
) -> Transaction:
    """A node-built transaction: reference block = head, expiration = head time + 60 s,
    ``timestamp`` = the wall clock (as java-tron's ``TransactionCapsule.setTimestamp``)."""
    head = app.chain.head
    raw = RawData(
        ref_block_bytes=head.block_id[6:8],
        ref_block_hash=head.block_id[8:16],
        expiration=head.timestamp + NODE_EXPIRATION_MS,
        data=data,
        contracts=(codec.new_contract(value, permission_id=max(permission_id, 0)),),
        timestamp=int(time.time() * 1000),
    )
    return codec.make_transaction(raw)


def _builder(cls: type) -> Handler:
    async def handler(app: DevnetApp, call: Call) -> Any:
        value = codec.parse_contract_value(cls, call.params, visible=call.visible)
        permission_id = _int(call, "Permission_id", bits=32)
        data = b""
        extra = call.params.get("extra_data")
        if cls is TransferContract and isinstance(extra, str) and extra:
            data = extra.encode() if call.visible else codec.parse_hex(extra, "extra_data")
        try:
            app.chain.validate_for_build(value)
        except ContractValidateError as exc:
            message = getattr(exc, "message", str(exc))
            return {"Error": f"class {VALIDATE_EXCEPTION} : {message}"}
        tx = build_transaction(app, value, permission_id=permission_id, data=data)
        out: dict[str, Any] = {"visible": call.visible}
        out.update(codec.transaction_to_json(tx, visible=call.visible))
        return out

    return handler


# ------------------------------------------------------------------------------ admin


def _admin_int(params: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = params.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminInputError(f"{key} must be an integer")
    return value


def _admin_address(value: object, key: str) -> bytes:
    if not isinstance(value, str):
        raise AdminInputError(f"{key} must be a base58 or hex address")
    try:
        return crypto.parse_address(value)
    except crypto.AddressError as exc:
        raise AdminInputError(f"{key}: {exc}") from None


def _head_json(app: DevnetApp) -> dict[str, Any]:
    chain = app.chain
    return {
        "head": chain.head.number,
        "head_time_ms": chain.head_time_ms,
        "chain_time_ms": getattr(chain, "chain_time_ms", chain.head_time_ms),
    }


async def admin_mine(app: DevnetApp, call: Call) -> Any:
    blocks = _admin_int(call.params, "blocks", 1)
    if not 0 <= blocks <= MAX_MINE_BLOCKS:
        raise AdminInputError(f"blocks must be in 0..{MAX_MINE_BLOCKS}")
    if blocks:
        app.chain.mine(blocks)
    return _head_json(app)


async def admin_advance_time(app: DevnetApp, call: Call) -> Any:
    seconds = call.params.get("seconds")
    if isinstance(seconds, str):
        try:
            seconds = float(seconds)
        except ValueError:
            raise AdminInputError("seconds must be a number") from None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        raise AdminInputError("seconds must be a number >= 0")
    app.chain.advance_time(seconds)
    return _head_json(app)


async def admin_fund(app: DevnetApp, call: Call) -> Any:
    address = _admin_address(call.params.get("address"), "address")
    amount = _admin_int(call.params, "amount_sun")
    if amount <= 0:
        raise AdminInputError("amount_sun must be positive")
    app.chain.fund(address, amount)
    account = app.chain.account_json(address)
    return {"address": crypto.address_to_base58(address), "balance": account.get("balance", 0)}


async def admin_faults(app: DevnetApp, call: Call) -> Any:
    if call.request.method == "POST":
        rules = call.params.get("rules")
        if not isinstance(rules, list):
            raise AdminInputError('body must be {"rules": [...]}')
        seed = call.params.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise AdminInputError("seed must be an integer")
        try:
            app.faults.install(rules, seed=seed)
        except FaultRuleError as exc:
            raise AdminInputError(str(exc)) from None
    return app.faults.to_json()


async def admin_transactions(app: DevnetApp, call: Call) -> Any:
    owner_text = call.params.get("owner")
    owner = None if owner_text in (None, "") else _admin_address(owner_text, "owner")
    since = _admin_int(call.params, "since_block", 0)
    packed = app.chain.packed_transactions(owner, since)
    return {"transactions": render(packed, visible=True)}


async def admin_state(app: DevnetApp, call: Call) -> Any:
    return render(app.chain.state_json(), visible=True)


# ------------------------------------------------------------------------------ routing


@dataclass(frozen=True, slots=True)
class Endpoint:
    handler: Handler
    methods: frozenset[str]
    solid: bool = False
    admin: bool = False


_GET_POST: Final = frozenset({"GET", "POST"})
_POST: Final = frozenset({"POST"})
_GET: Final = frozenset({"GET"})

_READS: Final[dict[str, Handler]] = {
    "getaccount": get_account,
    "getdelegatedresourcev2": get_delegated_resource_v2,
    "getdelegatedresourceaccountindexv2": get_delegated_index_v2,
    "getcandelegatedmaxsize": get_can_delegated_max_size,
    "getavailableunfreezecount": get_available_unfreeze_count,
    "getcanwithdrawunfreezeamount": get_can_withdraw_unfreeze_amount,
    "getReward": get_reward,
    "getBrokerage": get_brokerage,
    "getnodeinfo": get_node_info,
    "getnowblock": get_now_block,
    "getblockbynum": get_block_by_num,
    "getblockbyid": get_block_by_id,
    "listwitnesses": list_witnesses,
    "getblock": get_block,
    "gettransactionbyid": get_transaction_by_id,
    "gettransactioninfobyid": get_transaction_info_by_id,
}


def _endpoints() -> dict[str, Endpoint]:
    table: dict[str, Endpoint] = {}
    for name, handler in _READS.items():
        table[f"wallet/{name}"] = Endpoint(handler, _GET_POST)
        table[f"walletsolidity/{name}"] = Endpoint(handler, _GET_POST, solid=True)
    table["wallet/getaccountresource"] = Endpoint(get_account_resource, _GET_POST)
    table["wallet/getaccountnet"] = Endpoint(get_account_net, _GET_POST)
    table["wallet/getchainparameters"] = Endpoint(get_chain_parameters, _GET_POST)
    table["wallet/getnextmaintenancetime"] = Endpoint(get_next_maintenance_time, _GET_POST)
    table["wallet/getsignweight"] = Endpoint(get_sign_weight, _GET_POST)
    table["wallet/broadcasttransaction"] = Endpoint(broadcast_transaction, _POST)
    table["wallet/broadcasthex"] = Endpoint(broadcast_hex, _POST)
    for path, cls in BUILDERS.items():
        table[path] = Endpoint(_builder(cls), _POST)
    table["devnet/mine"] = Endpoint(admin_mine, _POST, admin=True)
    table["devnet/time/advance"] = Endpoint(admin_advance_time, _POST, admin=True)
    table["devnet/fund"] = Endpoint(admin_fund, _POST, admin=True)
    table["devnet/faults"] = Endpoint(admin_faults, _GET_POST, admin=True)
    table["devnet/transactions"] = Endpoint(admin_transactions, _GET, admin=True)
    table["devnet/state"] = Endpoint(admin_state, _GET, admin=True)
    return table


ENDPOINTS: Final = _endpoints()
# Servlets whose POST handler calls doGet: ``visible`` comes from the query string only.
_QUERY_VISIBLE_ONLY: Final = frozenset(
    {
        "getnowblock",
        "listwitnesses",
        "getnodeinfo",
        "getchainparameters",
        "getReward",
        "getBrokerage",
        "getnextmaintenancetime",
    }
)


def _parse_body(body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return {}
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise CodecError(str(exc), codec.JSON_EXCEPTION) from None
    if not isinstance(obj, dict):
        raise CodecError("syntax error, expect {", codec.JSON_EXCEPTION)
    return obj


class DevnetApp:
    """The ASGI application of one devnet: fault middleware → Starlette → handlers."""

    def __init__(
        self,
        chain: Chain,
        *,
        admin: bool = True,
        block_interval_ms: int = 0,
        fault_seed: int = 0,
    ) -> None:
        self.chain = chain
        self.admin = admin
        self.block_interval_ms = block_interval_ms
        self.listen_port = 0
        self.faults = FaultRules(fault_seed)
        self.starlette = Starlette(
            routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])],
            lifespan=self._lifespan,
        )
        self.middleware = FaultMiddleware(self.starlette, self.faults)
        self.blocks_produced = 0
        self.on_startup: Callable[[], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.middleware(scope, receive, send)

    def release_held(self) -> None:
        """Release requests held by ``timeout`` faults (called before shutdown)."""
        self.middleware.release_held()

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        producer = None
        if self.block_interval_ms > 0:
            producer = asyncio.create_task(self._produce_blocks())
        if self.on_startup is not None:
            self.on_startup()
        try:
            yield
        finally:
            if producer is not None:
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer

    async def _produce_blocks(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.block_interval_ms / 1000
        deadline = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                self.chain.produce_block()
                self.blocks_produced += 1
            except Exception:
                logger.exception("block production failed")
            deadline += interval
            now = loop.time()
            if deadline < now:
                deadline = now + interval

    async def _endpoint(self, request: Request) -> Response:
        path = request.url.path.lstrip("/")
        endpoint = ENDPOINTS.get(path)
        if endpoint is None or (endpoint.admin and not self.admin):
            return Response(b"Not Found", status_code=404, media_type="text/plain")
        if request.method not in endpoint.methods:
            return Response(
                b"HTTP method " + request.method.encode() + b" is not supported by this URL",
                status_code=405,
                media_type="text/plain",
            )
        try:
            call = await self._call(request, path, endpoint)
            result = await endpoint.handler(self, call)
        except CodecError as exc:
            if endpoint.admin:
                return json_response({"Error": exc.message}, 400)
            return error_response(exc)
        except AdminInputError as exc:
            return json_response({"Error": str(exc)}, 400)
        except Exception as exc:
            logger.exception("unexpected error on %s", path)
            return json_response({"Error": f"class java.lang.Exception : {exc!r}"})
        if isinstance(result, Response):
            return result
        return json_response(result)

    async def _call(self, request: Request, path: str, endpoint: Endpoint) -> Call:
        query_visible = _is_true(request.query_params.get("visible", ""))
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            visible = query_visible
        else:
            params = _parse_body(await request.body())
            visible = _is_true(params.get("visible", False))
        if path.rsplit("/", 1)[-1] in _QUERY_VISIBLE_ONLY:
            visible = query_visible
        return Call(request, params, visible, query_visible, endpoint.solid)


def create_app(
    chain: Chain,
    *,
    admin: bool = True,
    block_interval_ms: int = 0,
    fault_seed: int = 0,
) -> DevnetApp:
    """The devnet's ASGI app over ``chain``; with ``block_interval_ms > 0`` its lifespan runs
    a block producer on the serving event loop."""
    return DevnetApp(chain, admin=admin, block_interval_ms=block_interval_ms, fault_seed=fault_seed)
