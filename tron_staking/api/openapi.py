"""The OpenAPI 3.1 document of the API, generated from the same pydantic models the routes
use, with an example for every operation.

:data:`OPERATIONS` lists every endpoint (method, path, models, parameters, example); the
tests check that it and the app's routes name the same endpoints.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tron_staking.api import models
from tron_staking.api.models import ADDRESS_EXAMPLE, POSITION_ID_EXAMPLE, WITNESS_EXAMPLE
from tron_staking.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE

P = "/api/v1/tron/staking"
REF = "#/components/schemas/{model}"
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
    "limit": None,
    "used": None,
    "available": None,
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


def _operations() -> tuple[Operation, ...]:
    m = models
    return (
        Operation(
            "post",
            P + "/positions",
            "Declare a position",
            "positions",
            m.PositionOut,
            _POSITION,
            201,
            m.PositionSpecIn,
            (_IDEMPOTENCY,),
        ),
        Operation(
            "get",
            P + "/positions",
            "List positions",
            "positions",
            m.PositionList,
            {"items": [_POSITION], "next_cursor": None},
            params=_LIST,
        ),
        Operation(
            "get",
            P + "/records",
            "List positions (the seed's name)",
            "positions",
            m.PositionList,
            {"items": [_POSITION], "next_cursor": None},
            params=_LIST,
        ),
        Operation(
            "get",
            P + "/positions/{id}",
            "Read a position",
            "positions",
            m.PositionOut,
            _POSITION,
            params=(_ID,),
        ),
        Operation(
            "patch",
            P + "/positions/{id}",
            "Change votes, delegation, auto-claim or labels",
            "positions",
            m.PositionOut,
            _POSITION,
            body=m.PositionPatchIn,
            params=(_ID, _IF_MATCH),
        ),
        Operation(
            "delete",
            P + "/positions/{id}",
            "Request the unstake of a position",
            "positions",
            m.PositionOut,
            {**_POSITION, "unstake_requested": True, "target_state": "withdrawn"},
            202,
            params=(_ID,),
        ),
        Operation(
            "get",
            P + "/positions/{id}/transitions",
            "A position's history, oldest first",
            "positions",
            m.TransitionList,
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
            m.PlanOut,
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
            m.OperationOut,
            _OPERATION,
            params=(_OP_ID,),
        ),
        Operation(
            "post",
            P + "/freeze",
            "Declare a position (seed endpoint)",
            "seed operations",
            m.PositionsOut,
            {"items": [_POSITION]},
            202,
            m.PositionSpecIn,
        ),
        Operation(
            "post",
            P + "/unfreeze",
            "Request an unstake (seed endpoint)",
            "seed operations",
            m.PositionsOut,
            {"items": [_POSITION]},
            202,
            m.PositionRefIn,
        ),
        Operation(
            "post",
            P + "/vote",
            "Set a position's votes (seed endpoint)",
            "seed operations",
            m.PositionsOut,
            {"items": [_POSITION]},
            202,
            m.VoteRequestIn,
        ),
        Operation(
            "post",
            P + "/delegate",
            "Set a position's delegation (seed endpoint)",
            "seed operations",
            m.PositionsOut,
            {"items": [_POSITION]},
            202,
            m.DelegateRequestIn,
        ),
        Operation(
            "post",
            P + "/undelegate",
            "Remove a position's delegation (seed endpoint)",
            "seed operations",
            m.PositionsOut,
            {"items": [_POSITION]},
            202,
            m.PositionRefIn,
        ),
        Operation(
            "post",
            P + "/claim-rewards",
            "Request a reward claim",
            "seed operations",
            m.ClaimOut,
            {
                "owner": ADDRESS_EXAMPLE,
                "requested_at": _NOW,
                "next_claim_possible_at": None,
                "unclaimed_sun": 1_200_000,
            },
            202,
            m.ClaimRequestIn,
        ),
        Operation(
            "get",
            P + "/status/{address}",
            "An owner's on-chain and managed state",
            "addresses",
            m.AddressStatusOut,
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
            m.RewardsOut,
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
            m.ResourcesOut,
            {
                "address": ADDRESS_EXAMPLE,
                "energy": _FIGURES,
                "bandwidth": {**_FIGURES, "free_available": 600},
                "observed_block": 123,
            },
            params=(_ADDRESS,),
        ),
        Operation(
            "get",
            P + "/history/{address}",
            "An owner's operations, newest first",
            "addresses",
            m.OperationList,
            {"items": [_OPERATION], "next_cursor": None},
            params=(_ADDRESS, _LIMIT, _CURSOR),
        ),
        Operation(
            "get",
            P + "/stats",
            "Totals over the readable positions",
            "addresses",
            m.StatsOut,
            _STATS,
        ),
        Operation(
            "get",
            "/",
            "Service name and links",
            "service",
            m.RootOut,
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
            m.HealthOut,
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
            "get", "/health/live", "Liveness", "service", m.ProbeOut, {"status": "ok"}, auth=False
        ),
        Operation(
            "get",
            "/health/ready",
            "Readiness: Mongo answers and start-up finished",
            "service",
            m.ProbeOut,
            {"status": "ready"},
            auth=False,
        ),
        Operation(
            "get",
            "/status",
            "Service status",
            "service",
            m.ServiceStatusOut,
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


OPERATIONS = _operations()
_ERRORS_API = {
    401: "Missing or invalid token",
    403: "Missing scope or not the owner",
    422: "Invalid input",
    429: "Rate limited",
    503: "Store or chain unavailable",
}
_ERRORS_BODY = {400: "Malformed JSON", 413: "Body over 64 KiB", 415: "Not JSON"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(model="ProblemOut")}}},
    }


def _errors(op: Operation) -> dict[str, Any]:
    codes: dict[int, str] = {}
    if op.auth:
        codes.update(_ERRORS_API)
    if op.body is not None:
        codes.update(_ERRORS_BODY)
    if any(p.where == "path" for p in op.params):
        codes[404] = "Unknown id"
    if op.method in ("post", "patch", "delete") and op.auth:
        codes[409] = "Conflict (idempotency key reused with another body, or a racing change)"
    if op.method == "patch":
        codes[412] = "If-Match names another generation"
    if op.path in ("/health", "/health/ready"):
        return {}
    responses = {str(code): _problem(text) for code, text in sorted(codes.items())}
    responses["default"] = _problem("Any other error, as problem+json")
    return responses


def _success(op: Operation) -> dict[str, Any]:
    if op.response is not None:
        schema: dict[str, Any] = {"$ref": REF.format(model=op.response.__name__)}
    elif op.media_type == "application/json":
        schema = {"type": "object"}
    else:
        schema = {"type": "string"}
    content = {op.media_type: {"schema": schema, "example": op.example}}
    responses: dict[str, Any] = {str(op.status): {"description": op.summary, "content": content}}
    if op.path in ("/health", "/health/ready"):
        responses["503"] = {"description": "Unhealthy / not ready", "content": content}
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method}_{op.path}".replace("/", "_")
        .replace("{", "")
        .replace("}", "")
        .replace("-", "_")
        .replace(".", "_"),
        "tags": [op.tag],
        "responses": {**_success(op), **_errors(op)},
    }
    if op.params:
        document["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "schema": p.schema,
                "description": p.description,
            }
            for p in op.params
        ]
    if op.body is not None:
        schema_ref = {"$ref": REF.format(model=op.body.__name__)}
        extra = op.body.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        media: dict[str, Any] = {"schema": schema_ref}
        if isinstance(examples, list) and examples:
            media["example"] = examples[0]
        document["requestBody"] = {"required": True, "content": {"application/json": media}}
    document["security"] = [{"bearerAuth": []}] if op.auth else []
    return document


def document(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every endpoint."""
    requests = {op.body for op in OPERATIONS if op.body is not None}
    responses = {op.response for op in OPERATIONS if op.response is not None} | {models.ProblemOut}
    pairs = [(m, "validation") for m in sorted(requests, key=lambda m: m.__name__)]
    pairs += [(m, "serialization") for m in sorted(responses, key=lambda m: m.__name__)]
    _, schemas = models_json_schema(pairs, ref_template=REF, by_alias=True)  # type: ignore[arg-type]
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tron-staking",
            "version": version,
            "description": "Declarative TRON Stake 2.0 staking: declare positions, watch them "
            "converge.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
