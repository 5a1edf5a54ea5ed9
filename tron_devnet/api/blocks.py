"""Block and transaction reads (``wallet/`` and ``walletsolidity/``).

Shapes follow java-tron's servlets: ``GetNowBlockServlet``, ``GetBlockByNumServlet``,
``GetBlockByIdServlet``, ``GetBlockServlet`` (+ ``Wallet.getBlock``),
``GetBlockByLatestNumServlet``, ``GetBlockByLimitNextServlet`` (``Util.printBlockList``),
``GetTransactionByIdServlet``, ``GetTransactionInfoByIdServlet`` and
``GetTransactionInfoByBlockNumServlet``. Every read answers at the call's position: a block
or transaction above it does not exist yet for the caller.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Final

from tron_devnet import codec
from tron_devnet.api.call import Call, Node, bytes_param, int_param, is_true
from tron_devnet.codec import CodecError
from tron_devnet.render import render
from tron_devnet.types import Block

BLOCK_LIST_LIMIT: Final = 100  # BLOCK_LIMIT_NUM of the block-list servlets
NUMBER_FORMAT: Final = "java.lang.NumberFormatException"
INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
_LONG_TEXT: Final = re.compile(r"[+-]?[0-9]+")


class _IllegalArgumentError(Exception):
    """java's ``IllegalArgumentException`` as ``GetBlockServlet`` prints it: ``{"Error": msg}``."""


def _java_long(text: str) -> int | None:
    """``WalletUtil.isLong``: ``Long.parseLong`` or None."""
    if not _LONG_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def _long_param(call: Call, key: str) -> int:
    """A number the servlet reads with ``Long.parseLong`` on GET, ``JsonFormat`` on POST."""
    if call.request.method != "GET":
        return int_param(call, key)
    text = call.params.get(key)
    value = None if text is None else _java_long(str(text))
    if value is None:
        detail = "null" if text is None else f'For input string: "{text}"'
        raise CodecError(detail, NUMBER_FORMAT)
    return value


def _block_json(block: Block | None, call: Call) -> Any:
    return {} if block is None else codec.block_to_json(block, visible=call.visible)


def _block_list_json(found: list[Block], call: Call) -> Any:
    return {"block": [codec.block_to_json(block, visible=call.visible) for block in found]}


async def get_now_block(node: Node, call: Call) -> Any:
    block = node.chain.now_block(solid=call.solid, lag_blocks=call.lag_blocks)
    return codec.block_to_json(block, visible=call.query_visible)


async def get_block_by_num(node: Node, call: Call) -> Any:
    number = int_param(call, "num")
    block = node.chain.block_by_num(number, solid=call.solid, lag_blocks=call.lag_blocks)
    return _block_json(block, call)


async def get_block_by_id(node: Node, call: Call) -> Any:
    block_id = bytes_param(call)
    block = node.chain.block_by_id(block_id, solid=call.solid, lag_blocks=call.lag_blocks)
    return _block_json(block, call)


def _block_for_request(node: Node, call: Call, id_or_num: str) -> Block | None:
    """``Wallet.getBlock``'s lookup: the now block, a number or a block id (hex)."""
    now = node.chain.now_block(solid=call.solid, lag_blocks=call.lag_blocks)
    if not id_or_num:
        return now
    number = _java_long(id_or_num)
    if number is not None:
        if number > now.number:
            return None
        if number < 0:
            raise _IllegalArgumentError("num must be non-positive number.")
        return node.chain.block_by_num(number, solid=call.solid, lag_blocks=call.lag_blocks)
    bad_id = _IllegalArgumentError("id must be legal block hash.")
    if len(id_or_num) != 64:
        raise bad_id
    try:
        block_id = bytes.fromhex(id_or_num)
    except ValueError:
        raise bad_id from None
    if int.from_bytes(block_id[:8], "big") > now.number:
        raise bad_id
    return node.chain.block_by_id(block_id, solid=call.solid, lag_blocks=call.lag_blocks)


async def get_block(node: Node, call: Call) -> Any:
    """``wallet/getblock``: ``id_or_num`` absent = the head; without ``detail`` the
    transactions are cleared (what TronWeb reads its reference block from)."""
    raw_id = call.params.get("id_or_num")
    id_or_num = "" if raw_id is None else (raw_id if isinstance(raw_id, str) else str(raw_id))
    detail = is_true(call.params.get("detail", False))
    try:
        block = _block_for_request(node, call, id_or_num)
    except _IllegalArgumentError as exc:
        return {"Error": str(exc)}
    if block is not None and block.transactions and not detail:
        block = dataclasses.replace(block, transactions=())
    return _block_json(block, call)


async def get_block_by_latest_num(node: Node, call: Call) -> Any:
    """``wallet/getblockbylatestnum``: the newest ``num`` blocks (``0 < num < 100``)."""
    count = _long_param(call, "num")
    if not 0 < count < BLOCK_LIST_LIMIT:
        return {}
    found = node.chain.latest_blocks(count, solid=call.solid, lag_blocks=call.lag_blocks)
    return _block_list_json(found, call)


async def get_block_by_limit_next(node: Node, call: Call) -> Any:
    """``wallet/getblockbylimitnext``: blocks ``startNum`` ≤ n < ``endNum`` (≤ 100 of them)."""
    start = _long_param(call, "startNum")
    end = _long_param(call, "endNum")
    if not (end > 0 and end > start and end - start <= BLOCK_LIST_LIMIT):
        return {}
    found = node.chain.blocks_from(start, end - start, solid=call.solid, lag_blocks=call.lag_blocks)
    return _block_list_json(found, call)


async def get_transaction_by_id(node: Node, call: Call) -> Any:
    """``wallet/gettransactionbyid``: a packed or pending transaction, with its ``ret`` either
    way (java-tron sets the result before storing an accepted transaction); only
    ``gettransactioninfobyid`` proves inclusion."""
    found = node.chain.transaction(bytes_param(call), solid=call.solid, lag_blocks=call.lag_blocks)
    if found is None:
        return {}
    tx, _ = found
    return codec.transaction_to_json(tx, visible=call.visible, ret=True)


async def get_transaction_info_by_id(node: Node, call: Call) -> Any:
    info = node.chain.transaction_info_json(
        bytes_param(call), solid=call.solid, lag_blocks=call.lag_blocks
    )
    return render(info, visible=call.visible)


async def get_transaction_info_by_block_num(node: Node, call: Call) -> Any:
    """``wallet/gettransactioninfobyblocknum``: a JSON array of the block's infos (``[]``
    for a block that does not exist, ``{}`` for ``num <= 0``)."""
    number = _long_param(call, "num")
    if number <= 0:
        return {}
    infos = node.chain.transaction_infos_in_block(
        number, solid=call.solid, lag_blocks=call.lag_blocks
    )
    return render(infos, visible=call.visible)
