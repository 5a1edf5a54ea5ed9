"""The catalogue of endpoints the OpenAPI document describes: method, path, request and
response models, parameters and an example of each success response.

:mod:`~tron_staking.api.openapi` renders it; the tests check that it and the app's routes
name the same endpoints.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from tron_staking.api import models
from tron_staking.api.models import ADDRESS_EXAMPLE, POSITION_ID_EXAMPLE, WITNESS_EXAMPLE

P = "/api/v1/tron/staking"
_NOW = "2026-11-24T10:00:00Z"


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    where: str  # path, query, header
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclasses.dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    response: type[BaseModel] | None
    example: Any
    status: int = 200
    body: type[BaseModel] | None = None
    params: tuple[Param, ...] = ()
    auth: bool = True
    media_type: str = "application/json"


_ID = Param("id", "path", {"type": "string"}, "A position id (pos_…).", True)
_OP_ID = Param("id", "path", {"type": "string"}, "An operation id (op_…).", True)
_ADDRESS = Param("address", "path", {"type": "string"}, "A TRON address (T… or 41…).", True)
_LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50})
_CURSOR = Param("cursor", "query", {"type": "string"}, "next_cursor of the previous page.")
_OWNER = Param("owner", "query", {"type": "string"}, "Only this owner's positions.")
_LIST = (
    _OWNER,
    Param(
        "state",
        "query",
        {
            "enum": [
                "pending",
                "frozen",
                "voting",
                "delegated",
                "unfreezing",
                "claimable",
                "withdrawn",
            ]
        },
    ),
    Param("resource", "query", {"enum": ["ENERGY", "BANDWIDTH"]}),
    Param("label", "query", {"type": "string"}, "key:value"),
    _LIMIT,
    _CURSOR,
)
_RESUME = Param("Last-Event-ID", "header", {"type": "string"}, "Resume after this event.")
_IDEMPOTENCY = Param(
    "Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 128}
)
_IF_MATCH = Param("If-Match", "header", {"type": "string"}, 'The generation, e.g. "2".')

_CONDITION = {
    "type": "Ready",
    "status": "False",
    "reason": "Pending",
    "message": "declared; nothing is frozen yet",
    "last_transition_time": _NOW,
}
_POSITION = {
    "id": POSITION_ID_EXAMPLE,
    "owner": ADDRESS_EXAMPLE,
    "resource": "ENERGY",
    "amount_sun": 100_000_000,
    "amount_trx": "100",
    "votes": [{"witness": WITNESS_EXAMPLE, "weight": 70}],
    "delegate": None,
    "auto_claim": False,
    "labels": {"team": "treasury"},
    "state": "pending",
    "target_state": "voting",
    "unstake_requested": False,
    "generation": 1,
    "observed_generation": 0,
    "conditions": [_CONDITION],
    "unfreeze_expire_time_ms": None,
    "next_reconcile_at": _NOW,
    "transactions": [],
    "created_by": "alice",
    "created_at": _NOW,
    "updated_at": _NOW,
}
_OPERATION = {
    "id": "op_7hQ2aBcDeFgHiJkLmNoPqR",
    "kind": "freeze",
    "owner": ADDRESS_EXAMPLE,
    "txid": "ab" * 32,
    "state": "included",
    "positions": [POSITION_ID_EXAMPLE],
    "block": 123,
    "fee_sun": 0,
    "error": None,
    "reason": "freeze 100 TRX for ENERGY",
    "created_at": _NOW,
    "updated_at": _NOW,
}
_BY_RESOURCE = {"ENERGY": 100_000_000, "BANDWIDTH": 0}
_FIGURES = {
    "limit": 1_500,
    "used": 300,
    "available": 1_200,
    "staked_sun": 100_000_000,
    "delegatable_sun": 100_000_000,
    "delegated_out_sun": 0,
    "delegated_in_sun": 0,
}
_STATS = {
    "positions_total": 1,
    "positions_by_state": {"voting": 1},
    "active_positions": 1,
    "total_staked_sun": 100_000_000,
    "total_staked_trx": "100",
    "total_delegated_sun": 0,
    "owners": 1,
    "operations_by_state": {"solidified": 2},
}
_SSE_EXAMPLE = (
    'id: eyJwb3NfMyI6WzEsMCwwXX0\nevent: transition\ndata: {"from": "pending", "to": '
    '"frozen", "trigger": "freeze_included", "position_id": "pos_…"}\n\n'
)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post",
        P + "/positions",
        "Declare a position",
        "positions",
        models.PositionOut,
        _POSITION,
        201,
        models.PositionSpecIn,
        (_IDEMPOTENCY,),
    ),
    Operation(
        "get",
        P + "/positions",
        "List positions",
        "positions",
        models.PositionList,
        {"items": [_POSITION], "next_cursor": None},
        params=_LIST,
    ),
    Operation(
        "get",
        P + "/records",
        "List positions (the seed's name)",
        "positions",
        models.PositionList,
        {"items": [_POSITION], "next_cursor": None},
        params=_LIST,
    ),
    Operation(
        "get",
        P + "/positions/{id}",
        "Read a position",
        "positions",
        models.PositionOut,
        _POSITION,
        params=(_ID,),
    ),
    Operation(
        "patch",
        P + "/positions/{id}",
        "Change votes, delegation, auto-claim or labels",
        "positions",
        models.PositionOut,
        _POSITION,
        body=models.PositionPatchIn,
        params=(_ID, _IF_MATCH),
    ),
    Operation(
        "delete",
        P + "/positions/{id}",
        "Request the unstake of a position",
        "positions",
        models.PositionOut,
        {**_POSITION, "unstake_requested": True, "target_state": "withdrawn"},
        202,
        params=(_ID,),
    ),
    Operation(
        "get",
        P + "/positions/{id}/transitions",
        "A position's history, oldest first",
        "positions",
        models.TransitionList,
        {
            "items": [
                {
                    "from": "pending",
                    "to": "frozen",
                    "trigger": "freeze_included",
                    "reason": "FreezeBalanceV2 included",
                    "txid": "ab" * 32,
                    "block": 123,
                    "generation": 1,
                    "subject": None,
                    "at": _NOW,
                }
            ]
        },
        params=(_ID,),
    ),
    Operation(
        "get",
        P + "/positions/{id}/plan",
        "Dry run: what the controller would send next",
        "positions",
        models.PlanOut,
        {
            "owner": ADDRESS_EXAMPLE,
            "actions": [
                {
                    "kind": "freeze",
                    "params": {"frozen_balance": 100_000_000, "resource": "ENERGY"},
                    "positions": [POSITION_ID_EXAMPLE],
                    "reason": "declared",
                }
            ],
            "waiting_for": [],
            "warnings": [],
        },
        params=(_ID,),
    ),
    Operation(
        "get",
        P + "/positions/{id}/events",
        "Watch a position (server-sent events)",
        "watch",
        None,
        _SSE_EXAMPLE,
        params=(_ID, _RESUME),
        media_type="text/event-stream",
    ),
    Operation(
        "get",
        P + "/events",
        "Watch every readable position (server-sent events)",
        "watch",
        None,
        _SSE_EXAMPLE,
        params=(_OWNER, _RESUME),
        media_type="text/event-stream",
    ),
    Operation(
        "get",
        P + "/operations/{id}",
        "Read an on-chain operation",
        "operations",
        models.OperationOut,
        _OPERATION,
        params=(_OP_ID,),
    ),
    Operation(
        "post",
        P + "/freeze",
        "Declare a position (seed endpoint)",
        "seed operations",
        models.PositionsOut,
        {"items": [_POSITION]},
        202,
        models.PositionSpecIn,
    ),
    Operation(
        "post",
        P + "/unfreeze",
        "Request an unstake (seed endpoint)",
        "seed operations",
        models.PositionsOut,
        {"items": [_POSITION]},
        202,
        models.PositionRefIn,
    ),
    Operation(
        "post",
        P + "/vote",
        "Set a position's votes (seed endpoint)",
        "seed operations",
        models.PositionsOut,
        {"items": [_POSITION]},
        202,
        models.VoteRequestIn,
    ),
    Operation(
        "post",
        P + "/delegate",
        "Set a position's delegation (seed endpoint)",
        "seed operations",
        models.PositionsOut,
        {"items": [_POSITION]},
        202,
        models.DelegateRequestIn,
    ),
    Operation(
        "post",
        P + "/undelegate",
        "Remove a position's delegation (seed endpoint)",
        "seed operations",
        models.PositionsOut,
        {"items": [_POSITION]},
        202,
        models.PositionRefIn,
    ),
    Operation(
        "post",
        P + "/claim-rewards",
        "Request a reward claim",
        "seed operations",
        models.ClaimOut,
        {
            "owner": ADDRESS_EXAMPLE,
            "requested_at": _NOW,
            "next_claim_possible_at": None,
            "unclaimed_sun": 1_200_000,
        },
        202,
        models.ClaimRequestIn,
    ),
    Operation(
        "get",
        P + "/status/{address}",
        "An owner's on-chain and managed state",
        "addresses",
        models.AddressStatusOut,
        {
            "address": ADDRESS_EXAMPLE,
            "activated": True,
            "balance_sun": 5_000_000,
            "frozen_sun": _BY_RESOURCE,
            "delegated_out_sun": {"ENERGY": 0, "BANDWIDTH": 0},
            "acquired_sun": {"ENERGY": 0, "BANDWIDTH": 0},
            "unfreezing": [],
            "withdrawable_sun": 0,
            "votes": [{"witness": WITNESS_EXAMPLE, "count": 100}],
            "tron_power": {"limit": 100, "used": 100},
            "unclaimed_reward_sun": 0,
            "positions": {"by_state": {"voting": 1}},
            "managed_staked_sun": 100_000_000,
            "drift": [],
            "observed_block": 123,
        },
        params=(_ADDRESS,),
    ),
    Operation(
        "get",
        P + "/rewards/{address}",
        "An owner's rewards and claims",
        "addresses",
        models.RewardsOut,
        {
            "address": ADDRESS_EXAMPLE,
            "unclaimed_sun": 1_200_000,
            "claimed_total_sun": 0,
            "last_claim_at": None,
            "next_claim_possible_at": None,
            "claims": [],
        },
        params=(_ADDRESS,),
    ),
    Operation(
        "get",
        P + "/resources/{address}",
        "An owner's energy and bandwidth",
        "addresses",
        models.ResourcesOut,
        {
            "address": ADDRESS_EXAMPLE,
            "energy": _FIGURES,
            "bandwidth": {**_FIGURES, "free_limit": 600, "free_used": 0, "free_available": 600},
            "observed_block": 123,
        },
        params=(_ADDRESS,),
    ),
    Operation(
        "get",
        P + "/history/{address}",
        "An owner's operations, newest first",
        "addresses",
        models.OperationList,
        {"items": [_OPERATION], "next_cursor": None},
        params=(_ADDRESS, _LIMIT, _CURSOR),
    ),
    Operation(
        "get",
        P + "/stats",
        "Totals over the readable positions",
        "addresses",
        models.StatsOut,
        _STATS,
    ),
    Operation(
        "get",
        "/",
        "Service name and links",
        "service",
        models.RootOut,
        {
            "name": "tron-staking",
            "version": "0.1.0",
            "docs": "/docs",
            "openapi": "/openapi.json",
            "health": "/health",
        },
        auth=False,
    ),
    Operation(
        "get",
        "/health",
        "Health with per-dependency checks",
        "service",
        models.HealthOut,
        {
            "status": "healthy",
            "service": "tron-staking",
            "timestamp": _NOW,
            "service_initialized": True,
            "staking": {
                "total_staking_records": 1,
                "active_staking_records": 1,
                "total_staked_trx": 100.0,
                "total_resource_records": 0,
            },
            "checks": {"mongo": "ok", "redis": "ok", "chain": "ok", "controller": "running"},
        },
        auth=False,
    ),
    Operation(
        "get", "/health/live", "Liveness", "service", models.ProbeOut, {"status": "ok"}, auth=False
    ),
    Operation(
        "get",
        "/health/ready",
        "Readiness: Mongo answers and start-up finished",
        "service",
        models.ProbeOut,
        {"status": "ready"},
        auth=False,
    ),
    Operation(
        "get",
        "/status",
        "Service status",
        "service",
        models.ServiceStatusOut,
        {
            "state": "running",
            "uptime_s": 12.5,
            "version": "0.1.0",
            "database": {"status": "ok"},
            "chain": {
                "endpoint": "http://127.0.0.1:8090",
                "head_block": 123,
                "solid_block": 104,
                "lag_blocks": 19,
            },
            "controller": {
                "replica_id": "a-1",
                "owners_leased": 1,
                "queue_depth": 0,
                "last_reconcile_at": _NOW,
            },
            "stats": _STATS,
            "recent_operations": [_OPERATION],
        },
        auth=False,
    ),
    Operation(
        "get",
        "/metrics",
        "Prometheus metrics",
        "service",
        None,
        "# TYPE staking_requests_total counter\n",
        auth=False,
        media_type="text/plain",
    ),
    Operation(
        "get",
        "/openapi.json",
        "This document",
        "service",
        None,
        {"openapi": "3.1.0"},
        auth=False,
    ),
    Operation(
        "get",
        "/docs",
        "The API documentation page",
        "service",
        None,
        "<!doctype html>…",
        auth=False,
        media_type="text/html",
    ),
)
