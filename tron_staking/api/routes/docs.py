"""``/openapi.json`` and ``/docs``: the OpenAPI document and a Swagger UI page whose scripts
and styles are served by this app from the ``swagger-ui-bundle-v2`` package (no CDN)."""

from __future__ import annotations

import json
from typing import Any

import swagger_ui_bundle  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tron_staking.api import openapi
from tron_staking.api.context import ApiContext

ASSETS = "/docs/assets"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tron-staking API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/docs-init.js"></script>
</body>
</html>
"""
_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null
});
"""


def routes(ctx: ApiContext) -> list[BaseRoute]:
    document: dict[str, Any] = openapi.document(ctx.deps.version)
    body = json.dumps(document).encode()

    async def spec(_: Request) -> Response:
        return Response(body, media_type="application/json")

    async def page(_: Request) -> Response:
        return HTMLResponse(_PAGE.format(assets=ASSETS))

    async def init(_: Request) -> Response:
        return Response(_INIT, media_type="text/javascript")

    return [
        Route("/openapi.json", spec, methods=["GET"]),
        Route("/docs", page, methods=["GET"]),
        Route(ASSETS + "/docs-init.js", init, methods=["GET"]),
        Mount(
            ASSETS,
            app=StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)),
            name="docs-assets",
        ),
    ]
