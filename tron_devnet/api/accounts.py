"""Account, resource, delegation and reward reads (``wallet/`` and ``walletsolidity/``).

Each handler reads at the call's position (head with pending, solid, or lagged) and renders the
engine's answer with java-tron's ``visible`` rules. An invalid address answers ``{}`` as
java-tron's servlets do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from tron_devnet import crypto
from tron_devnet.api.call import Call, Node, address, int_param, raw_json
from tron_devnet.codec import CodecError
from tron_devnet.render import render


async def get_account(node: Node, call: Call) -> Any:
    owner = address(call, "address")
    if not crypto.is_valid_address(owner):
        return {}
    result = node.chain.account_json(owner, solid=call.solid, lag_blocks=call.lag_blocks)
    return render(result, visible=call.visible)


async def get_account_resource(node: Node, call: Call) -> Any:
    owner = address(call, "address")
    if not crypto.is_valid_address(owner):
        return {}
    result = node.chain.account_resource_json(owner, lag_blocks=call.lag_blocks)
    return render(result, visible=call.visible)


async def get_account_net(node: Node, call: Call) -> Any:
    owner = address(call, "address")
    if not crypto.is_valid_address(owner):
        return {}
    result = node.chain.account_net_json(owner, lag_blocks=call.lag_blocks)
    return render(result, visible=call.visible)


async def get_delegated_resource_v2(node: Node, call: Call) -> Any:
    source = address(call, "fromAddress")
    target = address(call, "toAddress")
    if not (crypto.is_valid_address(source) and crypto.is_valid_address(target)):
        return {}
    result = node.chain.delegated_resource_v2_json(
        source, target, solid=call.solid, lag_blocks=call.lag_blocks
    )
    return render(result, visible=call.visible)


async def get_delegated_index_v2(node: Node, call: Call) -> Any:
    owner = address(call, "value")
    if len(owner) != crypto.ADDRESS_SIZE:
        return {}
    result = node.chain.delegated_index_v2_json(owner, solid=call.solid, lag_blocks=call.lag_blocks)
    return render(result, visible=call.visible)


async def get_can_delegated_max_size(node: Node, call: Call) -> Any:
    owner = address(call, "owner_address")
    resource = int_param(call, "type", bits=32)
    if not crypto.is_valid_address(owner):
        return {}
    result = node.chain.can_delegated_max_size_json(
        owner, resource, solid=call.solid, lag_blocks=call.lag_blocks
    )
    return render(result, visible=call.visible)


async def get_available_unfreeze_count(node: Node, call: Call) -> Any:
    if call.request.method == "GET" and call.params.get("ownerAddress") is not None:
        call.params.setdefault("owner_address", call.params["ownerAddress"])
    owner = address(call, "owner_address")
    if not crypto.is_valid_address(owner):
        return {}
    result = node.chain.available_unfreeze_count_json(
        owner, solid=call.solid, lag_blocks=call.lag_blocks
    )
    return render(result, visible=call.visible)


async def get_can_withdraw_unfreeze_amount(node: Node, call: Call) -> Any:
    owner = address(call, "owner_address")
    timestamp = int_param(call, "timestamp")
    if not crypto.is_valid_address(owner) or timestamp < 0:
        return {}
    result = node.chain.can_withdraw_unfreeze_amount_json(
        owner, timestamp, solid=call.solid, lag_blocks=call.lag_blocks
    )
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


def _per_address_value(call: Call, name: str, lookup: Callable[..., int]) -> Response:
    """``{"<name>": lookup(address)}`` for the call's ``address`` (0 when it has none)."""
    try:
        owner = _reward_address(call)
    except CodecError as exc:
        return raw_json(json.dumps({"Error": exc.message}))
    value = 0 if owner is None else lookup(owner, solid=call.solid, lag_blocks=call.lag_blocks)
    return raw_json(f'{{"{name}": {value}}}')


async def get_reward(node: Node, call: Call) -> Any:
    return _per_address_value(call, "reward", node.chain.reward)


async def get_brokerage(node: Node, call: Call) -> Any:
    return _per_address_value(call, "brokerage", node.chain.brokerage)
