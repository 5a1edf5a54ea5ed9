"""Running a devnet in-process: uvicorn on a background thread with its own event loop.

``start(...)`` builds (or takes) a ``Chain``, binds a socket (port 0 = a free port), serves the
devnet app from a dedicated thread and returns a ``DevnetServer`` handle with ``.url``,
``.chain`` and ``.stop()``; the handle is a context manager. The chain lives on the server's
event loop: other threads must go through ``handle.call(fn)`` (or ``await handle.acall(fn)``
from async code), which runs ``fn(chain)`` on that loop. The CLI uses the same machinery.

``DevnetH11Protocol`` is uvicorn's h11 protocol with the connection's transport published in
``scope["state"]``, which lets the ``drop``/``timeout`` faults close a connection without
answering.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import anyio.to_thread
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tron_devnet.engine.chain import Chain
from tron_devnet.faults import TRANSPORT_STATE_KEY
from tron_devnet.genesis import Genesis, default_genesis
from tron_devnet.http import DevnetApp, create_app

T = TypeVar("T")
logger = logging.getLogger("tron_devnet.server")

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class DevnetStartError(RuntimeError):
    """The devnet server could not start (bind failure, startup error)."""


class DevnetH11Protocol(H11Protocol):
    """uvicorn's h11 protocol exposing the transport to the app via ``scope["state"]``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, TRANSPORT_STATE_KEY: transport}


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto is TCP; without it Nagle + delayed ACKs cap each connection at ~25 requests/s.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise DevnetStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


class DevnetServer:
    """A running devnet: ``url``, ``chain`` (touch it only through ``call``), ``stop()``."""

    def __init__(
        self,
        chain: Chain,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        admin: bool = True,
        block_interval_ms: int = 0,
        fault_seed: int = 0,
        state_file: str | Path | None = None,
        genesis: Genesis | None = None,
    ) -> None:
        self.chain = chain
        self.genesis = genesis
        self.host = host
        self.state_file = Path(state_file) if state_file else None
        self.app: DevnetApp = create_app(
            chain, admin=admin, block_interval_ms=block_interval_ms, fault_seed=fault_seed
        )
        self._sock = _bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        self.app.node.listen_port = self.port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -------------------------------------------------------------------- lifecycle

    def start(self) -> DevnetServer:
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            http=DevnetH11Protocol,
            loop="asyncio",
            lifespan="on",
            timeout_graceful_shutdown=3,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"tron-devnet:{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT_S) or self._error is not None:
            self.stop()
            raise DevnetStartError(f"devnet did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self.app.on_startup = self._ready.set
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            if not self._server.started:
                self._error = self._error or DevnetStartError("uvicorn exited during startup")
                self._ready.set()

    def stop(self) -> None:
        """Stop serving (idempotent); writes the state file when one was configured."""
        if self._stopped:
            return
        self._stopped = True
        loop, server, thread = self._loop, self._server, self._thread
        if loop is not None and server is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._begin_shutdown)
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive():  # pragma: no cover - last resort
                server.force_exit = True
                thread.join(5)
        self._sock.close()
        if self.state_file is not None:
            self.save_state(self.state_file)

    def _begin_shutdown(self) -> None:
        assert self._server is not None
        self.app.release_held()
        self._server.should_exit = True

    def save_state(self, path: str | Path) -> None:
        """Write the chain snapshot (JSON) atomically; call after ``stop`` or via ``call``."""
        snapshot = (
            self.chain.to_snapshot() if self._stopped else self.call(lambda c: c.to_snapshot())
        )
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(snapshot, separators=(",", ":")), encoding="utf-8")
        tmp.replace(target)

    def __enter__(self) -> DevnetServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------------- chain access

    def call(self, fn: Callable[[Chain], T], timeout: float | None = 60.0) -> T:
        """Run ``fn(chain)`` on the server's loop (thread-safe) and return its result."""
        loop = self._loop
        if loop is None or self._stopped or not loop.is_running():
            return fn(self.chain)

        async def run() -> T:
            return fn(self.chain)

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), loop)
        return future.result(timeout)

    async def acall(self, fn: Callable[[Chain], T]) -> T:
        """``call`` for async code running on another event loop."""
        return await anyio.to_thread.run_sync(self.call, fn)

    @property
    def held_requests(self) -> int:
        """How many requests ``timeout``-style faults are currently holding."""
        return self.app.middleware.held_count


def load_state(path: str | Path) -> Chain:
    """A chain restored from a state file written by ``DevnetServer.save_state``."""
    snapshot: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    return Chain.from_snapshot(snapshot)


def start(
    genesis: Genesis | None = None,
    *,
    chain: Chain | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    block_interval_ms: int = 0,
    solid_lag: int = 19,
    accounts: int = 10,
    seed: str = "tron-devnet",
    admin: bool = True,
    state_file: str | Path | None = None,
    fault_seed: int = 0,
) -> DevnetServer:
    """Start a devnet in a background thread and return its handle (a context manager).

    The chain is ``chain`` if given, else restored from ``state_file`` when that file exists,
    else built from ``genesis`` (default: ``default_genesis(accounts, seed)``).
    """
    if chain is None:
        if state_file is not None and Path(state_file).exists():
            chain = load_state(state_file)
        else:
            if genesis is None:
                genesis = default_genesis(accounts=accounts, seed=seed)
            chain = Chain(genesis, solid_lag=solid_lag)
    server = DevnetServer(
        chain,
        host=host,
        port=port,
        admin=admin,
        block_interval_ms=block_interval_ms,
        fault_seed=fault_seed,
        state_file=state_file,
        genesis=genesis,
    )
    return server.start()
