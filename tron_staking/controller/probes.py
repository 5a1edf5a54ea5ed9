"""The operational endpoints of a controller-only replica:
``/health/live``, ``/health/ready`` and ``/metrics`` (contract: api.md § Operational
endpoints). Served by :mod:`tron_staking.service` for a controller-only replica (``serve --role
controller``); the API app serves the same endpoints for the other roles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tron_staking.observability import metrics as metrics_module
from tron_staking.observability.metrics import Metrics


def create_app(metrics: Metrics, ready: Callable[[], Awaitable[bool]]) -> Starlette:
    """The probe app: live always answers 200; ready answers 200 when ``ready()`` is True
    (MongoDB answers and start-up finished), else 503; metrics serves ``metrics``' registry."""

    async def live(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readiness(_: Request) -> Response:
        if await ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, status_code=503)

    async def exposition(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=metrics_module.CONTENT_TYPE)

    return Starlette(
        routes=[
            Route("/health/live", live),
            Route("/health/ready", readiness),
            Route("/metrics", exposition),
        ]
    )
