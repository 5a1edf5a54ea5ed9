"""The devnet's HTTP server app: java-tron's ``/wallet`` and ``/walletsolidity`` endpoints
and the ``/devnet`` admin endpoints (``api.routes``) over one ``Chain``, as a Starlette app
behind the fault middleware.

Every handler runs on the event loop that owns the chain (the chain is never awaited), so
requests are serialised exactly like blocks. POST bodies are JSON with ``visible`` read from the
body (absent = false); GET reads query parameters; a few servlets read ``visible`` from the
query string only (``routes.QUERY_VISIBLE_ONLY``). Malformed input answers HTTP 200
``{"Error": "class <X> : <msg>"}`` as java-tron does. A devnet bug (any other exception) is
logged with its traceback and answered HTTP 500 ``{"Error": "class java.lang.RuntimeException :
internal devnet error: …"}``: java-tron's error shape, but never a validation message. Paths are
case-sensitive (``wallet/getReward``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_devnet import codec
from tron_devnet.api import routes
from tron_devnet.api.call import AdminInputError, Call, Node, is_true, json_response
from tron_devnet.clock import Clock, SystemClock
from tron_devnet.codec import CodecError
from tron_devnet.engine.chain import Chain
from tron_devnet.faults import FaultMiddleware, FaultRules, Receive, Scope, Send

logger = logging.getLogger("tron_devnet.http")

INTERNAL_ERROR_CLASS: Final = "java.lang.RuntimeException"


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
        clock: Clock | None = None,
    ) -> None:
        self.chain = chain
        self.admin = admin
        self.block_interval_ms = block_interval_ms
        self.faults = FaultRules(fault_seed)
        self.node = Node(chain, self.faults, SystemClock() if clock is None else clock)
        self.endpoints = routes.endpoints()
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
        endpoint = self.endpoints.get(path)
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
            result = await endpoint.handler(self.node, call)
        except CodecError as exc:
            if endpoint.admin:
                return json_response({"Error": exc.message}, 400)
            return json_response({"Error": exc.error_text()})
        except AdminInputError as exc:
            return json_response({"Error": str(exc)}, 400)
        except Exception as exc:
            logger.exception("devnet bug: unexpected error on %s", path)
            detail = f"internal devnet error: {type(exc).__name__}: {exc}"
            return json_response({"Error": f"class {INTERNAL_ERROR_CLASS} : {detail}"}, 500)
        if isinstance(result, Response):
            return result
        return json_response(result)

    async def _call(self, request: Request, path: str, endpoint: routes.Endpoint) -> Call:
        query_visible = is_true(request.query_params.get("visible", ""))
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            visible = query_visible
        else:
            params = _parse_body(await request.body())
            visible = is_true(params.get("visible", False))
        if path.rsplit("/", 1)[-1] in routes.QUERY_VISIBLE_ONLY:
            visible = query_visible
        return Call(request, params, visible, query_visible, endpoint.solid)


def create_app(
    chain: Chain,
    *,
    admin: bool = True,
    block_interval_ms: int = 0,
    fault_seed: int = 0,
    clock: Clock | None = None,
) -> DevnetApp:
    """The devnet's ASGI app over ``chain``; with ``block_interval_ms > 0`` its lifespan runs
    a block producer on the serving event loop. ``clock`` (the system's by default) stamps
    node-built transactions."""
    return DevnetApp(
        chain,
        admin=admin,
        block_interval_ms=block_interval_ms,
        fault_seed=fault_seed,
        clock=clock,
    )
