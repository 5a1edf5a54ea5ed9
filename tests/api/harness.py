"""The API under test, served by uvicorn on a loopback port from a thread of its own, over a
real MongoDB-protocol server, a real Redis and the devnet; tests talk to it over HTTP.

The thread builds everything on its own event loop (the store, the cache, the chain client,
a fresh Prometheus registry) and closes it when the server stops. The dry-run port is the
controller's own (``controller.dryrun``), wired as ``tron_staking.service`` wires it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import threading
import time
from typing import Any

import httpx
import jwt
import uvicorn
from starlette.applications import Starlette

from tests.support import servers
from tron_staking import settings as settings_module
from tron_staking.api import app as app_module
from tron_staking.api import tokens
from tron_staking.api.deps import ApiDependencies, ControllerStatus
from tron_staking.cache.factory import create_cache
from tron_staking.chain.client import TronChainClient
from tron_staking.controller import dryrun, planner
from tron_staking.observability import logging as logging_module
from tron_staking.observability.metrics import Metrics
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

JWT_SECRET = "test-secret-0123456789-abcdefghijklmnop"
_START_TIMEOUT_S = 30.0


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process owns its signals
        return


@dataclasses.dataclass
class ApiServer:
    """A running API; ``url`` is its base URL, ``logs`` what it logged."""

    env: dict[str, str]
    ensure_indexes: bool = True
    """False for a server whose MongoDB is meant to be unreachable."""
    watch_recorder: bool = True
    """False to keep the server from touching MongoDB between requests."""
    port: int = dataclasses.field(default_factory=servers.free_port)
    logs: io.StringIO = dataclasses.field(default_factory=io.StringIO)
    startup: threading.Event = dataclasses.field(default_factory=threading.Event)
    """The composition root's start-up; set by :meth:`start` unless told otherwise."""
    app: Starlette | None = None
    _server: _Server | None = None
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> settings_module.Settings:
        return settings_module.load(self.env)

    async def _main(self) -> None:
        config = self.config
        clock = WallClock()
        store = MongoStore.connect(config.mongo, clock)
        cache = create_cache(config.redis)
        chain = TronChainClient.from_settings(config.chain, expiration_window_s=60)
        try:
            if self.ensure_indexes:
                await store.ensure_indexes()
            deps = ApiDependencies(
                store=store,
                cache=cache,
                chain=chain,
                metrics=Metrics(),
                clock=clock,
                api=config.api,
                auth=config.auth,
                redis=config.redis,
                chain_endpoint=config.chain.http_endpoint or "",
                planner=dryrun.DryRun(
                    store.positions, store.operations, chain, planner.PlannerPolicy()
                ),
                controller=lambda: ControllerStatus(running=False),
                startup_finished=self.startup.is_set,
                events_poll_interval_s=0.2,
                heartbeat_s=1.0,
                watch_recorder=self.watch_recorder,
            )
            self.app = app = app_module.create_app(deps)
            self._server = _Server(
                uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
            )
            await self._server.serve()
        finally:
            await chain.aclose()
            await cache.aclose()
            await store.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start()/stop() in the test thread
            self._error = exc

    def capture_logs(self) -> None:
        """Send the process's logs (as ``serve`` configures them) to :attr:`logs`."""
        config = self.config
        logging_module.configure(
            config.logging, self.logs, known_secrets=logging_module.secret_values(config)
        )

    def start(self, *, startup_finished: bool = True) -> ApiServer:
        if startup_finished:
            self.startup.set()
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._error is not None:
                raise RuntimeError("the API did not start") from self._error
            try:
                if httpx.get(self.url + "/health/live", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the API did not answer in time")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=20)
        if self._error is not None:
            raise RuntimeError("the API failed") from self._error

    def token(
        self,
        *wallets: str,
        scope: str = "staking:read staking:write",
        subject: str = "alice",
        ttl_s: int = 3600,
    ) -> str:
        return tokens.mint(
            self.config.auth,
            subject=subject,
            wallets=list(wallets),
            scope=scope,
            ttl_s=ttl_s,
            now=dt.datetime.now(dt.UTC),
        )


def env_for(
    mongo: settings_module.MongoSettings,
    redis_url: str | None,
    chain_url: str,
    **extra: str,
) -> dict[str, str]:
    env = {
        "MONGODB_URL": mongo.url,
        "STAKING_MONGO_DATABASE": mongo.database,
        "TRON_HTTP_ENDPOINT": chain_url,
        "STAKING_JWT_SECRET": JWT_SECRET,
        "STAKING_RATE_LIMIT_READ": "100000/minute",
        "STAKING_RATE_LIMIT_WRITE": "100000/minute",
        "STAKING_CHAIN_QPS": "1000",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)
