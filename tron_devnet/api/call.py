"""What every handler gets: the ``Node`` it serves and the parsed request (``Call``), plus the
parameter parsers shared by the handlers.

Request parsing follows java-tron's servlets: POST bodies are JSON with ``visible`` read from
the body (absent = false), GET reads query parameters. Malformed input raises ``CodecError``
(answered ``{"Error": "class <X> : <msg>"}`` with HTTP 200, as java-tron's
``Util.processError``); bad admin input raises ``AdminInputError`` (HTTP 400).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from tron_devnet import codec
from tron_devnet.clock import Clock
from tron_devnet.codec import CodecError
from tron_devnet.engine.chain import Chain
from tron_devnet.faults import DISCARD_SCOPE_KEY, LAG_SCOPE_KEY, FaultRules

JSON_MEDIA_TYPE: Final = "application/json"


class AdminInputError(ValueError):
    """Bad input to an admin endpoint (answered with HTTP 400)."""


@dataclass(slots=True)
class Node:
    """The serving node: its chain, fault rules, wall clock and listening port."""

    chain: Chain
    faults: FaultRules
    clock: Clock
    listen_port: int = 0


@dataclass(slots=True)
class Call:
    """One parsed request: JSON parameters (body or query), ``visible`` and the read position
    (``solid`` for ``/walletsolidity``; ``lag_blocks`` set by a ``lag`` fault)."""

    request: Request
    params: dict[str, Any]
    visible: bool
    query_visible: bool
    solid: bool

    @property
    def discard(self) -> bool:
        """An ``accept_then_drop`` fault hit this request: accept, then forget."""
        return bool(self.request.scope.get(DISCARD_SCOPE_KEY, False))

    @property
    def lag_blocks(self) -> int:
        """A ``lag`` fault hit this request: answer from the state this many blocks back."""
        return int(self.request.scope.get(LAG_SCOPE_KEY, 0))


Handler = Callable[[Node, Call], Awaitable[Any]]


def dumps(obj: Any) -> bytes:
    """Compact JSON plus the trailing newline java-tron's ``println`` writes."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(dumps(obj), status_code=status, media_type=JSON_MEDIA_TYPE)


def raw_json(text: str) -> Response:
    """A body printed verbatim (java-tron servlets that build their JSON by hand)."""
    return Response(text.encode() + b"\n", media_type=JSON_MEDIA_TYPE)


def is_true(value: object) -> bool:
    """java's ``Boolean.parseBoolean(String.valueOf(value))``."""
    return str(value).lower() == "true"


def opt_address(call: Call, key: str) -> bytes | None:
    """An address field parsed like java-tron's JsonFormat (base58 when visible, else hex)."""
    value = call.params.get(key)
    if value is None:
        return None
    return codec.parse_address_field(value, visible=call.visible, what=key)


def address(call: Call, key: str) -> bytes:
    value = opt_address(call, key)
    return b"" if value is None else value


def int_param(call: Call, key: str, *, bits: int = 64) -> int:
    """An integer field (0 when absent); GET query strings parse like ``Long.parseLong``."""
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


def bytes_param(call: Call, key: str = "value") -> bytes:
    value = call.params.get(key)
    return b"" if value is None else codec.parse_hex(value, key)
