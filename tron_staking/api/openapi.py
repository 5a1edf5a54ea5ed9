"""The OpenAPI 3.1 document of the API, generated from the same pydantic models the routes
use, with an example for every operation (the endpoints are listed in
:mod:`~tron_staking.api.catalogue`).
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from tron_staking.api import models
from tron_staking.api.catalogue import OPERATIONS, Operation
from tron_staking.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE

REF = "#/components/schemas/{model}"
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
