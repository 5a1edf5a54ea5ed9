"""``/positions``: declare, list, read, change and unstake positions; their history and the
dry-run plan (contract: api.md § Positions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_staking.api import bodies, commands, models, problems, responses, views
from tron_staking.api.auth import Principal
from tron_staking.api.context import ApiContext
from tron_staking.domain import spec as spec_module
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.position import Position
from tron_staking.domain.spec import PositionSpec
from tron_staking.errors import ValidationError

PREFIX = "/api/v1/tron/staking"
MAX_IDEMPOTENCY_KEY_CHARS = 128
_STATES = frozenset(s.value for s in StakingStatusType)
_RESOURCES = frozenset(r.value for r in StakingResourceType)
_IMMUTABLE = ("owner", "resource", "amount_sun", "amount_trx")


def spec_from(model: models.PositionSpecIn) -> PositionSpec:
    """The domain spec of a create body; a 422 naming the field the domain refuses."""
    data: dict[str, Any] = model.model_dump(exclude_none=True)
    if isinstance(data.get("amount_trx"), float):
        data["amount_trx"] = Decimal(repr(data["amount_trx"]))
    try:
        return spec_module.parse_spec(data)
    except ValidationError as exc:
        raise problems.from_validation(exc) from None


def edit_from(model: models.PositionPatchIn, now: dt.datetime) -> Callable[[Position], Position]:
    """``edit(position) -> Position`` applying the fields given in a PATCH body at ``now``;
    the edit raises 422 (a field the domain refuses) or 409 (the position is unstaking)."""
    given = model.model_fields_set

    def edit(position: Position) -> Position:
        current = position.spec
        for name in _IMMUTABLE:
            value = getattr(model, name)
            if name in given and value != getattr(current, name):
                raise problems.invalid(f"{name} cannot be changed", ["body", name])
        try:
            new = current
            if "votes" in given:
                raw = None if model.votes is None else [v.model_dump() for v in model.votes]
                new = new.with_votes(spec_module.parse_votes(raw))
            if "delegate" in given:
                raw_delegate = None if model.delegate is None else model.delegate.model_dump()
                new = new.with_delegate(spec_module.parse_delegate(raw_delegate))
            if "auto_claim" in given:
                if model.auto_claim is None:
                    raise ValidationError("auto_claim must be true or false", field="auto_claim")
                new = new.with_auto_claim(model.auto_claim)
            if "labels" in given:
                new = new.with_labels(spec_module.parse_labels(model.labels))
            return position.with_spec(new, at=now)
        except ValidationError as exc:
            if exc.field == "id":
                raise problems.Problem(409, str(exc)) from None
            raise problems.from_validation(exc) from None

    return edit


def routes(ctx: ApiContext) -> list[Route]:
    async def render(position: Position) -> str:
        return responses.body_of(
            (await views.positions_out(ctx.deps.store.operations, [position]))[0]
        )

    async def create(request: Request) -> Response:
        principal = await ctx.writer(request)
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
            raise problems.invalid(
                f"Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters",
                ["header", "Idempotency-Key"],
            )
        model, document = await bodies.parse(request, models.PositionSpecIn)
        spec = spec_from(model)
        await ctx.count_write(principal, spec.owner)
        idem = None
        if key is not None:
            idem = (key, commands.request_hash("POST", PREFIX + "/positions", document))
        stored = await commands.declare(ctx, principal, spec, render, idem)
        return Response(stored.body, status_code=stored.status_code, media_type="application/json")

    async def listing(request: Request) -> Response:
        principal = await ctx.reader(request)
        return responses.send(await list_positions(ctx, principal, request))

    async def read(request: Request) -> Response:
        principal = await ctx.reader(request)
        position = await ctx.readable_position(principal, request.path_params["id"])
        return Response(await render(position), media_type="application/json")

    async def patch(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.PositionPatchIn)
        changed = await commands.change(
            ctx,
            principal,
            request.path_params["id"],
            edit_from(model, ctx.deps.clock.now()),
            if_match=request.headers.get("if-match"),
        )
        return Response(await render(changed), media_type="application/json")

    async def delete(request: Request) -> Response:
        principal = await ctx.writer(request)
        position = await unstake(ctx, principal, request.path_params["id"])
        return Response(await render(position), status_code=202, media_type="application/json")

    async def transitions(request: Request) -> Response:
        principal = await ctx.reader(request)
        position = await ctx.readable_position(principal, request.path_params["id"])
        entries = await ctx.deps.store.transitions.list(position.id)
        items = [views.transition_out(entry) for entry in entries]
        return responses.send(models.TransitionList(items=items))

    async def plan(request: Request) -> Response:
        principal = await ctx.reader(request)
        position = await ctx.readable_position(principal, request.path_params["id"])
        if ctx.deps.planner is None:
            raise problems.Problem(503, "the dry-run planner is not available in this process")
        result = await ctx.deps.planner(position.owner)
        return responses.send(models.PlanOut.model_validate(dict(result)))

    return [
        Route(PREFIX + "/positions", create, methods=["POST"]),
        Route(PREFIX + "/positions", listing, methods=["GET"]),
        Route(PREFIX + "/records", listing, methods=["GET"]),
        Route(PREFIX + "/positions/{id}", read, methods=["GET"]),
        Route(PREFIX + "/positions/{id}", patch, methods=["PATCH"]),
        Route(PREFIX + "/positions/{id}", delete, methods=["DELETE"]),
        Route(PREFIX + "/positions/{id}/transitions", transitions, methods=["GET"]),
        Route(PREFIX + "/positions/{id}/plan", plan, methods=["GET"]),
    ]


async def unstake(ctx: ApiContext, principal: Principal, position_id: str) -> Position:
    """Request the unstake of a position (idempotent); the position as stored."""
    now = ctx.deps.clock.now()
    return await commands.change(
        ctx, principal, position_id, lambda p: p.with_unstake_requested(at=now), unstake=True
    )


async def list_positions(
    ctx: ApiContext, principal: Principal, request: Request
) -> models.PositionList:
    query = request.query_params
    limit = responses.limit_of(query)
    filter_: dict[str, Any] = {}
    owners = principal.owner_filter()
    if "owner" in query:
        owner = ctx.address(query["owner"], "query", "owner")
        owners = [owner] if owners is None or owner in owners else []
    if owners is not None:
        # One owner as an equality: some query planners serve only that from an index.
        filter_["owner"] = owners[0] if len(owners) == 1 else {"$in": owners}
    state = responses.choice_of(query, "state", _STATES)
    if state is not None:
        filter_["state"] = state
    resource = responses.choice_of(query, "resource", _RESOURCES)
    if resource is not None:
        filter_["resource"] = resource
    for label in query.getlist("label"):
        name, sep, value = label.partition(":")
        if not sep or not name:
            raise problems.invalid("label is key:value", ["query", "label"])
        filter_[f"labels.{name}"] = value
    try:
        page = await ctx.deps.store.positions.find(
            filter_, sort=[("created_at", 1)], limit=limit, cursor=query.get("cursor")
        )
    except ValidationError as exc:
        raise problems.from_validation(exc, "query") from None
    positions = [Position.from_storage(d) for d in page.items]  # type: ignore[arg-type]
    items = await views.positions_out(ctx.deps.store.operations, positions)
    return models.PositionList(items=items, next_cursor=page.next_cursor)
