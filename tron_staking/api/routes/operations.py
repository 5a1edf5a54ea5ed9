"""``/operations/{id}`` and the seed's operation endpoints (``/freeze``, ``/unfreeze``,
``/vote``, ``/delegate``, ``/undelegate``, ``/claim-rewards``): declarative sugar over the
positions — each stores a spec change and answers 202; none sends a transaction itself.

A claim request is stored in ``staking_rewards`` as ``{"id": "claimreq_<owner>", "kind":
"claim_request", "owner", "requested_at"}`` (see :mod:`~tron_staking.domain.claim_requests`)
for the controller to act on.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_staking.api import bodies, commands, models, problems, responses, views
from tron_staking.api.auth import Principal, Scope
from tron_staking.api.context import ApiContext
from tron_staking.api.routes.positions import PREFIX, spec_from, unstake
from tron_staking.domain import claim_requests, ids
from tron_staking.domain import spec as spec_module
from tron_staking.domain.claim_requests import claim_request_id
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec, VoteWeight
from tron_staking.errors import DuplicateKeyError, NotFoundError, ValidationError

CLAIM_INTERVAL_MS = 86_400_000
"""WithdrawBalance is allowed once per 24 h of chain time."""


def routes(ctx: ApiContext) -> list[Route]:
    async def sent(positions: list[Position]) -> Response:
        items = await views.positions_out(ctx.deps.store.operations, positions)
        return responses.send(models.PositionsOut(items=items), 202)

    async def operation(request: Request) -> Response:
        principal = await ctx.reader(request)
        try:
            op_id = ids.parse_operation_id(request.path_params["id"])
            document = await ctx.deps.store.operations.get(op_id)
        except (ValidationError, NotFoundError):
            raise problems.Problem(404, "no such operation") from None
        principal.require(Scope.READ, str(document["owner"]))
        return responses.send(views.operation_out(document))

    async def freeze(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.PositionSpecIn)
        spec = spec_from(model)
        await ctx.count_write(principal, spec.owner)
        stored = await commands.declare(ctx, principal, spec, _render_one(ctx), None)
        document = stored.body
        return Response(
            '{"items":[' + document + "]}", status_code=202, media_type="application/json"
        )

    async def unfreeze(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.PositionRefIn)
        return await sent([await unstake(ctx, principal, model.position_id)])

    async def vote(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.VoteRequestIn)
        try:
            votes = spec_module.parse_votes([v.model_dump() for v in model.votes])
        except ValidationError as exc:
            raise problems.from_validation(exc) from None
        return await sent([await _edit(ctx, principal, model.position_id, votes=votes)])

    async def delegate(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.DelegateRequestIn)
        wanted = DelegateSpec(
            receiver=ctx.address(model.receiver, "body", "receiver"),
            lock=model.lock,
            lock_period_blocks=model.lock_period_blocks,
        )
        changed = await _edit(
            ctx, principal, model.position_id, delegate=wanted, field_prefix="delegate."
        )
        return await sent([changed])

    async def undelegate(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.PositionRefIn)
        return await sent([await _edit(ctx, principal, model.position_id, delegate=None)])

    async def claim(request: Request) -> Response:
        principal = await ctx.writer(request)
        model, _ = await bodies.parse(request, models.ClaimRequestIn)
        owner = ctx.address(model.owner, "body", "owner")
        await ctx.count_write(principal, owner)
        return responses.send(await request_claim(ctx, owner), 202)

    return [
        Route(PREFIX + "/operations/{id}", operation, methods=["GET"]),
        Route(PREFIX + "/freeze", freeze, methods=["POST"]),
        Route(PREFIX + "/unfreeze", unfreeze, methods=["POST"]),
        Route(PREFIX + "/vote", vote, methods=["POST"]),
        Route(PREFIX + "/delegate", delegate, methods=["POST"]),
        Route(PREFIX + "/undelegate", undelegate, methods=["POST"]),
        Route(PREFIX + "/claim-rewards", claim, methods=["POST"]),
    ]


def _render_one(ctx: ApiContext) -> commands.Render:
    async def render(position: Position) -> str:
        out = await views.positions_out(ctx.deps.store.operations, [position])
        return responses.body_of(out[0])

    return render


_UNSET = object()


async def _edit(
    ctx: ApiContext,
    principal: Principal,
    position_id: str,
    *,
    votes: tuple[VoteWeight, ...] | None = None,
    delegate: DelegateSpec | object | None = _UNSET,
    field_prefix: str = "",
) -> Position:
    """Change the votes and/or the delegation of a position; a refused field is named as the
    seed endpoint's body names it (``field_prefix`` is dropped from the domain's name)."""
    now = ctx.deps.clock.now()

    def edit(position: Position) -> Position:
        try:
            new = position.spec
            if votes is not None:
                new = new.with_votes(votes)
            if isinstance(delegate, DelegateSpec) or delegate is None:
                new = new.with_delegate(delegate)
            return position.with_spec(new, at=now)
        except ValidationError as exc:
            if exc.field == "id":
                raise problems.Problem(409, str(exc)) from None
            field = exc.field or ""
            loc = problems.field_loc(field.removeprefix(field_prefix) if field_prefix else field)
            raise problems.invalid(str(exc), loc) from None

    return await commands.change(ctx, principal, position_id, edit)


async def request_claim(ctx: ApiContext, owner: str) -> models.ClaimOut:
    """Store a one-shot claim request for ``owner`` and wake the controller, which marks it
    fulfilled when a claim lands (``controller.ledger`` reads this same id). Reads the
    chain for the reward and the 24 h rule."""
    snapshot = await ctx.deps.chain.observe(owner, ())  # type: ignore[arg-type]
    now = ctx.deps.clock.now()
    document = {"id": claim_request_id(owner), "kind": claim_requests.KIND, "owner": owner}
    try:
        await ctx.deps.store.rewards.insert({**document, "requested_at": now, "created_at": now})
    except DuplicateKeyError:
        current = await ctx.deps.store.rewards.get(document["id"])
        await ctx.deps.store.rewards.update(
            document["id"], int(current["version"]), {"requested_at": now}
        )
    await ctx.deps.cache.publish_wake(owner)
    return models.ClaimOut(
        owner=owner,
        requested_at=now,
        next_claim_possible_at=next_claim_at(snapshot.latest_withdraw_time_ms),
        unclaimed_sun=snapshot.reward_sun,
    )


def next_claim_at(latest_withdraw_time_ms: int | None) -> dt.datetime | None:
    """When WithdrawBalance is allowed again (None = now), by the chain's 24 h rule."""
    if not latest_withdraw_time_ms:
        return None
    return dt.datetime.fromtimestamp((latest_withdraw_time_ms + CLAIM_INTERVAL_MS) / 1000, dt.UTC)
