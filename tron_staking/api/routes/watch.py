"""``/positions/{id}/events`` and ``/events?owner=``: the watch streams (see
:mod:`~tron_staking.api.events`). Authorization as for reads; the stream of every position
holds only the positions the subject may read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_staking.api import events
from tron_staking.api.context import ApiContext
from tron_staking.api.routes.positions import PREFIX
from tron_staking.domain.position import Position

MAX_WATCHED = 500


def routes(ctx: ApiContext) -> list[Route]:
    def respond(source: AsyncIterator[dict[str, str]]) -> Response:
        return EventSourceResponse(source, ping=ctx.deps.heartbeat_s)

    async def one(request: Request) -> Response:
        principal = await ctx.reader(request)
        position = await ctx.readable_position(principal, request.path_params["id"])
        cursor = events.decode(request.headers.get("last-event-id"))

        async def positions() -> Sequence[Position]:
            return [await ctx.position(position.id)]

        return respond(
            events.stream(
                ctx.deps.store, ctx.journal, positions, cursor, ctx.deps.events_poll_interval_s
            )
        )

    async def every(request: Request) -> Response:
        principal = await ctx.reader(request)
        owners = principal.owner_filter()
        if "owner" in request.query_params:
            owner = ctx.address(request.query_params["owner"], "query", "owner")
            owners = [owner] if owners is None or owner in owners else []
        filter_ = {} if owners is None else {"owner": {"$in": owners}}
        cursor = events.decode(request.headers.get("last-event-id"))

        async def positions() -> Sequence[Position]:
            page = await ctx.deps.store.positions.find(
                filter_, sort=[("created_at", 1)], limit=MAX_WATCHED
            )
            return [Position.from_storage(d) for d in page.items]  # type: ignore[arg-type]

        return respond(
            events.stream(
                ctx.deps.store, ctx.journal, positions, cursor, ctx.deps.events_poll_interval_s
            )
        )

    return [
        Route(PREFIX + "/positions/{id}/events", one, methods=["GET"]),
        Route(PREFIX + "/events", every, methods=["GET"]),
    ]
