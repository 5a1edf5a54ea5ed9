"""The comparison app of the API throughput benchmark: a minimal Starlette app doing the same
single database operation per endpoint as the service, with pymongo's AsyncMongoClient.

* ``POST /positions`` — insert one document (the JSON body plus an ``id``), 201 with it;
* ``GET /positions/{id}`` — ``find_one`` by ``id`` (unique index), 200 or 404;
* ``GET /health/live`` — no database operation.

No authentication, validation, history, idempotency or rendering: what the service spends on
top of this is its own overhead. Run under uvicorn like the service (one worker, no access
log)::

    python -m bench.minimal_app --port 8097 --mongo-url mongodb://127.0.0.1:27017 \
        --database bench_minimal
"""

from __future__ import annotations

import argparse
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import uvicorn
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app(mongo_url: str, database: str) -> Starlette:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    positions = client[database]["positions"]

    async def create(request: Request) -> Response:
        document = json.loads(await request.body())
        document["id"] = uuid.uuid4().hex
        await positions.insert_one(document)
        document.pop("_id", None)
        return JSONResponse(document, status_code=201)

    async def read(request: Request) -> Response:
        document = await positions.find_one({"id": request.path_params["id"]}, {"_id": False})
        if document is None:
            return JSONResponse({"title": "not found"}, status_code=404)
        return JSONResponse(document)

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await positions.create_index("id", unique=True)
        try:
            yield
        finally:
            await client.close()

    return Starlette(
        routes=[
            Route("/positions", create, methods=["POST"]),
            Route("/positions/{id}", read, methods=["GET"]),
            Route("/health/live", live, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.minimal_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongo-url", required=True)
    parser.add_argument("--database", default="bench_minimal")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.mongo_url, args.database),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
