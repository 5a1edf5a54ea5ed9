"""The operational endpoints (no auth): ``/``, ``/health``, ``/health/live``,
``/health/ready``, ``/status`` and ``/metrics``."""

from __future__ import annotations

import time

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_staking.api import models, responses, views
from tron_staking.api.auth import Principal, Scope
from tron_staking.api.context import ApiContext
from tron_staking.api.routes.addresses import stats
from tron_staking.domain import amounts
from tron_staking.domain.enums import StakingStatusType
from tron_staking.errors import StakingError
from tron_staking.observability import metrics as metrics_module

CHECK_TIMEOUT_S = 3.0
RECENT_OPERATIONS = 10
_ADMIN = Principal(subject="status", scopes=frozenset({Scope.ADMIN}), wallets=frozenset())
_ACTIVE = {"state": {"$ne": StakingStatusType.WITHDRAWN.value}}
_STAKED = {"state": {"$in": [s.value for s in StakingStatusType if s.holds_stake]}}


async def _mongo_ok(ctx: ApiContext) -> bool:
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            await ctx.deps.store.ping()
    except (StakingError, TimeoutError):
        return False
    return True


async def _chain_heads(ctx: ApiContext) -> tuple[int, int] | None:
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            head = await ctx.deps.chain.head()
            solid = await ctx.deps.chain.solid_head()
    except (StakingError, TimeoutError):
        return None
    return head.number, solid.number


async def _staking_summary(ctx: ApiContext) -> models.HealthStakingOut:
    positions = ctx.deps.store.positions
    staked_sun = 0
    cursor = None
    while True:
        page = await positions.find(_STAKED, limit=500, cursor=cursor)
        staked_sun += sum(int(d.get("amount_sun") or 0) for d in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return models.HealthStakingOut(
        total_staking_records=await positions.count(),
        active_staking_records=await positions.count(_ACTIVE),
        total_staked_trx=float(amounts.sun_to_trx(staked_sun)),
        total_resource_records=await positions.count({"delegate": {"$ne": None}}),
    )


def routes(ctx: ApiContext) -> list[Route]:
    def controller_running() -> bool:
        return ctx.deps.controller is not None and ctx.deps.controller().running

    async def root(_: Request) -> Response:
        return responses.send(
            models.RootOut(
                name="tron-staking",
                version=ctx.deps.version,
                docs="/docs",
                openapi="/openapi.json",
                health="/health",
            )
        )

    async def live(_: Request) -> Response:
        return responses.send(models.ProbeOut(status="ok"))

    def started() -> bool:
        hook = ctx.deps.startup_finished
        return ctx.started and (hook is None or hook())

    async def ready(_: Request) -> Response:
        if started() and await _mongo_ok(ctx):
            return responses.send(models.ProbeOut(status="ready"))
        return responses.send(models.ProbeOut(status="not ready"), 503)

    async def health(_: Request) -> Response:
        mongo = await _mongo_ok(ctx)
        redis = (
            "disabled"
            if not ctx.deps.cache.enabled
            else "ok"
            if await ctx.deps.cache.ping()
            else "error"
        )
        chain = await _chain_heads(ctx) is not None
        summary = None
        if mongo:
            try:
                summary = await _staking_summary(ctx)
            except StakingError:
                mongo = False
        status = (
            "unhealthy" if not mongo else "healthy" if chain and redis != "error" else "degraded"
        )
        body = models.HealthOut(
            status=status,
            service="tron-staking",
            timestamp=ctx.deps.clock.now(),
            service_initialized=started(),
            staking=summary,
            checks=models.HealthChecksOut(
                mongo="ok" if mongo else "error",
                redis=redis,
                chain="ok" if chain else "error",
                controller="running" if controller_running() else "stopped",
            ),
        )
        return responses.send(body, 503 if status == "unhealthy" else 200)

    async def service_status(_: Request) -> Response:
        mongo = await _mongo_ok(ctx)
        heads = await _chain_heads(ctx)
        summary, recent = None, []
        if mongo:
            try:
                summary = await stats(ctx, _ADMIN)
                page = await ctx.deps.store.operations.find(
                    {}, sort=[("created_at", -1)], limit=RECENT_OPERATIONS
                )
                recent = [views.operation_out(d) for d in page.items]
            except StakingError:
                mongo = False
        probe = ctx.deps.controller() if ctx.deps.controller is not None else None
        state = "error" if not mongo else "running" if heads is not None else "degraded"
        body = models.ServiceStatusOut(
            state=state,
            uptime_s=round(time.monotonic() - ctx.started_monotonic_s, 3),
            version=ctx.deps.version,
            database=models.DatabaseStatusOut(status="ok" if mongo else "error"),
            chain=models.ChainStatusOut(
                endpoint=ctx.deps.chain_endpoint,
                head_block=heads[0] if heads else None,
                solid_block=heads[1] if heads else None,
                lag_blocks=heads[0] - heads[1] if heads else None,
            ),
            controller=models.ControllerStatusOut(
                replica_id=probe.replica_id if probe else None,
                owners_leased=probe.owners_leased if probe else 0,
                queue_depth=probe.queue_depth if probe else 0,
                last_reconcile_at=probe.last_reconcile_at if probe else None,
            ),
            stats=summary,
            recent_operations=recent,
        )
        return responses.send(body)

    async def exposition(_: Request) -> Response:
        return Response(ctx.deps.metrics.exposition(), media_type=metrics_module.CONTENT_TYPE)

    return [
        Route("/", root, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        Route("/status", service_status, methods=["GET"]),
        Route("/metrics", exposition, methods=["GET"]),
    ]
