"""Per-address reads (``/status``, ``/rewards``, ``/resources``, ``/history``) and ``/stats``.

An address read combines the store (the owner's positions, operations and claims) with one
chain observation through the chain adapter, and is cached for a few seconds under the seed's
Redis keys (``staking_stats:``, ``rewards:``, ``resource_info:`` + address). Writes to an
owner's positions invalidate its keys.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tron_staking.api import models, problems, responses, views
from tron_staking.api.auth import Principal, Scope
from tron_staking.api.context import ApiContext
from tron_staking.api.routes.operations import next_claim_at
from tron_staking.api.routes.positions import PREFIX
from tron_staking.cache.keys import AddressView
from tron_staking.domain import amounts
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import ConditionStatus, ConditionType, StakingResourceType
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import ValidationError

MAX_POSITIONS = 500
MAX_CLAIMS = 100
_ENERGY, _BANDWIDTH = StakingResourceType.ENERGY, StakingResourceType.BANDWIDTH


def _by_resource(values: Any) -> models.ByResource:
    return models.ByResource(ENERGY=values.get(_ENERGY, 0), BANDWIDTH=values.get(_BANDWIDTH, 0))


async def _positions(ctx: ApiContext, owner: Address) -> list[Position]:
    page = await ctx.deps.store.positions.find(
        {"owner": owner}, sort=[("created_at", 1)], limit=MAX_POSITIONS
    )
    return [Position.from_storage(d) for d in page.items]  # type: ignore[arg-type]


async def _observe(ctx: ApiContext, owner: Address, positions: list[Position]) -> AccountSnapshot:
    receivers = {p.spec.delegate.receiver for p in positions if p.spec.delegate is not None}
    return await ctx.deps.chain.observe(owner, sorted(receivers))


def _drift(positions: list[Position]) -> list[models.DriftOut]:
    found = []
    for position in positions:
        condition = position.condition(ConditionType.DRIFTED)
        if condition is not None and condition.status is ConditionStatus.TRUE:
            found.append(
                models.DriftOut(
                    position_id=position.id,
                    type=condition.type.value,
                    reason=condition.reason,
                    message=condition.message,
                )
            )
    return found


async def address_status(ctx: ApiContext, owner: Address) -> models.AddressStatusOut:
    positions = await _positions(ctx, owner)
    snap = await _observe(ctx, owner, positions)
    delegated = {r: snap.delegated_out_total_sun.get(r, 0) for r in StakingResourceType}
    return models.AddressStatusOut(
        address=owner,
        activated=snap.exists,
        balance_sun=snap.balance_sun,
        frozen_sun=_by_resource(snap.frozen_sun),
        delegated_out_sun=_by_resource(delegated),
        acquired_sun=_by_resource(snap.acquired_sun),
        unfreezing=[
            models.UnfreezingOut(
                amount_sun=e.amount_sun, resource=e.resource.value, expire_time_ms=e.expire_time_ms
            )
            for e in snap.unfreezing
        ],
        withdrawable_sun=snap.withdrawable_sun(snap.chain_time_ms),
        votes=[models.WitnessVoteOut(witness=v.witness, count=v.count) for v in snap.votes],
        tron_power=models.TronPowerOut(limit=snap.tron_power_limit, used=snap.tron_power_used),
        unclaimed_reward_sun=snap.reward_sun,
        positions=models.ManagedPositionsOut(
            by_state=dict(Counter(p.state.value for p in positions))
        ),
        managed_staked_sun=sum(p.amount_sun for p in positions if p.state.holds_stake),
        drift=_drift(positions),
        observed_block=snap.head_block_number,
    )


async def address_rewards(ctx: ApiContext, owner: Address) -> models.RewardsOut:
    snap = await ctx.deps.chain.observe(owner, ())
    page = await ctx.deps.store.rewards.find(
        {"owner": owner, "kind": "claim_rewards"}, sort=[("created_at", -1)], limit=MAX_CLAIMS
    )
    claims = [
        models.ClaimEntryOut(
            txid=str(d.get("txid") or ""),
            amount_sun=int(d.get("amount_sun") or 0),
            at=d["created_at"],
        )
        for d in page.items
    ]
    return models.RewardsOut(
        address=owner,
        unclaimed_sun=snap.reward_sun,
        claimed_total_sun=sum(c.amount_sun for c in claims),
        last_claim_at=claims[0].at if claims else None,
        next_claim_possible_at=next_claim_at(snap.latest_withdraw_time_ms),
        claims=claims,
    )


async def address_resources(ctx: ApiContext, owner: Address) -> models.ResourcesOut:
    positions = await _positions(ctx, owner)
    snap = await _observe(ctx, owner, positions)

    def figures(resource: StakingResourceType) -> dict[str, int]:
        delegated_out = snap.delegated_out_total_sun.get(resource, 0)
        return {
            "staked_sun": snap.frozen(resource) + delegated_out,
            "delegatable_sun": snap.can_delegate(resource),
            "delegated_out_sun": delegated_out,
            "delegated_in_sun": snap.acquired_sun.get(resource, 0),
        }

    return models.ResourcesOut(
        address=owner,
        energy=models.ResourceFiguresOut(
            limit=snap.energy_limit,
            used=snap.energy_used,
            available=snap.energy_available,
            **figures(_ENERGY),
        ),
        bandwidth=models.BandwidthOut(
            limit=snap.net_limit,
            used=snap.net_used,
            available=snap.staked_bandwidth_available_bytes,
            free_limit=snap.free_net_limit,
            free_used=snap.free_net_used,
            free_available=snap.free_bandwidth_available_bytes,
            **figures(_BANDWIDTH),
        ),
        observed_block=snap.head_block_number,
    )


async def stats(ctx: ApiContext, principal: Principal) -> models.StatsOut:
    owners = principal.owner_filter()
    filter_ = {} if owners is None else {"owner": {"$in": owners}}
    positions: list[Position] = []
    cursor = None
    while True:
        page = await ctx.deps.store.positions.find(filter_, limit=MAX_POSITIONS, cursor=cursor)
        positions.extend(Position.from_storage(d) for d in page.items)  # type: ignore[arg-type]
        cursor = page.next_cursor
        if cursor is None:
            break
    by_op_state: Counter[str] = Counter()
    for state in ("recorded", "broadcast", "included", "solidified", "rejected", "expired"):
        count = await ctx.deps.store.operations.count({**filter_, "state": state})
        if count:
            by_op_state[state] = count
    staked = sum(p.amount_sun for p in positions if p.state.holds_stake)
    return models.StatsOut(
        positions_total=len(positions),
        positions_by_state=dict(Counter(p.state.value for p in positions)),
        active_positions=sum(1 for p in positions if not p.terminal),
        total_staked_sun=staked,
        total_staked_trx=amounts.format_trx(staked),
        total_delegated_sun=sum(
            p.delegation.amount_sun for p in positions if p.delegation is not None
        ),
        owners=len({p.owner for p in positions}),
        operations_by_state=dict(by_op_state),
    )


def routes(ctx: ApiContext) -> list[Route]:
    async def owner_of(request: Request) -> Address:
        principal = await ctx.reader(request)
        owner = ctx.address(request.path_params["address"])
        principal.require(Scope.READ, owner)
        return owner

    def cached(view: AddressView, build: Any, model: type[BaseModel]) -> Any:
        async def endpoint(request: Request) -> Response:
            owner = await owner_of(request)
            hit = await ctx.views.get(view, owner)
            if isinstance(hit, dict):
                return responses.send(model.model_validate(hit))
            result = await build(ctx, owner)
            await ctx.views.put(view, owner, views.dump(result))
            return responses.send(result)

        return endpoint

    async def history(request: Request) -> Response:
        owner = await owner_of(request)
        try:
            page = await ctx.deps.store.operations.find(
                {"owner": owner},
                sort=[("created_at", -1)],
                limit=responses.limit_of(request.query_params),
                cursor=request.query_params.get("cursor"),
            )
        except ValidationError as exc:
            raise problems.from_validation(exc, "query") from None
        items = [views.operation_out(d) for d in page.items]
        return responses.send(models.OperationList(items=items, next_cursor=page.next_cursor))

    async def stats_endpoint(request: Request) -> Response:
        principal = await ctx.reader(request)
        return responses.send(await stats(ctx, principal))

    return [
        Route(
            PREFIX + "/status/{address}",
            cached(AddressView.STAKING_STATS, address_status, models.AddressStatusOut),
            methods=["GET"],
        ),
        Route(
            PREFIX + "/rewards/{address}",
            cached(AddressView.REWARDS, address_rewards, models.RewardsOut),
            methods=["GET"],
        ),
        Route(
            PREFIX + "/resources/{address}",
            cached(AddressView.RESOURCE_INFO, address_resources, models.ResourcesOut),
            methods=["GET"],
        ),
        Route(PREFIX + "/history/{address}", history, methods=["GET"]),
        Route(PREFIX + "/stats", stats_endpoint, methods=["GET"]),
    ]
