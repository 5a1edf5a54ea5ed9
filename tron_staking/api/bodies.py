"""Reading request bodies: JSON only, at most 64 KiB, validated by a pydantic model.

Order of checks (each a problem+json): a body over ``MAX_BODY_BYTES`` → 413 (by the
``Content-Length`` header or while reading), a content type other than JSON → 415, bytes
that are not JSON (or not UTF-8) → 400, a document the model refuses → 422 with one
``errors`` entry per field (``loc`` starts with ``"body"``).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic
from starlette.requests import Request

from tron_staking.api import problems

MAX_BODY_BYTES = 64 * 1024
_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)


async def read_bytes(request: Request) -> bytes:
    """The raw body; a 413 Problem past ``MAX_BODY_BYTES``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise problems.Problem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise problems.Problem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The JSON document of the body (see the module docstring for the errors)."""
    raw = await read_bytes(request)
    if not _is_json(request.headers.get("content-type", "")):
        raise problems.Problem(415, "the body must be application/json")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise problems.Problem(400, "the body is not valid JSON") from None


def validation_problem(exc: pydantic.ValidationError, where: str = "body") -> problems.Problem:
    """The 422 of a pydantic error: every field named in ``errors``."""
    entries = [
        {"loc": [where, *(part for part in error["loc"])], "msg": error["msg"]}
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    first = entries[0] if entries else {"loc": [where], "msg": "invalid"}
    detail = f"{'.'.join(str(p) for p in first['loc'][1:]) or where}: {first['msg']}"
    return problems.Problem(422, detail, errors=entries)


async def parse(request: Request, model: type[_ModelT]) -> tuple[_ModelT, Any]:
    """The body as ``model`` and as the raw JSON document it came from."""
    document = await read_json(request)
    try:
        return model.model_validate(document), document
    except pydantic.ValidationError as exc:
        raise validation_problem(exc) from None
