"""JSON responses of response models, and query-parameter parsing with 422s."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.responses import Response

from tron_staking.api import problems, views

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def body_of(model: BaseModel) -> str:
    return json.dumps(views.dump(model), separators=(",", ":"))


def send(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        body_of(model), status_code=status, media_type="application/json", headers=headers
    )


def limit_of(query: QueryParams) -> int:
    """``limit`` (1–500, default 50); a 422 naming it otherwise."""
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise problems.invalid(
            f"limit must be an integer from 1 to {MAX_LIMIT}", ["query", "limit"]
        )
    return int(text)


def choice_of(query: QueryParams, name: str, allowed: frozenset[str]) -> str | None:
    value = query.get(name)
    if value is not None and value not in allowed:
        raise problems.invalid(
            f"{name} must be one of {', '.join(sorted(allowed))}", ["query", name]
        )
    return value
