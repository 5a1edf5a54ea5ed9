"""RFC 9457 problem details: every error the API sends is ``application/problem+json``.

Route code raises :class:`Problem` (or a domain error from :mod:`tron_staking.errors`); the
handlers installed by :func:`install` turn it, Starlette's own ``HTTPException`` (404, 405)
and any unexpected exception into ``{"type", "title", "status", "detail"}`` with ``errors``
(``[{"loc": [...], "msg": ...}]``) for validation problems. A stack trace never leaves the
process: an unexpected exception is logged and answered with a generic 500.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tron_staking import errors

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://tron-staking.dev/problems/"
_log = structlog.stdlib.get_logger(__name__)
_INDEX = re.compile(r"^([^\[\]]*)\[(\d+)\]$")

Loc = list[str | int]


class Problem(Exception):  # noqa: N818 - RFC 9457 calls it a problem
    """An error response: ``status`` with a ``detail``; ``errors`` for validation (422),
    ``headers`` added to the response (``Retry-After``, ``WWW-Authenticate``)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.kind = kind


def field_loc(field: str | None, where: str = "body") -> Loc:
    """``"votes[1].weight"`` → ``["body", "votes", 1, "weight"]``."""
    loc: Loc = [where]
    for part in (field or "").split("."):
        if not part:
            continue
        match = _INDEX.match(part)
        if match is None:
            loc.append(part)
            continue
        if match.group(1):
            loc.append(match.group(1))
        loc.append(int(match.group(2)))
    return loc


def invalid(detail: str, loc: Loc) -> Problem:
    """A 422 naming the input at ``loc``."""
    return Problem(422, detail, errors=[{"loc": loc, "msg": detail}])


def from_validation(exc: errors.ValidationError, where: str = "body") -> Problem:
    return invalid(str(exc), field_loc(exc.field, where))


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def from_error(exc: errors.StakingError) -> Problem:
    """The status a domain or adapter error means for a client."""
    if isinstance(exc, errors.ValidationError):
        return from_validation(exc)
    if isinstance(exc, errors.NotFoundError):
        return Problem(404, "no such resource")
    if isinstance(exc, errors.ConflictError):
        return Problem(409, str(exc) or "a concurrent change won; read again and retry")
    if isinstance(exc, errors.RateLimitedError):
        return Problem(429, "rate limited", headers=retry_after(exc.retry_after_s))
    if isinstance(exc, errors.StoreUnavailableError):
        return Problem(503, "the store is unavailable", headers=retry_after(exc.retry_after_s))
    if isinstance(exc, errors.ChainUnavailableError):
        return Problem(503, "the chain is unavailable", headers=retry_after(exc.retry_after_s))
    if isinstance(exc, errors.TransientError):
        return Problem(503, "temporarily unavailable", headers=retry_after(exc.retry_after_s))
    return Problem(500, "internal error")


def response(problem: Problem, instance: str | None = None) -> Response:
    """The problem+json response of ``problem``."""
    phrase = HTTPStatus(problem.status).phrase
    body: dict[str, Any] = {
        "type": TYPE_BASE + (problem.kind or phrase.lower().replace(" ", "-")),
        "title": phrase,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    return Response(
        json.dumps(body), status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Problem):  # pragma: no cover - registered for Problem only
        raise exc
    return response(exc, request.url.path)


async def _on_http(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for it only
        raise exc
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return response(Problem(exc.status_code, detail, headers=exc.headers), request.url.path)


async def _on_staking(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, errors.StakingError):  # pragma: no cover
        raise exc
    problem = from_error(exc)
    if problem.status >= 500:
        _log.warning("request failed", path=request.url.path, error=type(exc).__name__)
    return response(problem, request.url.path)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    _log.error("unexpected error", path=request.url.path, error=type(exc).__name__)
    return response(Problem(500, "internal error"), request.url.path)


def install(app: Starlette) -> None:
    """Register the handlers that make every error a problem+json response."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(errors.StakingError, _on_staking)
    app.add_exception_handler(Exception, _on_unexpected)
