"""The ``/devnet`` admin endpoints (not part of TRON): mine, move the chain clock, fund,
install faults, reorg, and inspect packed transactions and the state.

Bad input raises ``AdminInputError`` (HTTP 400 with ``{"Error": <what is wrong>}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from tron_devnet import crypto
from tron_devnet.api.call import AdminInputError, Call, Node
from tron_devnet.engine.chain import ReorgError
from tron_devnet.faults import FaultRuleError
from tron_devnet.render import render

MAX_MINE_BLOCKS: Final = 1_000_000
_TXID: Final = re.compile(r"[0-9a-fA-F]{64}")


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


def _head_json(node: Node) -> dict[str, Any]:
    chain = node.chain
    return {
        "head": chain.head.number,
        "head_time_ms": chain.head_time_ms,
        "chain_time_ms": chain.chain_time_ms,
    }


async def admin_mine(node: Node, call: Call) -> Any:
    blocks = _admin_int(call.params, "blocks", 1)
    if not 0 <= blocks <= MAX_MINE_BLOCKS:
        raise AdminInputError(f"blocks must be in 0..{MAX_MINE_BLOCKS}")
    if blocks:
        node.chain.mine(blocks)
    return _head_json(node)


async def admin_advance_time(node: Node, call: Call) -> Any:
    seconds = call.params.get("seconds")
    if isinstance(seconds, str):
        try:
            seconds = float(seconds)
        except ValueError:
            raise AdminInputError("seconds must be a number") from None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        raise AdminInputError("seconds must be a number >= 0")
    node.chain.advance_time(seconds)
    return _head_json(node)


async def admin_fund(node: Node, call: Call) -> Any:
    target = _admin_address(call.params.get("address"), "address")
    amount = _admin_int(call.params, "amount_sun")
    if amount <= 0:
        raise AdminInputError("amount_sun must be positive")
    node.chain.fund(target, amount)
    account = node.chain.account_json(target)
    return {"address": crypto.address_to_base58(target), "balance": account.get("balance", 0)}


async def admin_faults(node: Node, call: Call) -> Any:
    if call.request.method == "POST":
        rules = call.params.get("rules")
        if not isinstance(rules, list):
            raise AdminInputError('body must be {"rules": [...]}')
        seed = call.params.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise AdminInputError("seed must be an integer")
        try:
            node.faults.install(rules, seed=seed)
        except FaultRuleError as exc:
            raise AdminInputError(str(exc)) from None
    return node.faults.to_json()


async def admin_transactions(node: Node, call: Call) -> Any:
    owner_text = call.params.get("owner")
    owner = None if owner_text in (None, "") else _admin_address(owner_text, "owner")
    since = _admin_int(call.params, "since_block", 0)
    packed = node.chain.packed_transactions(owner, since)
    return {"transactions": render(packed, visible=True)}


async def admin_state(node: Node, call: Call) -> Any:
    return render(node.chain.state_json(), visible=True)


async def admin_reorg(node: Node, call: Call) -> Any:
    """``POST /devnet/reorg {"depth": n, "drop": [txid, ...]}`` (see ``Chain.reorg``)."""
    depth = _admin_int(call.params, "depth")
    drop_texts = call.params.get("drop", [])
    if drop_texts is None:
        drop_texts = []
    if not isinstance(drop_texts, list):
        raise AdminInputError("drop must be a list of txids (64 hex digits)")
    drop = set()
    for text in drop_texts:
        if not isinstance(text, str) or not _TXID.fullmatch(text):
            raise AdminInputError(f"drop: not a txid (64 hex digits): {text!r}")
        drop.add(bytes.fromhex(text))
    try:
        result = node.chain.reorg(depth, drop)
    except ReorgError as exc:
        raise AdminInputError(str(exc)) from None
    return render(result, visible=True)
