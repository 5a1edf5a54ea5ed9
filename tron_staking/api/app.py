"""The app factory: ``create_app(deps) -> Starlette``.

The app owns the rate limiter's connections, closed by its lifespan, and runs the watch
journal's recorder (:mod:`~tron_staking.api.journal`) while it lives; the store, the cache and
the chain client are the caller's; it marks itself started when the lifespan has run, which
``/health/ready`` reports. Every response, errors included, is counted in
``staking_requests_total{method,route,status}`` with the route's template (never an id or an
address), ``unmatched`` for a path no route knows.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tron_staking.api import journal, problems
from tron_staking.api.context import ApiContext
from tron_staking.api.deps import ApiDependencies
from tron_staking.api.routes import addresses, docs, health, operations, positions, watch
from tron_staking.observability.metrics import Metrics


class _RequestCounter:
    """ASGI middleware counting every HTTP response by method, route template and status."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], metrics: Metrics) -> None:
        self._app = app
        self._routes = routes
        self._metrics = metrics

    def _template(self, scope: Scope) -> str:
        partial = None
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", "unmatched"))
            if match is Match.PARTIAL and partial is None:
                partial = str(getattr(route, "path", "unmatched"))
        return partial or "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, counting_send)
        finally:
            self._metrics.requests_total.labels(
                method=scope["method"], route=self._template(scope), status=str(status["code"])
            ).inc()


def create_app(deps: ApiDependencies) -> Starlette:
    """The HTTP API over ``deps`` (contract: api.md)."""
    ctx = ApiContext(deps)
    route_list: list[BaseRoute] = [
        *health.routes(ctx),
        *positions.routes(ctx),
        *watch.routes(ctx),
        *operations.routes(ctx),
        *addresses.routes(ctx),
        *docs.routes(ctx),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        recorder = journal.Recorder(
            deps.store, ctx.journal, deps.clock, deps.events_poll_interval_s
        )
        try:
            async with anyio.create_task_group() as tasks:
                if deps.watch_recorder:
                    tasks.start_soon(recorder.run)
                ctx.started = True
                try:
                    yield
                finally:
                    ctx.started = False
                    tasks.cancel_scope.cancel()
        finally:
            await ctx.limiter.aclose()

    app = Starlette(routes=route_list, lifespan=lifespan)
    problems.install(app)
    app.add_middleware(_RequestCounter, routes=route_list, metrics=deps.metrics)
    return app
